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
