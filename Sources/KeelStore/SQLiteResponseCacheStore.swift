import Dispatch
import Foundation
import KeelCore

/// The embedded ``ResponseCacheStore``: the `response_cache` table (schema version 2) of the same
/// SQLite database file as the request log, on a connection of its own.
///
/// Every statement runs on one serial dispatch queue, so blocking SQLite calls never run on the
/// Swift cooperative pool; ``save(_:)`` only queues the write. At most ``maxPendingWrites`` writes
/// wait at once; beyond that new ones are dropped (the in-memory cache still has them). Expired rows
/// are deleted every ``purgeInterval`` writes.
///
/// `@unchecked Sendable`: `connection`, `statements`, `pendingWrites` and `writesSincePurge` are
/// touched only on `queue`, except `pendingWrites`, which is guarded by `pendingLock`.
public final class SQLiteResponseCacheStore: ResponseCacheStore, @unchecked Sendable {
    /// The most writes queued at once.
    public static let maxPendingWrites = 1024
    /// How many writes pass between two deletions of expired rows.
    public static let purgeInterval = 256

    private let queue = DispatchQueue(label: "keel.store.response-cache")
    private var connection: SQLiteConnection?
    private var statements: [String: SQLiteStatement] = [:]
    private let pendingLock = NSLock()
    private var pendingWrites = 0
    private var writesSincePurge = 0
    private let logger: Logger

    /// Opens the database file at `path`, which ``SQLiteStore`` has already migrated.
    /// - Throws: ``StoreError`` (`openFailed`) when the file cannot be opened.
    public init(path: String, logger: Logger) throws {
        let connection = try SQLiteConnection(filename: path, mode: .readWrite)
        connection.setBusyTimeout(milliseconds: SQLiteStore.busyTimeoutMilliseconds)
        self.connection = connection
        self.logger = logger
    }

    deinit {
        statements = [:]
        connection?.close()
    }

    public func cachedResponse(key: String, now: Int64) async -> CachedResponseRecord? {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.readOnQueue(key: key, now: now))
            }
        }
    }

    public func save(_ record: CachedResponseRecord) {
        let accepted = pendingLock.withLock {
            guard pendingWrites < Self.maxPendingWrites else { return false }
            pendingWrites += 1
            return true
        }
        guard accepted else { return }
        queue.async {
            self.writeOnQueue(record)
            self.pendingLock.withLock { self.pendingWrites -= 1 }
        }
    }

    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.statements = [:]
                self.connection?.close()
                self.connection = nil
                continuation.resume()
            }
        }
    }

    // MARK: On the queue

    private func statement(_ sql: String) throws -> SQLiteStatement? {
        guard let connection else { return nil }
        if let cached = statements[sql] { return cached }
        let stmt = try connection.prepare(sql, persistent: true)
        statements[sql] = stmt
        return stmt
    }

    private func readOnQueue(key: String, now: Int64) -> CachedResponseRecord? {
        do {
            guard let stmt = try statement(
                "SELECT partition, model, route, created_at, expires_at, body FROM response_cache WHERE key = ? AND expires_at > ?"
            ) else { return nil }
            defer { stmt.reset() }
            try stmt.bind(key, at: 1)
            try stmt.bind(now, at: 2)
            guard try stmt.step() else { return nil }
            return CachedResponseRecord(
                key: key, partition: stmt.columnText(0), model: stmt.columnText(1), route: stmt.columnText(2),
                createdAt: stmt.columnInt64(3), expiresAt: stmt.columnInt64(4), body: Array(stmt.columnText(5).utf8)
            )
        } catch {
            logger.warning("response cache read failed", ["error": (error as? StoreError)?.message ?? "\(error)"])
            return nil
        }
    }

    private func writeOnQueue(_ record: CachedResponseRecord) {
        // Bodies are JSON; anything that is not UTF-8 text stays in memory only.
        guard let text = String(validating: record.body, as: UTF8.self) else { return }
        do {
            guard let stmt = try statement(
                "INSERT OR REPLACE INTO response_cache (key, partition, model, route, created_at, expires_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)"
            ) else { return }
            defer { stmt.reset() }
            try stmt.bind(record.key, at: 1)
            try stmt.bind(record.partition, at: 2)
            try stmt.bind(record.model, at: 3)
            try stmt.bind(record.route, at: 4)
            try stmt.bind(record.createdAt, at: 5)
            try stmt.bind(record.expiresAt, at: 6)
            try stmt.bind(text, at: 7)
            try stmt.run()
            writesSincePurge += 1
            if writesSincePurge >= Self.purgeInterval {
                writesSincePurge = 0
                if let purge = try statement("DELETE FROM response_cache WHERE expires_at <= ?") {
                    defer { purge.reset() }
                    try purge.bind(record.createdAt, at: 1)
                    try purge.run()
                }
            }
        } catch {
            logger.warning("response cache write failed", ["error": (error as? StoreError)?.message ?? "\(error)"])
        }
    }
}

extension SQLiteStore {
    /// Opens the response cache persisted in this store's database file; nil for an in-memory
    /// store (`:memory:`), whose database another connection cannot reach.
    public func openResponseCache(logger: Logger) throws -> SQLiteResponseCacheStore? {
        guard path != ":memory:" else { return nil }
        return try SQLiteResponseCacheStore(path: path, logger: logger)
    }
}
