/// Counters describing a store's background writer; reading them is cheap.
public struct StoreStats: Sendable, Equatable {
    /// Entries accepted by ``Store/record(_:)`` that are neither committed nor dropped yet.
    public var queued: Int
    /// Entries committed to the database since the store was opened.
    public var written: Int
    /// Batches abandoned after every retry failed (their entries are counted in ``dropped``).
    public var failedBatches: Int
    /// Entries that were lost: in a failed batch, rejected one by one by the database,
    /// or recorded after ``Store/shutdown()``. Every drop is logged.
    public var dropped: Int

    /// Stats with the given counters (all zero by default).
    public init(queued: Int = 0, written: Int = 0, failedBatches: Int = 0, dropped: Int = 0) {
        self.queued = queued
        self.written = written
        self.failedBatches = failedBatches
        self.dropped = dropped
    }
}
