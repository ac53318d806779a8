import Foundation
import KeelCore
import Testing
@testable import KeelStore

@Suite("SQLiteStore")
struct SQLiteStoreTests {
    @Test("record, flush and read back every field, including nil ones and metadata")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("keel.db"), logger: memoryLogger().0)
        let full = sampleEntry(7, status: 429)
        let minimal = RequestLogEntry(
            id: "minimal",
            time: 1_700_000_000_500,
            inboundAPI: "anthropic.messages",
            model: "claude-sonnet",
            status: 502,
            latencyMs: 3
        )
        let awkward = RequestLogEntry(
            id: "awkward \"id\" ✓",
            time: 1_700_000_001_000,
            inboundAPI: "openai.responses",
            model: "",
            provider: "",
            status: 200,
            latencyMs: 0.125,
            inputTokens: 0,
            stream: true,
            errorMessage: "line one\nline two\t\"quoted\"",
            metadata: ["quote\"key": "back\\slash", "emoji": "🦀", "empty": "", "newline": "a\nb"]
        )
        for entry in [full, minimal, awkward] { store.record(entry) }
        try await store.flush()

        #expect(try await store.request(id: full.id) == full)
        #expect(try await store.request(id: minimal.id) == minimal)
        #expect(try await store.request(id: awkward.id) == awkward)
        #expect(try await store.request(id: "missing") == nil)
        let all = try await store.requests(RequestLogQuery())
        #expect(all.map(\.id) == [awkward.id, minimal.id, full.id])
        #expect(store.stats == StoreStats(queued: 0, written: 3, failedBatches: 0, dropped: 0))
        await store.shutdown()
    }

    @Test("recording an id again keeps the latest entry")
    func duplicateIdReplaces() async throws {
        let store = try SQLiteStore(path: ":memory:", logger: memoryLogger().0)
        var entry = sampleEntry(1)
        store.record(entry)
        entry.status = 503
        store.record(entry)
        try await store.flush()
        #expect(try await store.requests(RequestLogQuery()) == [entry])
        await store.shutdown()
    }

    @Test("filters by time range, model and status, newest first")
    func filters() async throws {
        let store = try SQLiteStore(path: ":memory:", logger: memoryLogger().0)
        let entries = Self.fixture()
        for entry in entries.shuffled() { store.record(entry) }
        try await store.flush()

        let newestFirst = Self.newestFirst(entries)
        #expect(try await store.requests(RequestLogQuery(limit: 1000)) == newestFirst)

        let claude = try await store.requests(RequestLogQuery(model: "claude"))
        #expect(claude == newestFirst.filter { $0.model == "claude" })
        #expect(claude.count == 10)

        let failures = try await store.requests(RequestLogQuery(status: 500))
        #expect(failures == newestFirst.filter { $0.status == 500 })
        #expect(failures.count == 6)

        let window = try await store.requests(RequestLogQuery(since: Self.base + 2000, until: Self.base + 5000))
        #expect(window == newestFirst.filter { $0.time >= Self.base + 2000 && $0.time < Self.base + 5000 })
        #expect(window.count == 9)

        let combined = try await store.requests(RequestLogQuery(since: Self.base + 3000, model: "gpt-4o", status: 200))
        #expect(combined == newestFirst.filter { $0.time >= Self.base + 3000 && $0.model == "gpt-4o" && $0.status == 200 })
        #expect(!combined.isEmpty)

        #expect(try await store.requests(RequestLogQuery(model: "no-such-model")).isEmpty)
        #expect(try await store.requests(RequestLogQuery(limit: 4)) == Array(newestFirst.prefix(4)))
        #expect(try await store.requests(RequestLogQuery(limit: 0)).count == 1)
        #expect(RequestLogQuery(limit: 5000).effectiveLimit == RequestLogQuery.maximumLimit)
        #expect(RequestLogQuery().effectiveLimit == 100)
        await store.shutdown()
    }

    @Test("cursor pagination visits every entry once, also across entries sharing a millisecond")
    func cursorPagination() async throws {
        let store = try SQLiteStore(path: ":memory:", logger: memoryLogger().0)
        let entries = Self.fixture()
        for entry in entries { store.record(entry) }
        try await store.flush()

        for model in [nil, "gpt-4o"] as [String?] {
            var pages: [[RequestLogEntry]] = []
            var query = RequestLogQuery(model: model, limit: 7)
            while true {
                let page = try await store.requests(query)
                if page.isEmpty { break }
                pages.append(page)
                query.before = RequestLogCursor(after: page.last!)
            }
            let expected = Self.newestFirst(entries).filter { model == nil || $0.model == model }
            #expect(pages.flatMap { $0 } == expected)
            #expect(pages.dropLast().allSatisfy { $0.count == 7 })
            #expect(pages.count == (expected.count + 6) / 7)
        }
        await store.shutdown()
    }

    @Test("10,000 entries recorded from concurrent tasks are all on disk after shutdown")
    func shutdownWritesEverything() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        let store = try SQLiteStore(path: path, logger: memoryLogger().0)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<20 {
                group.addTask {
                    for i in 0..<500 {
                        store.record(sampleEntry(task * 500 + i, time: Self.base + Int64(i)))
                    }
                }
            }
        }
        await store.shutdown()
        #expect(store.stats == StoreStats(queued: 0, written: 10_000, failedBatches: 0, dropped: 0))

        #expect(try rawConnection(path).scalarInt("SELECT COUNT(*) FROM requests") == 10_000)
        let reopened = try SQLiteStore(path: path, logger: memoryLogger().0)
        var ids = Set<String>()
        var query = RequestLogQuery(limit: 1000)
        while true {
            let page = try await reopened.requests(query)
            guard let last = page.last else { break }
            ids.formUnion(page.map(\.id))
            query.before = RequestLogCursor(after: last)
        }
        #expect(ids.count == 10_000)
        #expect(try await reopened.request(id: sampleEntry(9_999).id) == sampleEntry(9_999, time: Self.base + 499))
        await reopened.shutdown()
    }

    @Test("record only queues: entries wait for the writer and flush commits them")
    func recordDoesNotWaitForTheWriter() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        // A batch never fills and the interval never passes during the test: only flush writes.
        let store = try SQLiteStore(path: path, flushInterval: .seconds(3600), batchSize: 1_000_000, logger: memoryLogger().0)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<10 {
                group.addTask {
                    for i in 0..<1000 { store.record(sampleEntry(task * 1000 + i)) }
                }
            }
        }
        #expect(store.stats == StoreStats(queued: 10_000, written: 0, failedBatches: 0, dropped: 0))
        #expect(try rawConnection(path).scalarInt("SELECT COUNT(*) FROM requests") == 0)

        try await store.flush()
        #expect(store.stats == StoreStats(queued: 0, written: 10_000, failedBatches: 0, dropped: 0))
        await store.shutdown()
    }

    @Test("flush makes entries visible to another connection")
    func flushIsVisibleToOtherConnections() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        let store = try SQLiteStore(path: path, flushInterval: .seconds(3600), logger: memoryLogger().0)
        let other = try rawConnection(path)
        for i in 0..<5 { store.record(sampleEntry(i)) }
        #expect(try other.scalarInt("SELECT COUNT(*) FROM requests") == 0)

        try await store.flush()
        #expect(try other.scalarInt("SELECT COUNT(*) FROM requests") == 5)
        #expect(try other.scalarText("SELECT metadata FROM requests WHERE id = 'req-000001'") == #"{"key_name":"team-1"}"#)
        #expect(try await store.requests(RequestLogQuery()).count == 5)
        await store.shutdown()
    }

    @Test("a full batch is written without waiting for the flush interval")
    func fullBatchesAreWrittenAtOnce() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        let store = try SQLiteStore(path: path, flushInterval: .seconds(3600), batchSize: 100, logger: memoryLogger().0)
        for i in 0..<250 { store.record(sampleEntry(i)) }
        // Two batches fill up; the remaining 50 wait for the (hour-long) interval.
        for _ in 0..<1000 where store.stats.written < 200 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(store.stats == StoreStats(queued: 50, written: 200, failedBatches: 0, dropped: 0))
        #expect(try rawConnection(path).scalarInt("SELECT COUNT(*) FROM requests") == 200)
        await store.shutdown()
        #expect(store.stats.written == 250)
    }

    @Test("a full queue drops new entries with one warning instead of blocking or growing")
    func boundedQueue() async throws {
        let (logger, lines) = memoryLogger()
        let store = try SQLiteStore(path: ":memory:", flushInterval: .seconds(3600), batchSize: 1000, queueCapacity: 10, logger: logger)
        for i in 0..<15 { store.record(sampleEntry(i)) }
        #expect(store.stats == StoreStats(queued: 10, written: 0, failedBatches: 0, dropped: 5))
        #expect(lines().filter { $0.contains("queue is full") }.count == 1)

        try await store.flush()
        #expect(store.stats == StoreStats(queued: 0, written: 10, failedBatches: 0, dropped: 5))
        #expect(lines().contains { $0.contains("has room again") && $0.contains("\"dropped\":\"5\"") })
        #expect(try await store.requests(RequestLogQuery()).count == 10)
        await store.shutdown()
    }

    @Test("the database is in WAL mode")
    func walMode() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        let store = try SQLiteStore(path: path, logger: memoryLogger().0)
        #expect(try rawConnection(path).scalarText("PRAGMA journal_mode") == "wal")
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        await store.shutdown()
    }

    @Test("checkWritable writes the health row through the writer; false after shutdown")
    func checkWritable() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        let store = try SQLiteStore(path: path, flushInterval: .seconds(3600), logger: memoryLogger().0)
        store.record(sampleEntry(1))
        #expect(await store.checkWritable())
        #expect(await store.checkWritable())
        let db = try rawConnection(path)
        #expect(try db.scalarInt("SELECT checks FROM store_health WHERE id = 1") == 2)
        // The check is a barrier too: the entry queued before it is committed.
        #expect(try db.scalarInt("SELECT COUNT(*) FROM requests") == 1)
        await store.shutdown()
        #expect(await store.checkWritable() == false)
    }

    @Test("shutdown is idempotent; afterwards record drops with a warning and reads fail")
    func afterShutdown() async throws {
        let (logger, lines) = memoryLogger()
        let store = try SQLiteStore(path: ":memory:", flushInterval: .seconds(3600), logger: logger)
        store.record(sampleEntry(1))
        async let first: Void = store.shutdown()
        async let second: Void = store.shutdown()
        _ = await (first, second)
        await store.shutdown()
        #expect(store.stats == StoreStats(queued: 0, written: 1, failedBatches: 0, dropped: 0))

        store.record(sampleEntry(2))
        #expect(store.stats.dropped == 1)
        #expect(lines().contains { $0.contains("\"warning\"") && $0.contains("dropped") && $0.contains(sampleEntry(2).id) })
        try await store.flush()
        let error = await #expect(throws: StoreError.self) {
            _ = try await store.requests(RequestLogQuery())
        }
        #expect(error?.code == .closed)
    }

    @Test("an entry the database rejects is dropped and logged; the rest of its batch is written")
    func rejectedRowIsIsolated() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        let (logger, lines) = memoryLogger()
        let store = try SQLiteStore(path: path, flushInterval: .seconds(3600), logger: logger)
        try rawConnection(path, readOnly: false).execute(
            """
            CREATE TRIGGER reject_poison BEFORE INSERT ON requests WHEN NEW.model = 'poison'
            BEGIN SELECT RAISE(ABORT, 'poisoned entry'); END
            """
        )
        store.record(sampleEntry(1))
        store.record(sampleEntry(2, model: "poison"))
        store.record(sampleEntry(3))
        let error = await #expect(throws: StoreError.self) { try await store.flush() }
        #expect(error?.code == .writeFailed)
        #expect(error?.message.contains("poisoned entry") == true)
        #expect(store.stats == StoreStats(queued: 0, written: 2, failedBatches: 0, dropped: 1))
        #expect(lines().contains { $0.contains("\"error\"") && $0.contains("rejected") && $0.contains(sampleEntry(2).id) })
        #expect(try await store.requests(RequestLogQuery()).map(\.id) == [sampleEntry(3).id, sampleEntry(1).id])

        // The loss was reported once; the next flush is clean.
        store.record(sampleEntry(4))
        try await store.flush()
        await store.shutdown()
    }

    @Test("a batch that keeps failing is retried, then dropped with a log line; the writer carries on")
    func failedBatchIsRetriedThenDropped() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        let (logger, lines) = memoryLogger()
        let store = try SQLiteStore(path: path, flushInterval: .seconds(3600), logger: logger)
        // RAISE(ROLLBACK) undoes the whole transaction, so the batch as a whole fails.
        try rawConnection(path, readOnly: false).execute(
            """
            CREATE TRIGGER doom_batch BEFORE INSERT ON requests WHEN NEW.model = 'doom'
            BEGIN SELECT RAISE(ROLLBACK, 'batch doomed'); END
            """
        )
        store.record(sampleEntry(1))
        store.record(sampleEntry(2, model: "doom"))
        let error = await #expect(throws: StoreError.self) { try await store.flush() }
        #expect(error?.code == .writeFailed)
        #expect(store.stats == StoreStats(queued: 0, written: 0, failedBatches: 1, dropped: 2))
        let log = lines()
        #expect(log.filter { $0.contains("retrying") }.count == SQLiteStore.retryDelays.count)
        #expect(log.contains { $0.contains("\"error\"") && $0.contains("entries dropped") && $0.contains("batch doomed") })

        store.record(sampleEntry(3))
        try await store.flush()
        #expect(try await store.requests(RequestLogQuery()).map(\.id) == [sampleEntry(3).id])
        await store.shutdown()
    }

    @Test("in-memory stores work end to end and are independent of each other")
    func inMemory() async throws {
        let a = try SQLiteStore(path: ":memory:", logger: memoryLogger().0)
        let b = try SQLiteStore(path: ":memory:", logger: memoryLogger().0)
        a.record(sampleEntry(1))
        try await a.flush()
        try await b.flush()
        #expect(try await a.request(id: sampleEntry(1).id) == sampleEntry(1))
        #expect(try await b.request(id: sampleEntry(1).id) == nil)
        #expect(await a.checkWritable())
        await a.shutdown()
        await b.shutdown()
    }

    // MARK: Fixture

    static let base: Int64 = 1_700_000_000_000

    /// 30 entries: groups of three share a millisecond; a third are `claude`, a fifth have status 500.
    static func fixture() -> [RequestLogEntry] {
        (0..<30).map { i in
            sampleEntry(i, time: base + Int64(i / 3) * 1000, model: i % 3 == 0 ? "claude" : "gpt-4o", status: i % 5 == 0 ? 500 : 200)
        }
    }

    static func newestFirst(_ entries: [RequestLogEntry]) -> [RequestLogEntry] {
        entries.sorted { ($0.time, $0.id) > ($1.time, $1.id) }
    }
}
