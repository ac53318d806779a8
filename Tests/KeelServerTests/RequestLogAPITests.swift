import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
@testable import KeelServer
import KeelStore
import KeelTestSupport
import Testing

@Suite("Request log API", .serialized)
struct RequestLogAPITests {
    static let key = "sk-keel-request-log-test"
    static let base: Int64 = 1_735_689_600_000  // 2025-01-01T00:00:00Z

    static func configure(_ config: inout KeelConfig) {
        config.server.masterKey = Secret(key)
        config.storage.retentionDays = 0  // the seeded entries are from 2025
    }

    static func get(_ app: Application, _ target: String, authorized: Bool = true) async throws -> RawHTTPConnection.Response {
        let port = app.port
        return try await onThread {
            let connection = try RawHTTPConnection(port: port)
            connection.setReadTimeout(seconds: 10)
            return try connection.request("GET", target, headers: authorized ? [("authorization", "Bearer \(key)")] : [])
        }
    }

    static func ids(_ response: RawHTTPConnection.Response) throws -> [String] {
        try #require(try JSONValue(parsing: response.body)["data"]?.arrayValue).compactMap { $0["id"]?.stringValue }
    }

    /// Ten entries a minute apart (r0 oldest … r9 newest), with varied models, providers, teams,
    /// keys, statuses, latencies and errors.
    static func seed(_ store: any Store) async throws {
        for i in 0..<10 {
            var metadata: [String: String] = [RequestLogEntry.MetadataKey.team: i % 2 == 0 ? "search" : "support"]
            if i % 3 == 0 { metadata[RequestLogEntry.MetadataKey.keyID] = "key_\(i % 2)" }
            if i == 4 { metadata[RequestLogEntry.MetadataKey.costUSD] = "0.0125" }
            store.record(RequestLogEntry(
                id: "r\(i)", time: base + Int64(i) * 60_000, inboundAPI: "openai.chat_completions",
                model: i < 5 ? "gpt-4o-mini" : "claude-haiku", provider: i % 2 == 0 ? "openai" : "anthropic", upstreamModel: "up-\(i)",
                status: [200, 200, 429, 200, 503, 200, 400, 200, 502, 200][i], latencyMs: Double(i * 100),
                inputTokens: 10 + i, outputTokens: 5,
                errorMessage: [2: "Rate limit reached (100%)", 4: "upstream OVERLOADED", 6: "bad_request: tools", 8: "Keel could not reach the provider"][i],
                metadata: metadata,
                attempts: i == 4 ? [
                    RequestLogAttempt(provider: "openai", model: "up-4", status: 503, error: "overloaded", latencyMs: 12, startedMs: 0.5),
                    RequestLogAttempt(provider: "openai", model: "up-4", status: 503, error: "overloaded", latencyMs: 10, startedMs: 60),
                ] : []
            ))
        }
        try await store.flush()
    }

    @Test("filters: time, model, provider, team, key, status and classes, latency, error text")
    func filters() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            try await Self.seed(app.store)
            let cases: [(String, [String])] = [
                ("", ["r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"]),
                ("?model=gpt-4o-mini", ["r4", "r3", "r2", "r1", "r0"]),
                ("?provider=anthropic", ["r9", "r7", "r5", "r3", "r1"]),
                ("?team=search&model=claude-haiku", ["r8", "r6"]),
                ("?key=key_0", ["r6", "r0"]),
                ("?status=200&provider=openai", ["r0"]),
                ("?status=5xx", ["r8", "r4"]),
                ("?status=4XX", ["r6", "r2"]),
                ("?min_latency_ms=700", ["r9", "r8", "r7"]),
                ("?error_contains=overloaded", ["r4"]),
                ("?error_contains=100%25", ["r2"]),
                ("?error_contains=_", ["r6"]),
                ("?from=2025-01-01T00:03:00Z&to=2025-01-01T00:05:00Z", ["r4", "r3"]),
                ("?from=1735689780&to=1735689900", ["r4", "r3"]),
                ("?from=2025-01-01T01:03:00%2B01:00&to=2025-01-01T00:04:00.000Z", ["r3"]),
            ]
            for (query, expected) in cases {
                let response = try await Self.get(app, "/admin/requests" + query)
                #expect(response.status == 200, "\(query): \(response.bodyText)")
                #expect(try Self.ids(response) == expected, "\(query)")
            }
            let page = try JSONValue(parsing: try await Self.get(app, "/admin/requests?model=gpt-4o-mini&limit=1").body)
            let first = try #require(page["data"]?.arrayValue?.first)
            #expect(first["id"]?.stringValue == "r4")
            #expect(first["created_at"]?.stringValue == "2025-01-01T00:04:00.000Z")
            #expect(first["status"]?.intValue == 503)
            #expect(first["usage"]?["input_tokens"]?.intValue == 14)
            #expect(first["cost_usd"]?.doubleValue == 0.0125)
            #expect(first["team"]?.stringValue == "search")
            #expect(first["attempt_count"]?.intValue == 2)
            #expect(page["has_more"]?.boolValue == true)
        }
    }

    @Test("cursor pagination is stable and newest first, also across entries of the same millisecond")
    func pagination() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            // Seven entries; three share one millisecond.
            let times: [Int64] = [5, 4, 4, 4, 3, 2, 1]
            for (i, t) in times.enumerated() {
                app.store.record(RequestLogEntry(id: "p\(i)", time: Self.base + t, inboundAPI: "openai.chat_completions", model: "m"))
            }
            try await app.store.flush()
            let (seen, pages) = try await Self.walk(app, "/admin/requests?limit=3")
            #expect(pages == 3)
            #expect(seen == ["p0", "p3", "p2", "p1", "p4", "p5", "p6"])
        }
    }

    /// Follows `next_cursor` from `target` to the last page; returns the ids seen and the page count.
    static func walk(_ app: Application, _ target: String) async throws -> ([String], Int) {
        var seen: [String] = []
        var next: String? = nil
        var pages = 0
        while pages < 10 {
            let url = next == nil ? target : target + "&cursor=" + next!
            let response = try await get(app, url)
            #expect(response.status == 200, "\(response.bodyText)")
            let body = try JSONValue(parsing: response.body)
            seen += try ids(response)
            next = body["next_cursor"]?.stringValue
            #expect((body["has_more"]?.boolValue ?? false) == (next != nil))
            pages += 1
            // A request arriving between pages does not shift later pages.
            if pages == 1 { app.store.record(RequestLogEntry(id: "late", time: base + 10, inboundAPI: "openai.chat_completions", model: "m")) }
            if next == nil { break }
        }
        return (seen, pages)
    }

    @Test("bad parameters are 400s in the OpenAI error shape; no key is a 401")
    func badParameters() async throws {
        let cases: [(String, String)] = [
            ("limit=0", "invalid_limit"), ("limit=501", "invalid_limit"), ("limit=ten", "invalid_limit"),
            ("status=6xx", "invalid_status"), ("status=99", "invalid_status"), ("status=2x", "invalid_status"),
            ("from=yesterday", "invalid_from"), ("to=2025-13-01T00:00:00Z", "invalid_to"), ("from=2025-01-01T00:00:00", "invalid_from"),
            ("from=20&to=10", "invalid_from"),
            ("min_latency_ms=-1", "invalid_min_latency_ms"), ("min_latency_ms=fast", "invalid_min_latency_ms"),
            ("cursor=%21%21", "invalid_cursor"), ("cursor=bm90LWEtY3Vyc29y", "invalid_cursor"),
            ("modle=gpt-4o", "unknown_parameter"), ("model=a&model=b", "invalid_model"), ("model=", "invalid_model"),
        ]
        try await withTestApplication(configure: Self.configure) { app, _ in
            for (query, code) in cases {
                let response = try await Self.get(app, "/admin/requests?" + query)
                #expect(response.status == 400, "\(query): \(response.bodyText)")
                let error = try JSONValue(parsing: response.body)["error"]
                #expect(error?["code"]?.stringValue == code, "\(query): \(response.bodyText)")
                #expect(error?["message"]?.stringValue?.isEmpty == false)
                #expect(error?["param"]?.stringValue != nil)
            }
            #expect(try await Self.get(app, "/admin/requests", authorized: false).status == 401)
            #expect(try await Self.get(app, "/admin/requests/r1", authorized: false).status == 401)
        }
    }

    @Test("the detail shows attempts, timings, usage, cost, guardrail findings and the request's feedback")
    func detail() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            try await Self.seed(app.store)
            app.store.record(RequestLogEntry(
                id: "g1", inboundAPI: "anthropic.messages", model: "claude-haiku", provider: "anthropic", status: 200, latencyMs: 321.5,
                timeToFirstTokenMs: 45.25, inputTokens: 12, outputTokens: 7, cachedInputTokens: 4, stream: true,
                metadata: [RequestLogEntry.MetadataKey.guardrailFindings: #"[{"stage":"input","detector":"pii","action":"redact","types":["EMAIL"]}]"#, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"]
            ))
            try await app.store.flush()
            let feedback = try await GatewayPassthroughTests.post(app.port, "/v1/feedback", #"{"request_id":"r4","score":-1,"label":"bad","comment":"too slow"}"#, headers: [("authorization", "Bearer \(Self.key)")])
            #expect(feedback.status == 201)

            let r4 = try JSONValue(parsing: try await Self.get(app, "/admin/requests/r4").body)
            #expect(r4["id"]?.stringValue == "r4")
            #expect(r4["error"]?.stringValue == "upstream OVERLOADED")
            #expect(r4["timings"]?["latency_ms"]?.doubleValue == 400)
            let attempts = try #require(r4["attempts"]?.arrayValue)
            #expect(attempts.map { $0["status"]?.intValue } == [503, 503])
            #expect(attempts[1]["started_ms"]?.doubleValue == 60)
            #expect(r4["cost_usd"]?.doubleValue == 0.0125)
            let scores = try #require(r4["feedback"]?.arrayValue)
            #expect(scores.count == 1)
            #expect(scores.first?["label"]?.stringValue == "bad")
            #expect(scores.first?["score"]?.doubleValue == -1)

            let g1 = try JSONValue(parsing: try await Self.get(app, "/admin/requests/g1").body)
            #expect(g1["timings"]?["time_to_first_token_ms"]?.doubleValue == 45.25)
            #expect(g1["usage"]?["cached_input_tokens"]?.intValue == 4)
            #expect(g1["stream"]?.boolValue == true)
            #expect(g1["trace_id"]?.stringValue == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(g1["guardrail_findings"]?.arrayValue?.first?["detector"]?.stringValue == "pii")
            #expect(g1["feedback"]?.arrayValue?.isEmpty == true)

            let missing = try await Self.get(app, "/admin/requests/nope")
            #expect(missing.status == 404)
            #expect(try JSONValue(parsing: missing.body)["error"]?["code"]?.stringValue == "request_not_found")
        }
    }

    @Test("a team scope narrows the list and hides other teams' requests")
    func scope() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            try await Self.seed(app.store)
            let routes = RequestLogRoutes(store: app.store, feedback: nil)
            let scoped = RequestLogScope(team: "support")
            let list = try await routes.list(Request(method: "GET", path: "/admin/requests", query: [("status", "2xx")]), scope: scoped)
            #expect(try JSONValue(parsing: Self.bytes(list))["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["r9", "r7", "r5", "r3", "r1"])
            let other = try await routes.list(Request(method: "GET", path: "/admin/requests", query: [("team", "search")]), scope: scoped)
            #expect(try JSONValue(parsing: Self.bytes(other))["data"]?.arrayValue?.isEmpty == true)
            var hidden = false
            do { _ = try await routes.detail(id: "r0", scope: scoped) } catch is HTTPError { hidden = true }
            #expect(hidden)
            #expect(try await routes.detail(id: "r1", scope: scoped).status == 200)
        }
    }

    static func bytes(_ response: Response) -> [UInt8] {
        if case .bytes(let bytes) = response.body { return bytes }
        return []
    }

    @Test("RFC 3339 parsing")
    func rfc3339() {
        #expect(RequestLogRoutes.parseRFC3339("1970-01-01T00:00:00Z") == 0)
        #expect(RequestLogRoutes.parseRFC3339("2025-01-01T00:00:00.5Z") == Self.base + 500)
        #expect(RequestLogRoutes.parseRFC3339("2024-02-29T12:00:00-02:30") == 1_709_217_000_000)
        #expect(RequestLogRoutes.parseRFC3339("2025-01-01 00:00:00z") == Self.base)
        #expect(RequestLogRoutes.parseRFC3339("2025-01-01T00:00:00") == nil)
        #expect(RequestLogRoutes.parseRFC3339("2025-01-01T00:00:00+0100") == nil)
        #expect(RequestLogRoutes.parseRFC3339("2025-01-01T00:00:00.Z") == nil)
        let cursor = RequestLogCursor(time: Self.base, id: "req/+=:x")
        #expect(RequestLogRoutes.decodeCursor(RequestLogRoutes.encodeCursor(cursor)) == cursor)
    }
}

@Suite("Request log retention", .serialized)
struct RequestLogAPIRetentionTests {
    @Test("retention deletes entries older than the limit, in batches, and keeps the rest")
    func deletesOldRowsOnly() async throws {
        let store = try SQLiteStore(path: ":memory:", logger: Logger(label: "test", level: .critical))
        let day: Int64 = 86_400_000
        let now: Int64 = 1_735_689_600_000
        for i in 0..<7 {
            store.record(RequestLogEntry(id: "old\(i)", time: now - 31 * day - Int64(i), inboundAPI: "openai.chat_completions", model: "m"))
        }
        store.record(RequestLogEntry(id: "edge", time: now - 30 * day, inboundAPI: "openai.chat_completions", model: "m"))
        store.record(RequestLogEntry(id: "new", time: now - day, inboundAPI: "openai.chat_completions", model: "m"))
        store.record(RequestLogEntry(id: "future", time: now + day, inboundAPI: "openai.chat_completions", model: "m"))
        try await store.flush()
        let retention = RequestLogRetention(days: 30, store: store, batchSize: 3, logger: Logger(label: "test", level: .critical))
        #expect(retention.cutoff(now: now) == now - 30 * day)
        #expect(try await retention.enforce(now: now) == 7)
        #expect(try await store.requests(RequestLogQuery()).map(\.id) == ["future", "new", "edge"])
        #expect(try await retention.enforce(now: now) == 0)
        // A day later the edge entry is out of the window too.
        #expect(try await retention.enforce(now: now + day) == 1)
        #expect(try await store.requests(RequestLogQuery()).map(\.id) == ["future", "new"])
        await store.shutdown()
        var closed = false
        do { _ = try await store.pruneRequests(before: now, limit: 10) } catch is StoreError { closed = true }
        #expect(closed)
    }

    @Test("the periodic task enforces at start and on every tick of its clock")
    func periodic() async throws {
        let store = try SQLiteStore(path: ":memory:", logger: Logger(label: "test", level: .critical))
        let day: Int64 = 86_400_000
        let clock = ManualSleepClock()
        let now = Locked<Int64>(10_000 * day)
        store.record(RequestLogEntry(id: "a", time: 10_000 * day - 2 * day, inboundAPI: "openai.chat_completions", model: "m"))
        store.record(RequestLogEntry(id: "b", time: 10_000 * day - day / 2, inboundAPI: "openai.chat_completions", model: "m"))
        try await store.flush()
        let retention = RequestLogRetention(days: 1, store: store, interval: .seconds(3600), logger: Logger(label: "test", level: .critical))
        retention.start(clock: clock, now: { now.value })
        try await clock.waitForSleepers(1)
        #expect(try await store.requests(RequestLogQuery()).map(\.id) == ["b"])
        now.value += day
        clock.advance(by: .seconds(3600))
        try await clock.waitForSleepers(1, after: 1)
        #expect(try await store.requests(RequestLogQuery()).isEmpty)
        await retention.stop()
        await store.shutdown()
    }

    @Test("retention_days: default 30, 0 keeps everything, bounds checked")
    func configuration() throws {
        #expect(StorageConfig().retentionDays == 30)
        let loaded = try ConfigLoader.parse(yaml: "storage:\n  url: \"sqlite::memory:\"\n  retention_days: 0\n", fileName: "keel.yaml", environment: [:])
        #expect(loaded.storage.retentionDays == 0)
        #expect(throws: (any Error).self) { try ConfigLoader.parse(yaml: "storage:\n  retention_days: -1\n", fileName: "keel.yaml", environment: [:]) }
    }
}

