import Testing
@testable import KeelConfig

@Suite("YAML parsing")
struct YAMLParsingTests {
    @Test("broken YAML names the file, line and column and libyaml's explanation")
    func brokenYAML() throws {
        let error = try #require(configError("""
        server:
          listen: "127.0.0.1:4000
          max_body_bytes: 10
        """))
        #expect(error.code == .syntax)
        let diagnostic = try #require(error.diagnostics.first)
        #expect(error.diagnostics.count == 1)
        #expect(diagnostic.file == "keel.yaml")
        #expect(diagnostic.line == 2 || diagnostic.line == 3)
        #expect(diagnostic.message.contains("quoted scalar"))
        #expect(error.description.hasPrefix("keel.yaml:\(diagnostic.line):\(diagnostic.column): "))
    }

    @Test("a bad indentation is reported at its line")
    func badIndentation() throws {
        let error = try #require(configError("server:\n  listen: 127.0.0.1:4000\n bad: 1\n"))
        #expect(error.code == .syntax)
        #expect(error.diagnostics.first?.line == 3)
    }

    @Test("a duplicate key is an error naming both lines")
    func duplicateKey() throws {
        let error = try #require(configError("""
        server:
          listen: 127.0.0.1:4000
          max_body_bytes: 10
          listen: 0.0.0.0:4000
        """))
        #expect(error.diagnostics.count == 1)
        #expect(error.code == .duplicateKey)
        #expect(error.description == #"keel.yaml:4:3: server: duplicate key "listen" (first defined at line 2)"#)
    }

    @Test("more than one document is rejected")
    func multipleDocuments() throws {
        let error = try #require(configError("server: {}\n---\nstorage: {}\n"))
        #expect(error.code == .syntax)
        #expect(error.diagnostics.first?.line == 2)
        #expect(error.diagnostics.first?.message.contains("more than one YAML document") == true)
    }

    @Test("a single document with explicit markers is fine")
    func explicitDocumentMarkers() throws {
        let config = try parseConfig("---\nserver: {threads: 2}\n...\n")
        #expect(config.server.threads == 2)
    }

    @Test("flow style mappings and lists")
    func flowStyle() throws {
        let config = try parseConfig("""
        providers: {openai: {kind: openai}, other: {kind: anthropic, headers: {"x-a": "1", x-b: two}}}
        models: [{name: a, routes: [{provider: openai, model: m}], fallbacks: [b]}, {name: b, routes: [{provider: other, model: n}]}]
        """)
        #expect(config.providers.map(\.name) == ["openai", "other"])
        #expect(config.provider(named: "other")?.headers == ["x-a": "1", "x-b": "two"])
        #expect(config.models.map(\.name) == ["a", "b"])
    }

    @Test("anchors and aliases are expanded; merge keys combine mappings")
    func anchorsAndAliases() throws {
        let config = try parseConfig("""
        providers:
          openai: {kind: openai}
        models:
          - name: a
            routes:
              - &primary {provider: openai, model: gpt-4o, weight: 5}
              - <<: &defaults {weight: 2, timeout_ms: 1500}
                provider: openai
                model: gpt-4o-mini
              - <<: [*defaults, {weight: 9, first_token_timeout_ms: 100}]
                provider: openai
                model: o3
                weight: 1
          - name: b
            routes: [*primary]
            fallbacks: &fallbacks [a]
          - name: c
            routes: [*primary]
            fallbacks: *fallbacks
        """)
        let a = try #require(config.model(named: "a"))
        #expect(a.routes[0] == RouteConfig(provider: "openai", model: "gpt-4o", weight: 5))
        #expect(a.routes[1] == RouteConfig(provider: "openai", model: "gpt-4o-mini", weight: 2, timeout: .milliseconds(1500)))
        #expect(a.routes[2] == RouteConfig(provider: "openai", model: "o3", weight: 1, timeout: .milliseconds(1500),
                                           firstTokenTimeout: .milliseconds(100)))
        #expect(config.model(named: "b")?.routes == [a.routes[0]])
        #expect(config.model(named: "c")?.fallbacks == ["a"])
    }

    @Test("an alias to an undefined anchor is an error")
    func undefinedAlias() throws {
        let error = try #require(configError("server: *nowhere\n"))
        #expect(error.code == .syntax)
        #expect(error.diagnostics.first?.message.contains("*nowhere") == true)
    }

    @Test("alias bombs are stopped by the node limit")
    func aliasBomb() throws {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            let previous = "*a\(level - 1)"
            yaml += "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        let error = try #require(configError(yaml))
        #expect(error.code == .syntax)
        #expect(error.diagnostics.first?.message.contains("more than \(YAMLDocument.maximumNodeCount) nodes") == true)
    }

    @Test("excessive nesting is rejected")
    func deepNesting() throws {
        let yaml = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        let error = try #require(configError(yaml))
        #expect(error.diagnostics.first?.message.contains("nesting deeper than") == true)
    }

    @Test("comments are ignored")
    func comments() throws {
        let config = try parseConfig("""
        # header comment
        server:   # trailing comment
          threads: 4 # four
          # listen: 0.0.0.0:1
        """)
        #expect(config.server.threads == 4)
        #expect(config.server.listen == .default)
    }

    @Test("the top level must be a mapping")
    func topLevelNotMapping() throws {
        let error = try #require(configError("- server\n- storage\n"))
        #expect(error.description == "keel.yaml:1:1: expected a mapping, got a list")
    }

    @Test("unsupported tags are rejected")
    func unsupportedTag() throws {
        let error = try #require(configError("server:\n  listen: !custom 1.2.3.4:5\n"))
        #expect(error.diagnostics.first?.message == "unsupported tag !custom")
    }

    @Test("invalid UTF-8 is a syntax error")
    func invalidEncoding() throws {
        var bytes = Array("server:\n  listen: \"".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\"\n".utf8)
        #expect(throws: ConfigError.self) {
            _ = try YAMLDocument.parse(bytes: bytes, fileName: "keel.yaml")
        }
    }
}
