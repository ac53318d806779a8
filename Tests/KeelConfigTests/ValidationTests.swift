import Testing
@testable import KeelConfig

@Suite("Strict validation")
struct ValidationTests {
    @Test("an unknown key names its line, column, key path and the closest valid key")
    func unknownKeyWithSuggestion() throws {
        let error = try #require(configError("""
        providers:
          openai: {kind: openai}
        models:
          - name: m
            routes:
              - provider: openai
                model: x
                wieght: 3
        """))
        #expect(error.code == .unknownKey)
        #expect(error.description == #"keel.yaml:8:9: models[0].routes[0]: unknown key "wieght" (did you mean "weight"?)"#)
    }

    @Test("an unknown key far from every valid key lists the valid ones")
    func unknownKeyWithoutSuggestion() throws {
        let error = try #require(configError("storage:\n  engine: rocksdb\n"))
        #expect(error.description == #"keel.yaml:2:3: storage: unknown key "engine" (expected one of: url, flush_interval_ms, retention_days)"#)
    }

    @Test("unknown top-level sections are errors")
    func unknownTopLevel() throws {
        let error = try #require(configError("servr:\n  listen: 1.2.3.4:5\nfrobnicate: {}\n"))
        let messages = error.diagnostics.map(\.description)
        #expect(messages.count == 2)
        #expect(messages.first == #"keel.yaml:1:1: unknown key "servr" (did you mean "server"?)"#)
        // Every section is listed; the list grows as sections are added.
        #expect(messages.last?.hasPrefix(#"keel.yaml:3:1: unknown key "frobnicate" (expected one of: server, storage, providers, models, "#) == true)
    }

    @Test("wrong types say what was expected and what was found", arguments: [
        ("server:\n  max_body_bytes: abc\n", #"keel.yaml:2:19: server.max_body_bytes: expected an integer, got "abc""#),
        ("server:\n  threads: [1, 2]\n", "keel.yaml:2:12: server.threads: expected an integer, got a list"),
        ("server: 12\n", #"keel.yaml:1:9: server: expected a mapping, got "12""#),
        ("models: {name: x}\n", "keel.yaml:1:9: models: expected a list, got a mapping"),
        ("server:\n  listen: {host: x}\n", "keel.yaml:2:11: server.listen: expected a string, got a mapping"),
        ("server:\n  threads: 1.5\n", #"keel.yaml:2:12: server.threads: expected an integer, got "1.5""#),
    ])
    func wrongType(yaml: String, expected: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.code == .typeMismatch)
        #expect(error.description == expected)
    }

    @Test("out-of-range values state the allowed range", arguments: [
        ("server:\n  max_body_bytes: 0\n", "server.max_body_bytes: 0 is out of range: must be greater than 0"),
        ("server:\n  idle_timeout_s: -1\n", "server.idle_timeout_s: -1 is out of range: must be at least 0"),
        ("storage:\n  flush_interval_ms: 60001\n", "storage.flush_interval_ms: 60001 is out of range: must be between 1 and 60000"),
        ("server:\n  busy_poll_us: 10001\n", "server.busy_poll_us: 10001 is out of range: must be between 0 and 10000"),
        ("server:\n  max_connections: 99999999999999999999\n", #"server.max_connections: expected an integer, got "99999999999999999999""#),
    ])
    func outOfRange(yaml: String, expected: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.diagnostics.count == 1)
        #expect(error.description.hasSuffix(expected))
    }

    @Test("an invalid choice lists the options and suggests the closest")
    func invalidChoice() throws {
        let error = try #require(configError(minimalProviders + """
        server: {log_level: warn}
        models:
          - {name: m, routes: [{provider: openai, model: x}], strategy: least_busy}
        """))
        #expect(error.diagnostics.map(\.message) == [
            #"expected one of trace, debug, info, notice, warning, error, critical, got "warn" (did you mean "warning"?)"#,
            #"expected one of weighted, least-busy, latency, cost, got "least_busy" (did you mean "least-busy"?)"#,
        ])
    }

    @Test("missing required values", arguments: [
        ("  - name: m\n", #"keel.yaml:4:5: models[0]: missing required key "routes""#),
        ("  - routes: [{provider: openai, model: x}]\n", #"keel.yaml:4:5: models[0]: missing required key "name""#),
        ("  - {name: m, routes: [{provider: openai}]}\n", #"keel.yaml:4:24: models[0].routes[0]: missing required key "model""#),
        ("  - {name: m, routes: [{provider: openai, model: }]}\n", "keel.yaml:4:50: models[0].routes[0].model: missing required value"),
        ("  - {name: m, routes: []}\n", "keel.yaml:4:23: models[0].routes: a model needs at least one route"),
        ("  - {name: \"\", routes: [{provider: openai, model: x}]}\n", "keel.yaml:4:12: models[0].name: must not be empty"),
    ])
    func missingRequired(modelsEntry: String, expected: String) throws {
        let error = try #require(configError(minimalProviders + "models:\n" + modelsEntry))
        #expect(error.code == .missingValue)
        #expect(error.description == expected)
    }

    @Test("a provider needs a kind; routes naming it get no second error")
    func providerWithoutKind() throws {
        let error = try #require(configError("""
        providers:
          openai: {api_key: sk-1}
        models:
          - {name: m, routes: [{provider: openai, model: x}]}
        """))
        #expect(error.description == #"keel.yaml:2:11: providers.openai: missing required key "kind""#)
    }

    @Test("a route naming an unknown provider is an error with a suggestion")
    func badProviderReference() throws {
        let error = try #require(configError(minimalProviders + """
        models:
          - name: m
            routes:
              - {provider: opnai, model: x}
              - {provider: vertex, model: y}
        """))
        #expect(error.code == .unknownReference)
        #expect(error.diagnostics.map(\.description) == [
            #"keel.yaml:6:20: models[0].routes[0].provider: unknown provider "opnai" (did you mean "openai"?)"#,
            #"keel.yaml:7:20: models[0].routes[1].provider: unknown provider "vertex" (configured: openai)"#,
        ])
    }

    @Test("fallbacks must name other configured models")
    func badFallbacks() throws {
        let error = try #require(configError(minimalProviders + """
        models:
          - name: a
            routes: [{provider: openai, model: x}]
            fallbacks: [a, b, c, b]
            context_window_fallbacks: [missing]
          - name: b
            routes: [{provider: openai, model: y}]
        """))
        #expect(error.diagnostics.map(\.description) == [
            "keel.yaml:6:17: models[0].fallbacks[0]: a model cannot fall back to itself",
            #"keel.yaml:6:23: models[0].fallbacks[2]: unknown model "c" (configured: a, b)"#,
            #"keel.yaml:6:26: models[0].fallbacks[3]: "b" is listed twice"#,
            #"keel.yaml:7:32: models[0].context_window_fallbacks[0]: unknown model "missing" (configured: a, b)"#,
        ])
    }

    @Test("model names are unique")
    func duplicateModelNames() throws {
        let error = try #require(configError(minimalProviders + """
        models:
          - name: m
            routes: [{provider: openai, model: x}]
          - name: m
            routes: [{provider: openai, model: y}]
        """))
        #expect(error.code == .duplicateKey)
        #expect(error.description == #"keel.yaml:6:11: models[1].name: duplicate model name "m" (first defined at line 4)"#)
    }

    @Test("a key belonging to another provider kind is rejected")
    func kindSpecificKey() throws {
        let error = try #require(configError("""
        providers:
          openai:
            kind: openai
            region: us-east-1
            api_version: "2024-10-21"
          claude: {kind: anthropic, session_token: abc}
        """))
        #expect(error.diagnostics.map(\.description) == [
            #"keel.yaml:4:13: providers.openai.region: "region" does not apply to kind openai (only to bedrock)"#,
            #"keel.yaml:5:18: providers.openai.api_version: "api_version" does not apply to kind openai (only to azure)"#,
            #"keel.yaml:6:44: providers.claude.session_token: "session_token" does not apply to kind anthropic (only to bedrock)"#,
        ])
    }

    @Test("kind-specific requirements", arguments: [
        ("azure: {kind: azure, api_key: k}", "providers.azure: missing required key \"base_url\" (azure providers need e.g. https://NAME.openai.azure.com)"),
        ("azure: {kind: azure, base_url: https://a.openai.azure.com, api_version: \"\"}",
         "providers.azure.api_version: must not be empty (leave api_version out to use 2024-10-21)"),
        ("azure: {kind: azure, base_url: https://a.openai.azure.com, api_version: \"2024-10-21&x=1\"}",
         #"providers.azure.api_version: "2024-10-21&x=1" is not an API version (like 2024-10-21)"#),
        ("bedrock: {kind: bedrock}", #"providers.bedrock: missing required key "region""#),
        ("bedrock: {kind: bedrock, region: US East}", #"providers.bedrock.region: "US East" is not an AWS region name (like us-east-1)"#),
        ("bedrock: {kind: bedrock, region: us-east-1, access_key_id: AKIA}", "providers.bedrock: access_key_id and secret_access_key must be given together"),
        ("x: {kind: openai, base_url: ftp://example.com}", #"providers.x.base_url: "ftp://example.com" is not an http:// or https:// URL"#),
        ("x: {kind: openai, base_url: \"https://\"}", #"providers.x.base_url: "https://" is not a valid URL"#),
        ("x: {kind: openai, timeout_ms: 0}", "providers.x.timeout_ms: 0 is out of range: must be greater than 0"),
        ("x: {kind: vertex}", #"providers.x.kind: expected one of openai, azure, anthropic, bedrock, gemini, got "vertex""#),
        ("\"bad name\": {kind: openai}", #"providers: invalid provider name "bad name"; use letters, digits, "_", "." and "-""#),
        ("x: {kind: openai, headers: {\"bad header\": 1}}", #"providers.x.headers: "bad header" is not a valid HTTP header name"#),
        ("x: {kind: openai, headers: {x-a: 1, X-A: 2}}", #"providers.x.headers: header "X-A" is given twice (header names ignore case)"#),
    ])
    func providerRequirements(entry: String, expected: String) throws {
        let error = try #require(configError("providers:\n  " + entry + "\n"))
        #expect(error.diagnostics.count == 1)
        #expect(error.diagnostics.first.map { "\($0.keyPath): \($0.message)" } == expected)
    }

    @Test("an azure api_version that is left out, null or expands to nothing gets the default")
    func azureAPIVersionDefault() throws {
        let config = try parseConfig("""
        providers:
          a: {kind: azure, base_url: https://a.openai.azure.com}
          b: {kind: azure, base_url: https://b.openai.azure.com, api_version: ~}
          c: {kind: azure, base_url: https://c.openai.azure.com, api_version: "${AZURE_API_VERSION:-}"}
          d: {kind: azure, base_url: https://d.openai.azure.com, api_version: 2025-01-01-preview}
        """)
        #expect(config.providers.map(\.apiVersion) == [
            ProviderConfig.defaultAzureAPIVersion, ProviderConfig.defaultAzureAPIVersion,
            ProviderConfig.defaultAzureAPIVersion, "2025-01-01-preview",
        ])
    }

    @Test("provider names with dots print as quoted keys in paths")
    func dottedProviderName() throws {
        let config = try parseConfig("providers:\n  my.local-1: {kind: openai, base_url: http://localhost:8000/v1}\n")
        #expect(config.providers.first?.name == "my.local-1")
        let error = try #require(configError("providers:\n  my.local: {kind: openai, retries: 1}\n"))
        #expect(error.diagnostics.first?.keyPath == #"providers["my.local"]"#)
    }

    @Test("every route with weight 0 under the weighted strategy is an error")
    func allWeightsZero() throws {
        let error = try #require(configError(minimalProviders + """
        models:
          - {name: m, routes: [{provider: openai, model: x, weight: 0}]}
        """))
        #expect(error.diagnostics.first?.message == "every route has weight 0; at least one needs a weight above 0")
    }

    @Test("several problems are reported together, in file order")
    func severalErrors() throws {
        let error = try #require(configError("""
        server:
          listen: localhost
          max_body_bytes: lots
          colour: blue
        storage:
          url: mysql://db
        providers:
          openai: {kind: openai, region: x}
        models:
          - name: m
            routes: [{provider: nope, model: x, wieght: 1}]
            retries: -1
        """))
        #expect(error.diagnostics.map(\.line) == [2, 3, 4, 6, 8, 11, 11, 12])
        #expect(error.diagnostics.map(\.code) == [
            .invalidValue, .typeMismatch, .unknownKey, .invalidValue, .unknownKey,
            .unknownReference, .unknownKey, .invalidValue,
        ])
        #expect(error.description.split(separator: "\n").count == 8)
    }

    @Test("the number of reported problems is capped")
    func errorCap() throws {
        let keys = (0..<70).map { "  unknown_\($0): 1" }.joined(separator: "\n")
        let error = try #require(configError("server:\n" + keys + "\n"))
        #expect(error.diagnostics.count == ConfigError.maximumDiagnostics)
        #expect(error.omittedCount == 20)
        #expect(error.diagnostics.first?.line == 2)
        #expect(error.description.hasSuffix("… and 20 more errors not shown"))
    }

    @Test("suggestions use edit distance with transpositions")
    func editDistance() {
        #expect(Suggestion.editDistance("wieght", "weight") == 1)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
        #expect(Suggestion.editDistance("", "abc") == 3)
        #expect(Suggestion.closest(to: "retires", among: ["retries", "routes"]) == "retries")
        #expect(Suggestion.closest(to: "zzz", among: ["retries", "routes"]) == nil)
    }
}
