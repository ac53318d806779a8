import Foundation
import KeelConfig
import KeelCore
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

@Suite("Application")
struct ApplicationTests {
    @Test func healthReadinessAndMetrics() async throws {
        try await withTestApplication { app, _ in
            let port = app.port
            try await onThread {
                let c = try RawHTTPConnection(port: port)
                let health = try c.request("GET", "/healthz")
                #expect(health.status == 200)
                #expect(health.bodyText == #"{"status":"ok"}"#)
                #expect(health.header("x-request-id") != nil)

                let ready = try c.request("GET", "/readyz")
                #expect(ready.status == 200)
                #expect(ready.bodyText.contains(#""store":"ok""#))

                #expect(try c.request("GET", "/no/such/route").status == 404)

                let metrics = try c.request("GET", "/metrics")
                #expect(metrics.status == 200)
                #expect(metrics.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = metrics.bodyText
                for name in ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds"] {
                    #expect(text.contains("\n\(name) ") || text.hasPrefix("\(name) "), "missing \(name)")
                }
                #expect(text.contains(#"http_server_request_duration_seconds_count{http_request_method="GET",http_route="/healthz",http_response_status_code="200"} 1"#))
                #expect(text.contains(#"http_route="/readyz""#))
                // Unmatched paths are one label value, never the raw path.
                #expect(text.contains(#"http_route="unmatched",http_response_status_code="404""#))
                #expect(!text.contains("/no/such/route"))
            }
        }
    }

    @Test func metricsAndLogsCarryTheStatusOfEveryErrorType() async throws {
        try await withTestApplication(configure: { $0.server.masterKey = Secret("sk-status-test") }) { app, logs in
            let port = app.port
            try await onThread {
                let c = try RawHTTPConnection(port: port)
                // A gateway error that is not an HTTPError (model not found) answers 404 and is counted as 404.
                #expect(try c.request("GET", "/v1/models/nope", headers: [("authorization", "Bearer sk-status-test")]).status == 404)
                let text = try c.request("GET", "/metrics").bodyText
                #expect(text.contains(#"http_route="/v1/models/{id}",http_response_status_code="404""#))
                #expect(!text.contains(#"http_response_status_code="500""#))
            }
            #expect(logs().contains { $0.contains(#""route":"/v1/models/{id}""#) && $0.contains(#""status":"404""#) })
        }
    }

    @Test func readinessFailsWhenTheStoreIsNotWritable() async throws {
        try await withTestApplication { app, _ in
            await app.store.shutdown()
            let port = app.port
            let r = try await onThread { try RawHTTPConnection(port: port).request("GET", "/readyz") }
            #expect(r.status == 503)
            #expect(r.bodyText.contains("not_ready"))
            let h = try await onThread { try RawHTTPConnection(port: port).request("GET", "/healthz") }
            #expect(h.status == 200)
        }
    }

    @Test func shutdownFlushesEverythingAcceptedIntoTheStore() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keel.db"
        var config = KeelConfig()
        config.server.listen = ListenAddress(host: "127.0.0.1", port: 0)
        config.storage = StorageConfig(url: .sqlite(path: path), flushInterval: .seconds(3600))
        let (sink, _) = LogSink.memory()
        let app = try buildApplication(config: config, logger: Logger(label: "t", sink: sink))
        try app.start()
        for i in 0..<2500 {
            app.store.record(RequestLogEntry(id: "r\(i)", inboundAPI: "openai.chat_completions", model: "m"))
        }
        // Full batches (512) may already be on disk; the 452-entry tail waits for the hour-long
        // flush interval, so only shutdown can write it.
        #expect(app.store.stats.written <= 2048)
        await app.shutdown()
        let reopened = try SQLiteStore(path: path, logger: Logger(label: "t", sink: sink))
        var seen = 0
        var cursor: RequestLogCursor?
        while true {
            let page = try await reopened.requests(RequestLogQuery(limit: 1000, before: cursor))
            seen += page.count
            guard let last = page.last, page.count == 1000 else { break }
            cursor = RequestLogCursor(after: last)
        }
        await reopened.shutdown()
        #expect(seen == 2500)
    }

    @Test func secretsNeverReachTheLogs() async throws {
        let secret = "sk-keel-test-secret-4f9a2c"
        try await withTestApplication(configure: { $0.server.masterKey = Secret(secret) }, logLevel: .trace) { app, logs in
            let port = app.port
            try await onThread {
                let c = try RawHTTPConnection(port: port)
                _ = try c.request("GET", "/healthz", headers: [("authorization", "Bearer \(secret)")])
                _ = try c.request("GET", "/missing", headers: [("x-api-key", secret)])
            }
            let text = logs().joined()
            #expect(!text.isEmpty)
            #expect(!text.contains(secret))
            #expect(!String(describing: app.config).contains(secret))
        }
    }

    @Test func oversizedBodiesGetA413InTheRoutesShape() async throws {
        try await withTestApplication(configure: { $0.server.maxBodyBytes = 100 }) { app, _ in
            let port = app.port
            try await onThread {
                let big = [UInt8](repeating: 0x20, count: 500)
                let openAI = try RawHTTPConnection(port: port).request("POST", "/v1/chat/completions", body: big)
                #expect(openAI.status == 413)
                #expect(openAI.bodyText.hasPrefix(#"{"error":{"message":"Request body is larger than the limit of 100 bytes.""#))
                let anthropic = try RawHTTPConnection(port: port).request("POST", "/v1/messages", body: big)
                #expect(anthropic.status == 413)
                #expect(anthropic.bodyText.hasPrefix(#"{"type":"error","error":{"type":"request_too_large""#))
                #expect(anthropic.header("x-request-id") != nil)
            }
        }
    }

    @Test func postgresStorageIsRefusedClearly() throws {
        var config = KeelConfig()
        config.storage.url = .postgres(url: "postgres://keel:pw@127.0.0.1:5432/keel")
        #expect(throws: StartupError.self) { _ = try buildApplication(config: config, logger: Logger(label: "t", sink: LogSink.memory().0)) }
    }

    @Test func aBusyPortIsAStartupError() async throws {
        try await withTestApplication { app, _ in
            var config = KeelConfig()
            config.server.listen = ListenAddress(host: "127.0.0.1", port: app.port)
            config.storage.url = .sqlite(path: StorageURL.memoryPath)
            let second = try buildApplication(config: config, logger: Logger(label: "t", sink: LogSink.memory().0))
            #expect(throws: StartupError.self) { try second.start() }
            await second.store.shutdown()
        }
    }
}

@Suite("Authentication and models")
struct AuthAndModelsTests {
    static let key = "sk-keel-test-master-0001"

    static func configure(_ config: inout KeelConfig) {
        config.server.masterKey = Secret(key)
        config.providers = [ProviderConfig(name: "openai", kind: .openai)]
        config.models = [
            ModelConfig(name: "gpt-4o-mini", routes: [RouteConfig(provider: "openai", model: "gpt-4o-mini")]),
            ModelConfig(name: "team/claude", routes: [RouteConfig(provider: "openai", model: "x")]),
        ]
    }

    @Test func modelsNeedAValidKeyInEitherHeader() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let port = app.port
            try await onThread {
                let c = try RawHTTPConnection(port: port)
                let missing = try c.request("GET", "/v1/models")
                #expect(missing.status == 401)
                let error = try #require(try JSONSerialization.jsonObject(with: Data(missing.body)) as? [String: Any])
                #expect((error["error"] as? [String: Any])?["code"] as? String == "invalid_api_key")
                let wrong = try c.request("GET", "/v1/models", headers: [("authorization", "Bearer sk-wrong")])
                #expect(wrong.status == 401)
                #expect(!wrong.bodyText.contains("sk-wrong"))
                // Anthropic-shaped 401 on /v1/messages.
                let anthropic = try c.request("POST", "/v1/messages", headers: [("x-api-key", "nope")], body: Array("{}".utf8))
                #expect(anthropic.status == 401)
                #expect(anthropic.bodyText.hasPrefix(#"{"type":"error","error":{"type":"authentication_error""#))

                let bearer = try c.request("GET", "/v1/models", headers: [("authorization", "Bearer \(Self.key)")])
                #expect(bearer.status == 200)
                let list = try #require(try JSONSerialization.jsonObject(with: Data(bearer.body)) as? [String: Any])
                #expect(list["object"] as? String == "list")
                let ids = (list["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                #expect(ids == ["gpt-4o-mini", "team/claude"])

                let xAPIKey = try c.request("GET", "/v1/models/gpt-4o-mini", headers: [("x-api-key", Self.key)])
                #expect(xAPIKey.status == 200)
                #expect(xAPIKey.bodyText.contains(#""id":"gpt-4o-mini","object":"model""#))

                // Operations endpoints stay open.
                #expect(try c.request("GET", "/healthz").status == 200)
            }
        }
    }

    @Test func unknownModelsAre404AndAnthropicClientsGetTheirShape() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let port = app.port
            try await onThread {
                let c = try RawHTTPConnection(port: port)
                let auth = ("authorization", "Bearer \(Self.key)")
                let missing = try c.request("GET", "/v1/models/nope", headers: [auth])
                #expect(missing.status == 404)
                #expect(missing.bodyText.contains(#""code":"model_not_found""#))
                let list = try c.request("GET", "/v1/models", headers: [("x-api-key", Self.key), ("anthropic-version", "2023-06-01")])
                #expect(list.status == 200)
                #expect(list.bodyText.contains(#""type":"model","id":"gpt-4o-mini""#))
                #expect(list.bodyText.contains(#""has_more":false"#))
                let one = try c.request("GET", "/v1/models/nope", headers: [("x-api-key", Self.key), ("anthropic-version", "2023-06-01")])
                #expect(one.status == 404)
                #expect(one.bodyText.hasPrefix(#"{"type":"error","error":{"type":"not_found_error""#))
            }
        }
    }

    @Test func withoutAMasterKeyTheDataPlaneIsClosed() async throws {
        try await withTestApplication { app, _ in
            let port = app.port
            let r = try await onThread { try RawHTTPConnection(port: port).request("GET", "/v1/models", headers: [("authorization", "Bearer anything")]) }
            #expect(r.status == 401)
            #expect(r.bodyText.contains("no API keys configured"))
        }
    }
}
