import KeelCore
import Synchronization

/// A store that can delete old request-log entries (the retention policy's side of a ``Store``).
public protocol RequestLogPruning: Sendable {
    /// Deletes at most `limit` entries older than `cutoff` (milliseconds since the Unix epoch),
    /// oldest first; returns how many were deleted.
    func pruneRequests(before cutoff: Int64, limit: Int) async throws -> Int
}

extension SQLiteStore: RequestLogPruning {
    /// Runs the delete on the background writer thread, between batches, in a transaction of its
    /// own; the request path never waits for it. Throws ``StoreError/Code/closed`` after shutdown.
    public func pruneRequests(before cutoff: Int64, limit: Int) async throws -> Int {
        guard let marker = writer.enqueuePrune(before: cutoff, limit: limit) else {
            throw StoreError(.closed, "the store is shut down")
        }
        return try await marker.wait(cancellable: true)
    }
}

/// Enforces `storage.retention_days`: deletes request-log entries older than that many days, in
/// batches, once at start and then every ``interval``.
///
/// ```swift
/// let retention = RequestLogRetention(days: 30, store: store, logger: logger)
/// retention.start()          // periodic, off the request path
/// await retention.stop()     // before the store shuts down
/// ```
public final class RequestLogRetention: Sendable {
    /// Entries older than this many days are deleted.
    public let days: Int
    /// How often the policy is enforced. Default one hour.
    public let interval: Duration
    /// The most entries one delete transaction removes. Default 1000.
    public let batchSize: Int
    private let store: any RequestLogPruning
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// A policy keeping `days` days (at least 1) of `store`'s request log.
    public init(days: Int, store: any RequestLogPruning, interval: Duration = .seconds(3600), batchSize: Int = 1000, logger: Logger) {
        self.days = max(1, days)
        self.store = store
        self.interval = interval
        self.batchSize = max(1, batchSize)
        self.logger = logger
    }

    /// The oldest time kept at `now` (both in milliseconds since the Unix epoch).
    public func cutoff(now: Int64) -> Int64 {
        now - Int64(days) * 86_400_000
    }

    /// Deletes every entry older than ``days`` before `now`, one batch at a time; returns how many
    /// were deleted.
    @discardableResult
    public func enforce(now: Int64) async throws -> Int {
        let cutoff = cutoff(now: now)
        var total = 0
        while true {
            try Task.checkCancellation()
            let deleted = try await store.pruneRequests(before: cutoff, limit: batchSize)
            total += deleted
            if deleted < batchSize { break }
        }
        if total > 0 {
            logger.info("request log retention: old entries deleted", ["deleted": String(total), "retention_days": String(days)])
        }
        return total
    }

    /// Enforces the policy now and then every ``interval`` (sleeping on `clock`), reading the time
    /// from `now`, until ``stop()``.
    public func start<C: Clock<Duration>>(clock: C = ContinuousClock(), now: @escaping @Sendable () -> Int64 = { RequestLogEntry.millisecondsSinceEpoch() }) {
        let interval = self.interval
        let started = Task { [self] in
            while !Task.isCancelled {
                do {
                    try await enforce(now: now())
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("request log retention failed; trying again later", ["error": "\(error)"])
                }
                do {
                    try await clock.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
        task.withLock { previous in
            previous?.cancel()
            previous = started
        }
    }

    /// Stops the periodic task and waits for it to end.
    public func stop() async {
        let running = task.withLock { current -> Task<Void, Never>? in
            defer { current = nil }
            return current
        }
        running?.cancel()
        await running?.value
    }
}
