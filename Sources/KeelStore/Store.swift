/// Where the gateway keeps what it must remember: today, the request log.
///
/// Implementations accept writes on the hot path without blocking (``record(_:)``), persist them in the
/// background in batches, and serve reads without getting in the way of writes. ``SQLiteStore`` is the
/// embedded implementation; the interface deliberately says nothing about SQL so other databases can
/// implement it too.
public protocol Store: Sendable {
    /// Accepts a request-log entry for persistence and returns at once; it never waits for disk.
    ///
    /// The entry is written by a background writer within the store's flush interval. After
    /// ``shutdown()`` the entry is dropped and a warning is logged.
    func record(_ entry: RequestLogEntry)

    /// Returns once every entry accepted before the call is committed to the database.
    ///
    /// Throws ``StoreError/Code/writeFailed`` when entries accepted since the previous flush could not be
    /// written (they were logged and counted in ``StoreStats/dropped``), and `CancellationError` if the
    /// calling task is cancelled first (the entries are still written).
    func flush() async throws

    /// Readiness probe: a real, tiny write round trip through the background writer.
    /// False when the database cannot be written or the store is shut down.
    func checkWritable() async -> Bool

    /// Entries matching `query`, newest first.
    func requests(_ query: RequestLogQuery) async throws -> [RequestLogEntry]

    /// The entry with this id, or nil.
    func request(id: String) async throws -> RequestLogEntry?

    /// Writes everything accepted so far, stops the background writer and closes the database.
    /// Idempotent; concurrent callers all return once the store is closed.
    func shutdown() async

    /// Current writer counters. Cheap enough to read on every metrics scrape.
    var stats: StoreStats { get }
}
