internal import CSQLite
import Foundation
import KeelCore

/// The background writer: one dedicated thread that owns the write connection and commits request-log
/// entries in batches (an entry's captured content, when it has some, goes to `request_content` in the
/// same transaction, right after its `requests` row).
///
/// Producers append to a queue under an `NSCondition` and return at once. The thread wakes when the first
/// entry arrives, keeps collecting for up to `flushInterval` (or until `batchSize` entries are queued, or a
/// flush, health check or shutdown asks for it sooner), then writes the whole batch in one transaction with
/// a cached prepared statement. Flush and health-check requests are markers in the same queue, so they act
/// as barriers: they are answered only after every entry queued before them has been committed.
///
/// `@unchecked Sendable`: every mutable property below is guarded by `condition`, except `db`,
/// `insertStatement`, `contentStatement`, `healthStatement`, `pruneStatement` and `lostSinceLastFlush`, which only the writer thread touches
/// once it has started (before that, only `init`).
final class RequestLogWriter: @unchecked Sendable {
    private enum Item {
        case entry(RequestLogEntry)
        case flush(OneShot<Void>)
        case health(OneShot<Bool>)
        case prune(Prune)
    }

    /// A retention delete: at most `limit` entries older than `cutoff`, answered with the count deleted.
    struct Prune {
        var cutoff: Int64
        var limit: Int
        var done: OneShot<Int>
    }

    private enum State {
        case running
        case stopping
        case stopped
    }

    /// What a flush request waits for: its own marker in the queue, or (once shutdown has started) the end
    /// of the shutdown, which drains the queue anyway; nil when that has already happened.
    enum FlushAdmission {
        case queued(OneShot<Void>)
        case afterShutdown(OneShot<Void>?)
    }

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var queuedEntries = 0
    private var queuedMarkers = 0
    private var inFlight = 0
    private var written = 0
    private var failedBatches = 0
    private var dropped = 0
    /// Entries dropped because the queue was full, since it last had room again.
    private var overflowDrops = 0
    /// UTF-8 bytes of captured content waiting in the queue (bounded by ``maxQueuedContentBytes``).
    private var queuedContentBytes = 0
    /// Contents left out because ``maxQueuedContentBytes`` were already waiting, since the last log line.
    private var contentDrops = 0
    private var state = State.running
    private var shutdownWaiters: [OneShot<Void>] = []

    private let db: SQLiteConnection
    private var insertStatement: SQLiteStatement?
    private var contentStatement: SQLiteStatement?
    private var healthStatement: SQLiteStatement?
    private var pruneStatement: SQLiteStatement?
    private var lostSinceLastFlush: (count: Int, reason: String) = (0, "")

    private let flushInterval: TimeInterval
    private let batchSize: Int
    private let capacity: Int
    private let retryDelays: [Duration]
    private let logger: Logger

    /// Takes ownership of `db` and starts the writer thread.
    init(db: SQLiteConnection, flushInterval: Duration, batchSize: Int, capacity: Int, retryDelays: [Duration], logger: Logger) {
        self.db = db
        let parts = flushInterval.components
        self.flushInterval = max(0, Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
        self.batchSize = max(1, batchSize)
        self.capacity = max(1, capacity)
        self.retryDelays = retryDelays
        self.logger = logger
        let thread = Thread { [self] in self.run() }
        thread.name = "keel-store-writer"
        thread.start()
    }

    // MARK: Producers (any thread)

    /// What happened to a recorded entry.
    enum Admission: Equatable {
        /// Queued for the next batch.
        case accepted
        /// Dropped: shutdown has started.
        case closed
        /// Dropped: `capacity` entries are already waiting. `first` is true for the first drop since the
        /// queue last had room, so the caller logs once per overflow rather than once per entry.
        case full(first: Bool)
    }

    /// Queues an entry unless shutdown has started or the queue is at capacity (then it is counted as dropped).
    func enqueue(_ entry: RequestLogEntry) -> Admission {
        var entry = entry
        condition.lock()
        defer { condition.unlock() }
        guard case .running = state else {
            dropped += 1
            return .closed
        }
        if queuedEntries + inFlight >= capacity {
            dropped += 1
            overflowDrops += 1
            return .full(first: overflowDrops == 1)
        }
        if let content = entry.content {
            // Captured content is large next to an entry: when the disk falls behind, entries keep
            // their place in the queue but their content is left out beyond this bound.
            let size = Self.size(of: content)
            if queuedContentBytes + size > Self.maxQueuedContentBytes {
                entry.content = nil
                contentDrops += 1
            } else {
                queuedContentBytes += size
            }
        }
        queue.append(.entry(entry))
        queuedEntries += 1
        // Wake the thread when a batch starts (to start its clock) and when a batch is full.
        if queuedEntries == 1 || queuedEntries >= batchSize { condition.signal() }
        return .accepted
    }

    /// Queues a flush marker, or after shutdown started, the shutdown's completion to wait for instead.
    func enqueueFlush() -> FlushAdmission {
        condition.lock()
        defer { condition.unlock() }
        switch state {
        case .running:
            let marker = OneShot<Void>()
            queue.append(.flush(marker))
            queuedMarkers += 1
            condition.signal()
            return .queued(marker)
        case .stopping:
            let waiter = OneShot<Void>()
            shutdownWaiters.append(waiter)
            return .afterShutdown(waiter)
        case .stopped:
            return .afterShutdown(nil)
        }
    }

    /// Queues a health check; nil once shutdown has started.
    func enqueueHealthCheck() -> OneShot<Bool>? {
        condition.lock()
        defer { condition.unlock() }
        guard case .running = state else { return nil }
        let marker = OneShot<Bool>()
        queue.append(.health(marker))
        queuedMarkers += 1
        condition.signal()
        return marker
    }

    /// Queues a retention delete; nil once shutdown has started.
    func enqueuePrune(before cutoff: Int64, limit: Int) -> OneShot<Int>? {
        condition.lock()
        defer { condition.unlock() }
        guard case .running = state else { return nil }
        let marker = OneShot<Int>()
        queue.append(.prune(Prune(cutoff: cutoff, limit: max(1, limit), done: marker)))
        queuedMarkers += 1
        condition.signal()
        return marker
    }

    /// Starts shutdown (if it has not started) and returns a waiter completed once the queue is drained and
    /// the connection closed; nil when that has already happened.
    func beginShutdown() -> OneShot<Void>? {
        condition.lock()
        defer { condition.unlock() }
        switch state {
        case .running:
            state = .stopping
            condition.signal()
        case .stopping:
            break
        case .stopped:
            return nil
        }
        let waiter = OneShot<Void>()
        shutdownWaiters.append(waiter)
        return waiter
    }

    /// Current counters.
    var stats: StoreStats {
        condition.lock()
        defer { condition.unlock() }
        return StoreStats(queued: queuedEntries + inFlight, written: written, failedBatches: failedBatches, dropped: dropped)
    }

    // MARK: The writer thread

    private struct Batch {
        var entries: [RequestLogEntry] = []
        var flushes: [OneShot<Void>] = []
        var healthChecks: [OneShot<Bool>] = []
        var prunes: [Prune] = []
    }

    private func run() {
        while let batch = nextBatch() {
            let outcome = write(batch.entries)
            var healthy = false
            if !batch.healthChecks.isEmpty { healthy = writeHealthRow() }
            for prune in batch.prunes { prune.done.complete(deleteOld(prune)) }

            condition.lock()
            inFlight = 0
            written += outcome.written
            dropped += outcome.lost
            if outcome.failed { failedBatches += 1 }
            let droppedWhileFull = overflowDrops
            overflowDrops = 0
            let contentsLeftOut = contentDrops
            contentDrops = 0
            condition.unlock()

            if contentsLeftOut > 0 {
                logger.warning(
                    "request log writer is behind; captured content of some requests was not kept",
                    ["requests": String(contentsLeftOut), "limit_bytes": String(Self.maxQueuedContentBytes)]
                )
            }

            if droppedWhileFull > 0 {
                logger.warning(
                    "request log queue has room again; entries were dropped while it was full",
                    ["dropped": String(droppedWhileFull)]
                )
            }

            if outcome.lost > 0 {
                lostSinceLastFlush.count += outcome.lost
                lostSinceLastFlush.reason = outcome.reason
            }
            if !batch.flushes.isEmpty {
                let result: Result<Void, Error>
                if lostSinceLastFlush.count > 0 {
                    result = .failure(StoreError(
                        .writeFailed,
                        "\(lostSinceLastFlush.count) request log entries could not be written: \(lostSinceLastFlush.reason)"
                    ))
                    lostSinceLastFlush = (0, "")
                } else {
                    result = .success(())
                }
                for flush in batch.flushes { flush.complete(result) }
            }
            for check in batch.healthChecks { check.complete(.success(healthy)) }
        }

        // Drained and stopping: release the statements, close the database, then wake the waiters.
        insertStatement = nil
        contentStatement = nil
        healthStatement = nil
        pruneStatement = nil
        db.close()
        condition.lock()
        state = .stopped
        let waiters = shutdownWaiters
        shutdownWaiters = []
        condition.unlock()
        logger.debug("request log writer stopped")
        for waiter in waiters { waiter.complete(.success(())) }
    }

    /// Blocks until there is something to write, then takes it off the queue; nil when stopping and drained.
    private func nextBatch() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty, case .running = state {
            condition.wait()
        }
        if queue.isEmpty { return nil }
        if case .running = state, queuedMarkers == 0, queuedEntries < batchSize {
            let deadline = Date(timeIntervalSinceNow: flushInterval)
            while case .running = state, queuedMarkers == 0, queuedEntries < batchSize {
                if !condition.wait(until: deadline) { break }
            }
        }
        // The batch is the queue's prefix up to (not including) the entry that would exceed `batchSize`;
        // markers inside that prefix are answered once the batch is committed.
        var batch = Batch()
        var taken = 0
        scan: for item in queue {
            switch item {
            case .entry(let entry):
                if batch.entries.count == batchSize { break scan }
                batch.entries.append(entry)
            case .flush(let marker):
                batch.flushes.append(marker)
            case .health(let marker):
                batch.healthChecks.append(marker)
            case .prune(let prune):
                batch.prunes.append(prune)
            }
            taken += 1
        }
        queue.removeFirst(taken)
        queuedEntries -= batch.entries.count
        queuedMarkers -= batch.flushes.count + batch.healthChecks.count + batch.prunes.count
        inFlight = batch.entries.count
        for entry in batch.entries {
            if let content = entry.content { queuedContentBytes -= Self.size(of: content) }
        }
        return batch
    }

    private struct WriteOutcome {
        var written = 0
        var lost = 0
        var failed = false
        var reason = ""
    }

    /// Writes `entries` in one transaction, retrying the whole batch with backoff on transaction-level
    /// errors. Rows the database rejects one by one (constraint, type or size errors) are skipped and logged
    /// without failing the rest.
    private func write(_ entries: [RequestLogEntry]) -> WriteOutcome {
        guard !entries.isEmpty else { return WriteOutcome() }
        var attempt = 0
        while true {
            do {
                let rejected = try writeOnce(entries)
                for (id, message) in rejected {
                    logger.error("request log entry rejected by the database and dropped", ["request_id": id, "error": message])
                }
                return WriteOutcome(
                    written: entries.count - rejected.count,
                    lost: rejected.count,
                    failed: false,
                    reason: rejected.first.map { "rejected by the database: \($0.message)" } ?? ""
                )
            } catch {
                if !db.isAutocommit { try? db.execute("ROLLBACK") }
                let message = (error as? StoreError)?.message ?? "\(error)"
                guard attempt < retryDelays.count else {
                    logger.error(
                        "request log batch could not be written; entries dropped",
                        ["entries": String(entries.count), "attempts": String(attempt + 1), "error": message]
                    )
                    return WriteOutcome(written: 0, lost: entries.count, failed: true, reason: message)
                }
                let delay = retryDelays[attempt]
                attempt += 1
                logger.warning(
                    "request log batch write failed; retrying",
                    ["entries": String(entries.count), "attempt": String(attempt), "retry_in": "\(delay)", "error": message]
                )
                Thread.sleep(forTimeInterval: Self.seconds(delay))
            }
        }
    }

    /// One attempt at writing a batch; returns the ids and errors of rows rejected individually.
    private func writeOnce(_ entries: [RequestLogEntry]) throws -> [(id: String, message: String)] {
        try db.execute("BEGIN IMMEDIATE")
        if insertStatement == nil {
            insertStatement = try db.prepare(RequestLogRow.insertSQL, persistent: true)
        }
        let stmt = insertStatement!
        var rejected: [(id: String, message: String)] = []
        for entry in entries {
            stmt.reset()
            do {
                try RequestLogRow.bind(entry, to: stmt)
                try stmt.run()
            } catch let error as StoreError where Self.isRowError(error) && !db.isAutocommit {
                // Only this statement was undone; the transaction and the rest of the batch go on.
                rejected.append((entry.id, error.message))
                continue
            }
            if let content = entry.content { try writeContent(content, id: entry.id) }
        }
        stmt.reset()
        try db.execute("COMMIT")
        return rejected
    }

    /// Inserts an entry's captured content after its row, inside the batch's transaction. A row the
    /// database rejects is logged and skipped: the entry itself stays.
    private func writeContent(_ content: RequestLogContent, id: String) throws {
        if contentStatement == nil {
            contentStatement = try db.prepare(RequestLogContentRow.insertSQL, persistent: true)
        }
        let stmt = contentStatement!
        stmt.reset()
        defer { stmt.reset() }
        do {
            try RequestLogContentRow.bind(content, id: id, to: stmt)
            try stmt.run()
        } catch let error as StoreError where Self.isRowError(error) && !db.isAutocommit {
            logger.error("captured request content rejected by the database and dropped", ["request_id": id, "error": error.message])
        }
    }

    /// Upserts the single `store_health` row in its own transaction; true once it is committed.
    private func writeHealthRow() -> Bool {
        do {
            if healthStatement == nil {
                healthStatement = try db.prepare(
                    """
                    INSERT INTO store_health (id, checked_at, checks) VALUES (1, ?, 1)
                    ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at, checks = checks + 1
                    """,
                    persistent: true
                )
            }
            let stmt = healthStatement!
            stmt.reset()
            try stmt.bind(RequestLogEntry.millisecondsSinceEpoch(), at: 1)
            try stmt.run()
            stmt.reset()
            return true
        } catch {
            logger.warning("store health check write failed", ["error": (error as? StoreError)?.message ?? "\(error)"])
            return false
        }
    }

    /// Deletes up to `prune.limit` of the oldest entries older than `prune.cutoff`, in one transaction
    /// of its own (so entries queued meanwhile wait for one short delete, not for the whole backlog).
    private func deleteOld(_ prune: Prune) -> Result<Int, Error> {
        do {
            if pruneStatement == nil {
                pruneStatement = try db.prepare(
                    "DELETE FROM requests WHERE rowid IN (SELECT rowid FROM requests WHERE time < ? ORDER BY time LIMIT ?)",
                    persistent: true
                )
            }
            let stmt = pruneStatement!
            stmt.reset()
            defer { stmt.reset() }
            try stmt.bind(prune.cutoff, at: 1)
            try stmt.bind(prune.limit, at: 2)
            try stmt.run()
            return .success(Int(try db.scalarInt("SELECT changes()") ?? 0))
        } catch {
            logger.warning("request log retention delete failed", ["error": (error as? StoreError)?.message ?? "\(error)"])
            return .failure(error)
        }
    }

    /// Errors that concern one row rather than the transaction.
    private static func isRowError(_ error: StoreError) -> Bool {
        guard let code = error.sqliteCode else { return false }
        switch code & 0xff {
        case SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_TOOBIG, SQLITE_RANGE: return true
        default: return false
        }
    }

    /// The most bytes of captured content waiting to be written; past it, new entries are queued without
    /// their content.
    static let maxQueuedContentBytes = 64 << 20

    /// What a content holds in the queue, roughly: its texts' UTF-8 bytes.
    private static func size(of content: RequestLogContent) -> Int {
        (content.input?.utf8.count ?? 0) + (content.output?.utf8.count ?? 0)
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
