import Foundation
import Testing
@testable import KeelStore

@Suite("SQLiteStore migrations")
struct MigrationTests {
    @Test("the migration list is ordered from 1 without gaps and defines the schema version")
    func migrationListIsOrdered() {
        let versions = SQLiteStore.migrations.map(\.version)
        #expect(!versions.isEmpty)
        #expect(versions == Array(1...versions.count))
        #expect(SQLiteStore.schemaVersion == versions.last)
        #expect(SQLiteStore.migrations.allSatisfy { !$0.name.isEmpty && !$0.sql.isEmpty })
    }

    @Test("a new file database gets every migration, its tables and indexes, and the version recorded")
    func migrationsApplyToNewFile() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("nested/deeper/keel.db")
        let (logger, lines) = memoryLogger()
        let store = try SQLiteStore(path: path, logger: logger)
        await store.shutdown()

        #expect(FileManager.default.fileExists(atPath: path))
        let db = try rawConnection(path)
        #expect(try db.scalarInt("SELECT MAX(version) FROM schema_migrations") == Int64(SQLiteStore.schemaVersion))
        #expect(try db.scalarInt("SELECT COUNT(*) FROM schema_migrations") == Int64(SQLiteStore.migrations.count))
        #expect(try db.scalarText("SELECT name FROM schema_migrations WHERE version = 1") == SQLiteStore.migrations[0].name)
        let appliedAt = try #require(try db.scalarText("SELECT applied_at FROM schema_migrations WHERE version = 1"))
        #expect(appliedAt.hasSuffix("Z") && appliedAt.contains("T"))
        #expect(
            try db.scalarInt("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('requests', 'store_health')") == 2
        )
        #expect(
            try db.scalarInt(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('requests_time', 'requests_model_time')"
            ) == 2
        )
        #expect(lines().contains { $0.contains("store schema migrated") })
    }

    @Test("reopening a migrated database applies nothing again and keeps the data")
    func reopeningDoesNotReapply() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        let first = try SQLiteStore(path: path, logger: memoryLogger().0)
        first.record(sampleEntry(1))
        await first.shutdown()
        let appliedAt = try rawConnection(path).scalarText("SELECT applied_at FROM schema_migrations WHERE version = 1")

        let (logger, lines) = memoryLogger()
        let second = try SQLiteStore(path: path, logger: logger)
        #expect(try await second.request(id: sampleEntry(1).id) == sampleEntry(1))
        await second.shutdown()

        let db = try rawConnection(path)
        #expect(try db.scalarInt("SELECT COUNT(*) FROM schema_migrations") == Int64(SQLiteStore.migrations.count))
        #expect(try db.scalarText("SELECT applied_at FROM schema_migrations WHERE version = 1") == appliedAt)
        #expect(!lines().contains { $0.contains("store schema migrated") })
    }

    @Test("migration 6 copies team and key out of the metadata, and the filters use the partial indexes")
    func teamAndKeyColumnsAreBackfilled() async throws {
        let directory = try TemporaryDirectory()
        let path = try olderDatabase(in: directory, migrations: 5, requests: """
            ('old-1', 1000, 'openai.chat_completions', 'gpt-4o', 200, 1.5, 0, '{"key_id":"key_a","team":"team_a"}'),
            ('old-2', 2000, 'openai.chat_completions', 'gpt-4o', 502, 1.5, 0, '{}')
            """)
        let store = try SQLiteStore(path: path, logger: memoryLogger().0)
        var entry = sampleEntry(7, time: 3000, status: 429)
        entry.metadata = [RequestLogEntry.MetadataKey.team: "team_a", RequestLogEntry.MetadataKey.keyID: "key_b"]
        store.record(entry)
        try await store.flush()
        #expect(try await store.requests(RequestLogQuery(team: "team_a")).map(\.id) == [entry.id, "old-1"])
        #expect(try await store.requests(RequestLogQuery(keyID: "key_a")).map(\.id) == ["old-1"])
        #expect(try await store.requests(RequestLogQuery(statusRange: 400..<600)).map(\.id) == [entry.id, "old-2"])
        #expect(try await store.requests(RequestLogQuery(status: 502)).map(\.id) == ["old-2"])
        #expect(try await store.requests(RequestLogQuery(status: 200)).map(\.id) == ["old-1"])
        await store.shutdown()

        let db = try rawConnection(path)
        func plan(_ sql: String) throws -> String {
            let stmt = try db.prepare("EXPLAIN QUERY PLAN " + sql)
            var lines: [String] = []
            while try stmt.step() { lines.append(stmt.columnText(3)) }
            return lines.joined(separator: "; ")
        }
        #expect(try plan("SELECT id FROM requests WHERE team_id = 'team_a' ORDER BY time DESC, id DESC").contains("requests_team_time"))
        #expect(try plan("SELECT id FROM requests WHERE status = 502 AND status >= 400 ORDER BY time DESC, id DESC").contains("requests_error_time"))
    }

    @Test("migration 8: trace and span ids get columns; old rows keep theirs in the metadata, and readers see both in the metadata")
    func traceIDsHaveTheirOwnColumns() async throws {
        let directory = try TemporaryDirectory()
        let path = try olderDatabase(in: directory, migrations: 7, requests: """
            ('old-1', 1000, 'openai.chat_completions', 'gpt-4o', 200, 1.5, 0,
             '{"span_id":"00f067aa0ba902b7","team":"t","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}')
            """)
        let store = try SQLiteStore(path: path, logger: memoryLogger().0)
        var entry = sampleEntry(8, time: 3000)
        entry.traceID = "0af7651916cd43dd8448eb211c80319c"
        entry.spanID = "b7ad6b7169203331"
        store.record(entry)
        try await store.flush()
        let new = try #require(try await store.request(id: entry.id))
        #expect(new.traceID == entry.traceID && new.spanID == entry.spanID)
        #expect(new.metadata["trace_id"] == entry.traceID && new.metadata["span_id"] == entry.spanID)
        let old = try #require(try await store.request(id: "old-1"))
        #expect(old.traceID == nil)
        #expect(old.metadata == ["span_id": "00f067aa0ba902b7", "team": "t", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"])
        await store.shutdown()
        // The metadata column of the new row holds no ids: they are only in their columns.
        let db = try rawConnection(path)
        let stmt = try db.prepare("SELECT metadata, trace_id, span_id FROM requests WHERE id = ?")
        try stmt.bind(entry.id, at: 1)
        #expect(try stmt.step())
        #expect(!stmt.columnText(0).contains("trace_id") && !stmt.columnText(0).contains("span_id"))
        #expect(stmt.columnText(1) == entry.traceID && stmt.columnText(2) == entry.spanID)
    }

    @Test("a database with a newer schema version than the code knows is refused")
    func newerSchemaIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keel.db")
        await (try SQLiteStore(path: path, logger: memoryLogger().0)).shutdown()
        let newer = SQLiteStore.schemaVersion + 1
        try rawConnection(path, readOnly: false).execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(newer), 'from the future', '2099-01-01T00:00:00Z')"
        )

        let error = #expect(throws: StoreError.self) {
            _ = try SQLiteStore(path: path, logger: memoryLogger().0)
        }
        #expect(error?.code == .newerSchema)
        #expect(error?.message.contains("\(newer)") == true)
    }

    @Test("a failing migration is rolled back and leaves the earlier version in place")
    func failingMigrationRollsBack() throws {
        let directory = try TemporaryDirectory()
        let db = try rawConnection(directory.file("keel.db"), readOnly: false)
        let broken = Migration(
            version: 2,
            name: "broken",
            sql: "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);"
        )

        let error = #expect(throws: StoreError.self) {
            _ = try SQLiteStore.migrate(db, migrations: [SQLiteStore.migrations[0], broken])
        }
        #expect(error?.code == .migrationFailed)
        #expect(error?.message.contains("no_such_table") == true)
        #expect(try db.scalarInt("SELECT MAX(version) FROM schema_migrations") == 1)
        #expect(try db.scalarInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'") == 0)
        #expect(db.isAutocommit)

        // With the broken step removed, migrating again is a no-op.
        #expect(try SQLiteStore.migrate(db, migrations: [SQLiteStore.migrations[0]]) == [])
    }
}

/// A database file in `directory` with only the first `count` migrations applied, holding `requests`
/// rows given as SQL value tuples of (id, time, inbound_api, model, status, latency_ms, stream, metadata).
private func olderDatabase(in directory: TemporaryDirectory, migrations count: Int, requests values: String) throws -> String {
    let path = directory.file("keel.db")
    let db = try SQLiteConnection(filename: path, mode: .readWrite)
    _ = try SQLiteStore.migrate(db, migrations: Array(SQLiteStore.migrations.prefix(count)))
    try db.execute("INSERT INTO requests (id, time, inbound_api, model, status, latency_ms, stream, metadata) VALUES " + values)
    return path
}
