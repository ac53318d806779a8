import Foundation
import KeelCore
import Testing
@testable import KeelConfig

@Suite("The example keel.yaml")
struct ExampleConfigTests {
    static let examplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("keel.yaml").path

    @Test("parses with an empty environment and uses the development defaults")
    func parsesWithoutEnvironment() throws {
        let config = try ConfigLoader.load(path: Self.examplePath, environment: [:])
        #expect(config.server.listen == ListenAddress(host: "127.0.0.1", port: 4000))
        #expect(config.server.masterKey?.reveal() == "sk-keel-dev-master-key")
        #expect(config.server.logLevel == .info)
        #expect(config.storage.url == .sqlite(path: "./keel-data/keel.db"))
        #expect(config.providers.map(\.name) == ["openai", "anthropic", "local"])
        #expect(config.provider(named: "openai")?.apiKey == nil)
        #expect(config.provider(named: "openai")?.baseURL == "https://api.openai.com/v1")
        #expect(config.provider(named: "anthropic")?.baseURL == "https://api.anthropic.com")
        #expect(config.provider(named: "local")?.baseURL == "http://127.0.0.1:11434/v1")
        #expect(config.provider(named: "local")?.timeout == .seconds(120))
        let models = config.models.map(\.name)
        #expect(models == ["gpt-4o-mini", "claude-haiku", "local-llama"])
        #expect(config.model(named: "gpt-4o-mini")?.fallbacks == ["claude-haiku"])
        #expect(config.model(named: "gpt-4o-mini")?.pricing?.inputPerMillion == 0.15)
        #expect(config.model(named: "local-llama")?.routes.first?.firstTokenTimeout == .seconds(30))
    }

    @Test("takes secrets and settings from the environment when set")
    func usesEnvironment() throws {
        let config = try ConfigLoader.load(path: Self.examplePath, environment: [
            "KEEL_MASTER_KEY": "sk-prod", "OPENAI_API_KEY": "sk-openai", "KEEL_LOG_LEVEL": "debug",
            "LOCAL_LLM_URL": "http://10.0.0.5:8000/v1/",
        ])
        #expect(config.server.masterKey?.reveal() == "sk-prod")
        #expect(config.provider(named: "openai")?.apiKey?.reveal() == "sk-openai")
        #expect(config.server.logLevel == .debug)
        #expect(config.provider(named: "local")?.baseURL == "http://10.0.0.5:8000/v1")
    }

    @Test("a missing file or a directory is a ConfigError naming the file and the reason", arguments: [
        ("/nonexistent/keel.yaml", "No such file or directory"),
        (FileManager.default.temporaryDirectory.path, "Is a directory"),
    ])
    func unreadableFile(path: String, reason: String) {
        do {
            _ = try ConfigLoader.load(path: path, environment: [:])
            Issue.record("loading \(path) succeeded")
        } catch {
            #expect(error.code == .unreadableFile)
            #expect(error.description == "\(path): cannot read the configuration file: \(reason)")
        }
    }

    @Test("a file's errors carry its path")
    func errorsNameTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-config-\(UInt64.random(in: 0 ... .max)).yaml").path
        try "server:\n  threds: 2\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try ConfigLoader.load(path: path, environment: [:])
            Issue.record("a bad file loaded")
        } catch {
            #expect(error.description == #"\#(path):2:3: server: unknown key "threds" (did you mean "threads"?)"#)
        }
    }

    @Test("an empty document gives the defaults")
    func emptyDocument() throws {
        let config = try parseConfig("# nothing configured yet\n")
        #expect(config == KeelConfig())
        #expect(config.server.maxBodyBytes == 16_777_216)
        #expect(config.server.maxConnections == 1024)
        #expect(config.server.idleTimeout == .seconds(60))
        #expect(config.server.shutdownTimeout == .seconds(30))
        #expect(config.storage.flushInterval == .milliseconds(100))
        #expect(config.server.effectiveThreadCount >= 1)
    }

    @Test("every documented key is decoded")
    func fullDocument() throws {
        let config = try parseConfig("""
        server:
          listen: 0.0.0.0:8080
          master_key: sk-admin
          max_body_bytes: 1_048_576
          max_connections: 10
          idle_timeout_s: 0
          shutdown_timeout_s: 5
          threads: 3
          busy_poll_us: 200
          log_level: warning
        storage:
          url: "sqlite::memory:"
          flush_interval_ms: 250
        providers:
          azure:
            kind: azure
            base_url: https://acme.openai.azure.com/
            api_key: az-key
            headers: {x-team: search}
          bedrock:
            kind: bedrock
            region: eu-west-1
            access_key_id: AKIA123
            secret_access_key: secret
            session_token: token
            timeout_ms: 5000
          gemini: {kind: gemini, api_key: g-key}
        models:
          - name: main
            routes:
              - {provider: azure, model: deploy-1, weight: 0}
              - {provider: bedrock, model: anthropic.claude, weight: 4, timeout_ms: 1000, first_token_timeout_ms: 200}
            strategy: least-busy
            retries: 0
            fallbacks: [backup]
            context_window_fallbacks: [backup]
            content_policy_fallbacks: []
            hedge_after_ms: 300
            queue_timeout_ms: 0
            cache: {ttl_s: 600}
            pricing: {input_per_million: 1, output_per_million: 2.5, cached_input_per_million: 0.1, cache_write_per_million: 1.25}
          - name: backup
            routes: [{provider: gemini, model: gemini-2.0-flash}]
        """)

        #expect(config.server == ServerConfig(
            listen: ListenAddress(host: "0.0.0.0", port: 8080), masterKey: Secret("sk-admin"),
            maxBodyBytes: 1_048_576, maxConnections: 10, idleTimeout: .zero, shutdownTimeout: .seconds(5),
            threads: 3, busyPoll: .microseconds(200), logLevel: .warning
        ))
        #expect(config.server.effectiveThreadCount == 3)
        #expect(config.storage == StorageConfig(url: .sqlite(path: ":memory:"), flushInterval: .milliseconds(250)))
        #expect(config.storage.url.isInMemory)
        #expect(config.provider(named: "azure") == ProviderConfig(
            name: "azure", kind: .azure, baseURL: "https://acme.openai.azure.com", apiKey: Secret("az-key"),
            apiVersion: "2024-10-21", headers: ["x-team": "search"]
        ))
        #expect(config.provider(named: "bedrock") == ProviderConfig(
            name: "bedrock", kind: .bedrock, region: "eu-west-1", accessKeyID: Secret("AKIA123"),
            secretAccessKey: Secret("secret"), sessionToken: Secret("token"), timeout: .seconds(5)
        ))
        #expect(config.provider(named: "bedrock")?.baseURL == "https://bedrock-runtime.eu-west-1.amazonaws.com")
        #expect(config.provider(named: "gemini")?.baseURL == "https://generativelanguage.googleapis.com")
        #expect(config.models.first == ModelConfig(
            name: "main",
            routes: [
                RouteConfig(provider: "azure", model: "deploy-1", weight: 0),
                RouteConfig(provider: "bedrock", model: "anthropic.claude", weight: 4,
                            timeout: .seconds(1), firstTokenTimeout: .milliseconds(200)),
            ],
            strategy: .leastBusy, retries: 0, fallbacks: ["backup"], contextWindowFallbacks: ["backup"],
            contentPolicyFallbacks: [], hedgeAfter: .milliseconds(300), queueTimeout: .zero,
            cache: CacheConfig(ttl: .seconds(600)),
            pricing: ModelPricing(inputPerMillion: 1, outputPerMillion: 2.5, cachedInputPerMillion: 0.1, cacheWritePerMillion: 1.25)
        ))
        #expect(config.models.last?.strategy == .weighted)
        #expect(config.models.last?.retries == 2)
        #expect(config.models.last?.routes.first?.weight == 1)
    }
}
