import Foundation
import KeelCore
@testable import KeelStore
import Testing

@Suite("Request log: captured content")
struct RequestLogContentTests {
    static let content = RequestLogContent(
        input: #"[{"role":"user","parts":[{"type":"text","content":"mail [EMAIL_1]"}]}]"#,
        output: #"[{"role":"assistant","parts":[{"type":"text","content":"ok"}],"finish_reason":"stop"}]"#,
        inputTruncated: true, outputTruncated: false, redaction: "pii"
    )

    @Test("content round-trips through its own table; list reads leave it out; entries without it have none")
    func roundTrip() async throws {
        let store = try SQLiteStore(path: ":memory:", logger: memoryLogger().0)
        var captured = sampleEntry(1)
        captured.content = Self.content
        store.record(captured)
        store.record(sampleEntry(2))
        try await store.flush()

        let read = try #require(try await store.request(id: captured.id))
        #expect(read == captured)
        #expect(read.content == Self.content)
        #expect(try await store.request(id: sampleEntry(2).id)?.content == nil)
        let listed = try await store.requests(RequestLogQuery())
        #expect(listed.count == 2)
        #expect(listed.allSatisfy { $0.content == nil })

        // An entry recorded again with new content replaces the old content.
        captured.content?.output = nil
        store.record(captured)
        try await store.flush()
        #expect(try await store.request(id: captured.id)?.content?.output == nil)
        await store.shutdown()
    }

    @Test("retention deletes the content with its entry")
    func retention() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        let store = try SQLiteStore(path: path, logger: memoryLogger().0)
        let old: Int64 = 1_700_000_000_000
        for i in 0..<4 {
            var entry = sampleEntry(i, time: i < 3 ? old : old + 40 * 86_400_000)
            entry.content = Self.content
            store.record(entry)
        }
        try await store.flush()
        let retention = RequestLogRetention(days: 30, store: store, batchSize: 2, logger: memoryLogger().0)
        #expect(try await retention.enforce(now: old + 45 * 86_400_000) == 3)
        #expect(try await store.request(id: sampleEntry(0).id) == nil)
        #expect(try await store.request(id: sampleEntry(3).id)?.content == Self.content)
        await store.shutdown()

        let db = try SQLiteConnection(filename: path, mode: .readOnly)
        #expect(try db.scalarInt("SELECT COUNT(*) FROM request_content") == 1)
        #expect(try db.scalarText("SELECT request_id FROM request_content") == sampleEntry(3).id)
        db.close()
    }
}
