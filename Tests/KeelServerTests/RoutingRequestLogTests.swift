import Foundation
import KeelCore
import KeelTestSupport
import Testing
@testable import KeelStore

/// The request log's routing columns (schema version 2): attempts and the cache verdict.
@Suite("Routing: attempts in the request log")
struct RoutingRequestLogTests {
    @Test func aVersion1DatabaseIsUpgradedAndItsRowsKeepTheirValues() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keel.db"
        do {
            let db = try SQLiteConnection(filename: path, mode: .readWrite)
            _ = try SQLiteStore.migrate(db, migrations: [SQLiteStore.migrations[0]])
            try db.execute("""
            INSERT INTO requests (id, time, inbound_api, model, status, latency_ms, stream)
            VALUES ('old', 1700000000000, 'openai.chat_completions', 'gpt', 200, 12.5, 0)
            """)
            db.close()
        }
        let (sink, _) = LogSink.memory()
        let store = try SQLiteStore(path: path, logger: Logger(label: "test", sink: sink))
        let old = try #require(try await store.request(id: "old"))
        #expect(old.attempts.isEmpty && old.cache == nil && old.latencyMs == 12.5)

        let attempts = [
            RequestLogAttempt(provider: "azure", model: "deploy-1", status: 429, error: "Rate limit \"reached\"", latencyMs: 3.25, startedMs: 0.5),
            RequestLogAttempt(provider: "openai", model: "gpt-4o", status: 200, latencyMs: 410.125, startedMs: 4.75),
        ]
        store.record(RequestLogEntry(id: "new", inboundAPI: "openai.chat_completions", model: "gpt", attempts: attempts, cache: "miss"))
        store.record(RequestLogEntry(id: "hit", inboundAPI: "openai.chat_completions", model: "gpt", cache: "hit"))
        try await store.flush()
        let new = try #require(try await store.request(id: "new"))
        #expect(new.attempts == attempts)
        #expect(new.cache == "miss")
        let hit = try #require(try await store.request(id: "hit"))
        #expect(hit.attempts.isEmpty && hit.cache == "hit")
        await store.shutdown()
    }

    @Test func attemptsAreStoredAsJSONAndUnreadableTextReadsAsNone() throws {
        let attempt = RequestLogAttempt(provider: "p", model: "m", status: 504, error: "timed out", latencyMs: 200, startedMs: 0)
        let text = RequestLogRow.encodeAttempts([attempt])
        #expect(text == #"[{"provider":"p","model":"m","status":504,"error":"timed out","latency_ms":200.0,"started_ms":0.0}]"#)
        #expect(RequestLogRow.decodeAttempts(text) == [attempt])
        #expect(RequestLogRow.encodeAttempts([]) == "[]")
        #expect(RequestLogRow.decodeAttempts("not json").isEmpty)
        #expect(RequestLogRow.decodeAttempts(#"[{"provider":"p"}]"#).isEmpty)
        #expect(RequestLogRow.decodeAttempts(nil).isEmpty)
    }
}
