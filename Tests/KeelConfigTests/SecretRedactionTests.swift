import KeelCore
import Testing
@testable import KeelConfig

@Suite("Secrets in configuration")
struct SecretRedactionTests {
    static let secrets = ["sk-master-123", "sk-openai-456", "AKIASECRET789", "aws-secret-000", "aws-session-111",
                          "header-token-222", "pg-password-333"]

    @Test("secrets never appear when the configuration is printed or dumped")
    func notPrinted() throws {
        let config = try parseConfig("""
        server:
          master_key: ${MASTER}
        storage:
          url: postgres://keel:${PG_PASSWORD}@db/keel
        providers:
          openai:
            kind: openai
            api_key: ${OPENAI_KEY}
            headers: {authorization-extra: "Bearer ${HEADER_TOKEN}"}
          bedrock:
            kind: bedrock
            region: us-east-1
            access_key_id: AKIASECRET789
            secret_access_key: aws-secret-000
            session_token: aws-session-111
        """, environment: [
            "MASTER": "sk-master-123", "OPENAI_KEY": "sk-openai-456",
            "HEADER_TOKEN": "header-token-222", "PG_PASSWORD": "pg-password-333",
        ])
        #expect(config.server.masterKey?.reveal() == "sk-master-123")
        #expect(config.provider(named: "openai")?.headers["authorization-extra"] == "Bearer header-token-222")
        #expect(config.provider(named: "bedrock")?.sessionToken?.reveal() == "aws-session-111")

        var dumped = ""
        dump(config, to: &dumped)
        for text in [String(describing: config), String(reflecting: config), "\(config)", dumped] {
            #expect(text.contains("authorization-extra"))
            for secret in Self.secrets {
                #expect(!text.contains(secret), "printed configuration contains \(secret)")
            }
        }
    }

    @Test("secret values never appear in error messages")
    func notInErrors() throws {
        let error = try #require(configError("server:\n  master_key: [${MASTER}]\n", environment: ["MASTER": "sk-master-123"]))
        #expect(!error.description.contains("sk-master-123"))
    }

    @Test("a secret put into a number or choice field by mistake is not echoed in the error")
    func environmentValuesInConversionErrors() throws {
        let env = ["LEAKED": "sk-live-abcdef123456"]
        let yaml = "server:\n  max_body_bytes: ${LEAKED}\n  log_level: \"${LEAKED}\"\nmodels:\n  - name: m\n    routes: [{provider: openai, model: x}]\n    pricing: {input_per_million: \"${LEAKED}\"}\n"
        let error = try #require(configError(minimalProviders + yaml, environment: env))
        #expect(error.diagnostics.count == 3)
        #expect(!error.description.contains("sk-live"))
        #expect(error.description.contains("expected an integer, got \"${LEAKED}\" (value from the environment, not shown)"))
        // Literal values are still quoted as written.
        let literal = try #require(configError("server:\n  max_body_bytes: lots\n"))
        #expect(literal.description.contains("got \"lots\""))
    }
}
