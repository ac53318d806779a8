import Testing
@testable import KeelConfig

@Suite("Environment interpolation")
struct InterpolationTests {
    let interpolator = Interpolator(environment: ["HOST": "db.internal", "EMPTY": "", "PORT": "5432"])

    @Test("plain references, defaults and literal dollars", arguments: [
        ("${HOST}", "db.internal"),
        ("${HOST}:${PORT}", "db.internal:5432"),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${MISSING-fallback}", "fallback"),
        ("${HOST:-fallback}", "db.internal"),
        ("${MISSING:-}", ""),
        ("${MISSING:-${HOST}}", "db.internal"),
        ("${MISSING:-${ALSO_MISSING:-deep}}", "deep"),
        ("price: $$5", "price: $5"),
        ("$${HOST}", "${HOST}"),
        ("a$b", "a$b"),
        ("ends with $", "ends with $"),
        ("no references", "no references"),
    ])
    func expands(input: String, expected: String) {
        let expansion = interpolator.expand(input)
        #expect(expansion.problems.isEmpty)
        #expect(expansion.text == expected)
    }

    @Test("an unset variable without a default is a problem naming it")
    func undefined() {
        let expansion = interpolator.expand("${NOPE}-${HOST}-${ALSO_NOPE}")
        #expect(expansion.problems == [.undefined(name: "NOPE"), .undefined(name: "ALSO_NOPE")])
    }

    @Test("malformed references", arguments: ["${HOST", "x ${", "${A:-${B}"])
    func unterminated(input: String) {
        #expect(interpolator.expand(input).problems == [.unterminated])
    }

    @Test("invalid variable names", arguments: ["${}", "${1ABC}", "${HOST?}", "${A B}"])
    func invalidNames(input: String) {
        #expect(interpolator.expand(input).problems == [.invalidReference(input)])
    }

    @Test("an unset variable in the configuration names the file, line, key path and variable")
    func undefinedInConfig() throws {
        let error = try #require(configError("""
        server:
          listen: 127.0.0.1:4000
          master_key: "${KEEL_MASTER_KEY}"
        """))
        #expect(error.code == .undefinedVariable)
        #expect(error.description == #"keel.yaml:3:15: server.master_key: environment variable "KEEL_MASTER_KEY" is not set (write ${KEEL_MASTER_KEY:-default} to give it a default)"#)
    }

    @Test("an unterminated reference in the configuration is an error")
    func unterminatedInConfig() throws {
        let error = try #require(configError("storage:\n  url: sqlite:${DIR\n"))
        #expect(error.code == .invalidInterpolation)
        #expect(error.diagnostics.first?.keyPath == "storage.url")
        #expect(error.diagnostics.first?.line == 2)
    }

    @Test("defaults apply when the variable is unset or empty")
    func defaultsInConfig() throws {
        let yaml = "server:\n  listen: \"${ADDR:-127.0.0.1:9000}\"\n  master_key: ${KEY:-dev-key}\n"
        for environment in [[:], ["ADDR": "", "KEY": ""]] {
            let config = try parseConfig(yaml, environment: environment)
            #expect(config.server.listen == ListenAddress(host: "127.0.0.1", port: 9000))
            #expect(config.server.masterKey?.reveal() == "dev-key")
        }
        let set = try parseConfig(yaml, environment: ["ADDR": "0.0.0.0:1", "KEY": "prod"])
        #expect(set.server.listen == ListenAddress(host: "0.0.0.0", port: 1))
        #expect(set.server.masterKey?.reveal() == "prod")
    }

    @Test("interpolation happens before type conversion")
    func beforeTypeConversion() throws {
        let yaml = "server:\n  max_body_bytes: ${MAX:-1024}\n  threads: \"${THREADS}\"\n"
        let config = try parseConfig(yaml, environment: ["THREADS": "6"])
        #expect(config.server.maxBodyBytes == 1024)
        #expect(config.server.threads == 6)
        let error = try #require(configError(yaml, environment: ["THREADS": "six"]))
        #expect(error.description == #"keel.yaml:3:12: server.threads: expected an integer, got "${THREADS}" (value from the environment, not shown)"#)
    }

    @Test("$$ is a literal dollar in values")
    func literalDollar() throws {
        let config = try parseConfig(minimalProviders + """
        models:
          - name: "cost$$saver"
            routes: [{provider: openai, model: "a$$b"}]
        """)
        #expect(config.models.first?.name == "cost$saver")
        #expect(config.models.first?.routes.first?.model == "a$b")
    }

    @Test("keys are never interpolated")
    func keysNotInterpolated() throws {
        let error = try #require(configError("server:\n  ${KEY}: 1\n", environment: ["KEY": "threads"]))
        #expect(error.code == .unknownKey)
        #expect(error.diagnostics.first?.message.hasPrefix(#"unknown key "${KEY}""#) == true)
    }

    @Test("an empty secret counts as not set; a value expanding to nothing uses the default")
    func emptyValues() throws {
        let config = try parseConfig("""
        server:
          master_key: ${KEEL_MASTER_KEY:-}
          max_body_bytes: ${MAX_BODY:-}
        providers:
          openai: {kind: openai, api_key: "${OPENAI_API_KEY}"}
        """, environment: ["OPENAI_API_KEY": ""])
        #expect(config.server.masterKey == nil)
        #expect(config.server.maxBodyBytes == 16_777_216)
        #expect(config.provider(named: "openai")?.apiKey == nil)
    }

    @Test("a required value that expands to nothing is reported")
    func requiredEmpty() throws {
        let error = try #require(configError(minimalProviders + """
        models:
          - name: ${MODEL_NAME:-}
            routes: [{provider: openai, model: m}]
        """))
        #expect(error.code == .missingValue)
        #expect(error.diagnostics.first?.keyPath == "models[0].name")
    }
}
