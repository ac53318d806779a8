import Foundation
import KeelCore

/// The embedded ``Store``: one SQLite database file in WAL mode.
///
/// **Writes.** ``record(_:)`` appends to an in-memory queue and returns; one dedicated writer thread owns
/// the write connection and commits queued entries in batches — at the latest `flushInterval` after the
/// first entry of a batch arrived, sooner when `batchSize` entries are queued or a ``flush()``,
/// ``checkWritable()`` or ``shutdown()`` asks for it. Each batch is one transaction. A batch that fails is
/// retried with backoff and, if it still fails, dropped with an error log line and counted in ``stats``.
/// The queue is bounded (`queueCapacity`): if the disk cannot keep up, new entries are dropped and logged
/// instead of blocking callers or exhausting memory.
///
/// **Reads** run on a separate read-only connection on a serial queue of their own; WAL lets them proceed
/// while the writer appends, and they see everything committed before they started.
///
/// **Durability.** Committed transactions survive a crash of the process (`kill -9`): with WAL and
/// `synchronous=NORMAL` a commit is in the WAL file before it returns. What a process crash can lose is what
/// was accepted but not yet committed: normally the entries of the last flush interval (plus the batch being
/// written at that moment); more if the writer had fallen behind, at most `queueCapacity` entries. ``shutdown()`` writes everything, so a clean stop loses nothing. A power loss
/// or operating-system crash may in addition roll back the most recent commits (with `synchronous=NORMAL`
/// the WAL is synced at checkpoints, not at every commit), but it does not corrupt the database.
///
/// **Opening** creates the file and its parent directories when missing, sets `journal_mode=WAL`,
/// `synchronous=NORMAL`, `busy_timeout` (5 s) and `foreign_keys=ON`, then applies pending
/// ``migrations`` (each in its own transaction, recorded in `schema_migrations`). A database whose schema
/// is newer than this code is refused with ``StoreError/Code/newerSchema``.
///
/// The path `":memory:"` opens a private in-memory database (through SQLite's `memdb` VFS, so the reader
/// connection sees the writer's data). It has no WAL: a read waits for a batch being committed and vice
/// versa, which is fine for tests and development, and everything is gone after ``shutdown()``.
public final class SQLiteStore: Store {
    /// How long any statement waits for a lock held by another connection before failing.
    static let busyTimeoutMilliseconds: Int32 = 5000
    /// Delays between attempts at writing a failed batch (so four attempts in all).
    static let retryDelays: [Duration] = [.milliseconds(25), .milliseconds(100), .milliseconds(400)]

    /// The path the store was opened with.
    public let path: String
    /// The most entries waiting to be written before ``record(_:)`` starts dropping.
    public let queueCapacity: Int
    let writer: RequestLogWriter
    private let reader: RequestLogReader
    private let logger: Logger

    /// Opens (creating if needed) and migrates the database at `path`, then starts the background writer.
    ///
    /// - Parameters:
    ///   - path: a file path (parent directories are created), or `":memory:"`.
    ///   - flushInterval: the longest an accepted entry waits before its batch is written. Default 100 ms.
    ///   - batchSize: the most entries written in one transaction; a full batch is written at once.
    ///     Default 512.
    ///   - queueCapacity: the most entries waiting to be written; while that many wait (the disk cannot
    ///     keep up), ``record(_:)`` drops new entries rather than block or grow without bound, and logs it.
    ///     Default 100,000.
    ///   - logger: receives migration, retry, drop and shutdown messages.
    /// - Throws: ``StoreError`` with `openFailed`, `migrationFailed` or `newerSchema`.
    public init(
        path: String,
        flushInterval: Duration = .milliseconds(100),
        batchSize: Int = 512,
        queueCapacity: Int = 100_000,
        logger: Logger
    ) throws {
        self.path = path
        self.queueCapacity = max(1, queueCapacity)
        self.logger = logger
        let filename: String
        let isMemory = path == ":memory:"
        if isMemory {
            filename = "file:/keel-store-\(UUID().uuidString)?vfs=memdb"
        } else {
            filename = path
            try Self.createParentDirectory(of: path)
        }

        let writeConnection = try SQLiteConnection(filename: filename, mode: .readWrite)
        writeConnection.setBusyTimeout(milliseconds: Self.busyTimeoutMilliseconds)
        do {
            let journalMode = try writeConnection.scalarText("PRAGMA journal_mode = WAL")?.lowercased()
            if !isMemory && journalMode != "wal" {
                throw StoreError(.openFailed, "could not enable WAL journal mode on \(path) (journal_mode is \(journalMode ?? "unknown"))")
            }
            try writeConnection.execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        } catch let error as StoreError where error.code != .openFailed {
            throw StoreError(.openFailed, "could not configure database \(path): \(error.message)", sqliteCode: error.sqliteCode)
        }

        let applied = try Self.migrate(writeConnection)
        if !applied.isEmpty {
            logger.info(
                "store schema migrated",
                ["path": path, "versions": applied.map(String.init).joined(separator: ","), "schema_version": String(Self.schemaVersion)]
            )
        }

        let readConnection = try SQLiteConnection(filename: filename, mode: .readOnly)
        readConnection.setBusyTimeout(milliseconds: Self.busyTimeoutMilliseconds)

        reader = RequestLogReader(connection: readConnection)
        writer = RequestLogWriter(
            db: writeConnection,
            flushInterval: flushInterval,
            batchSize: batchSize,
            capacity: queueCapacity,
            retryDelays: Self.retryDelays,
            logger: logger
        )
    }

    /// Opens a store; the same as ``init(path:flushInterval:batchSize:queueCapacity:logger:)``.
    public static func open(
        path: String,
        flushInterval: Duration = .milliseconds(100),
        batchSize: Int = 512,
        queueCapacity: Int = 100_000,
        logger: Logger
    ) throws -> SQLiteStore {
        try SQLiteStore(path: path, flushInterval: flushInterval, batchSize: batchSize, queueCapacity: queueCapacity, logger: logger)
    }

    deinit {
        // Without a shutdown, the writer still drains what it has and closes its connection.
        _ = writer.beginShutdown()
        reader.closeEventually()
    }

    public func record(_ entry: RequestLogEntry) {
        switch writer.enqueue(entry) {
        case .accepted, .full(first: false):
            break
        case .full(first: true):
            logger.warning(
                "request log queue is full; dropping entries until the writer catches up",
                ["request_id": entry.id, "capacity": String(queueCapacity)]
            )
        case .closed:
            logger.warning("store is shut down; request log entry dropped", ["request_id": entry.id])
        }
    }

    public func flush() async throws {
        switch writer.enqueueFlush() {
        case .queued(let marker):
            try await marker.wait(cancellable: true)
        case .afterShutdown(let waiter):
            _ = try? await waiter?.wait(cancellable: false)
        }
    }

    public func checkWritable() async -> Bool {
        guard let marker = writer.enqueueHealthCheck() else { return false }
        return (try? await marker.wait(cancellable: true)) ?? false
    }

    public func requests(_ query: RequestLogQuery) async throws -> [RequestLogEntry] {
        try await reader.requests(query)
    }

    public func request(id: String) async throws -> RequestLogEntry? {
        try await reader.request(id: id)
    }

    public func shutdown() async {
        if let waiter = writer.beginShutdown() {
            _ = try? await waiter.wait(cancellable: false)
        }
        await reader.close()
    }

    public var stats: StoreStats {
        writer.stats
    }

    private static func createParentDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty, !path.hasPrefix("file:") else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.openFailed, "could not create directory \(directory) for the database: \(error.localizedDescription)")
        }
    }
}
