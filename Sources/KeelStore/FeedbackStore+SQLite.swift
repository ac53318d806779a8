import Dispatch
import Foundation

/// The embedded ``FeedbackStore``: the `feedback` table of Keel's SQLite database.
///
/// It opens a connection of its own to the database file (WAL lets it write between the request
/// log's batches; it waits up to 5 s for their lock) and runs every statement on a serial
/// dispatch queue, so blocking SQLite calls stay off the Swift cooperative pool. For
/// `":memory:"` it opens a private in-memory database.
///
/// `@unchecked Sendable`: `connection` is touched only on `queue`.
public final class SQLiteFeedbackStore: FeedbackStore, @unchecked Sendable {
    private let queue = DispatchQueue(label: "keel.store.feedback")
    private var connection: SQLiteConnection?

    static let columns = "id, time, request_id, trace_id, span_id, name, score, label, comment, source"

    /// Opens the database at `path` (applying pending migrations, as ``SQLiteStore`` does), or a
    /// private in-memory one for `":memory:"`.
    ///
    /// - Throws: ``StoreError`` with `openFailed`, `migrationFailed` or `newerSchema`.
    public init(path: String) throws {
        let filename = path == ":memory:" ? "file:/keel-feedback-\(UUID().uuidString)?vfs=memdb" : path
        let connection = try SQLiteConnection(filename: filename, mode: .readWrite)
        connection.setBusyTimeout(milliseconds: SQLiteStore.busyTimeoutMilliseconds)
        _ = try SQLiteStore.migrate(connection)
        self.connection = connection
    }

    deinit {
        connection?.close()
    }

    public func record(_ feedback: Feedback) async throws {
        try await run { connection in
            let statement = try connection.prepare("INSERT INTO feedback (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            try statement.bind(feedback.id, at: 1)
            try statement.bind(feedback.time, at: 2)
            try statement.bind(feedback.requestID, at: 3)
            try statement.bind(feedback.traceID, at: 4)
            try statement.bind(feedback.spanID, at: 5)
            try statement.bind(feedback.name, at: 6)
            try statement.bind(feedback.score, at: 7)
            try statement.bind(feedback.label, at: 8)
            try statement.bind(feedback.comment, at: 9)
            try statement.bind(feedback.source, at: 10)
            do {
                try statement.run()
            } catch let error as StoreError {
                throw StoreError(.writeFailed, "could not store feedback: \(error.message)", sqliteCode: error.sqliteCode)
            }
        }
    }

    public func feedback(requestID: String) async throws -> [Feedback] {
        try await select("WHERE request_id = ? ORDER BY time, id", requestID)
    }

    public func feedback(traceID: String) async throws -> [Feedback] {
        try await select("WHERE trace_id = ? ORDER BY time, id", traceID)
    }

    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.connection?.close()
                self.connection = nil
                continuation.resume()
            }
        }
    }

    private func select(_ clause: String, _ value: String) async throws -> [Feedback] {
        try await run { connection in
            let statement = try connection.prepare("SELECT \(Self.columns) FROM feedback \(clause)")
            try statement.bind(value, at: 1)
            var rows: [Feedback] = []
            while try statement.step() {
                rows.append(Feedback(
                    id: statement.columnText(0),
                    time: statement.columnInt64(1),
                    requestID: statement.columnTextOrNil(2),
                    traceID: statement.columnTextOrNil(3),
                    spanID: statement.columnTextOrNil(4),
                    name: statement.columnText(5),
                    score: statement.columnDouble(6),
                    label: statement.columnTextOrNil(7),
                    comment: statement.columnTextOrNil(8),
                    source: statement.columnTextOrNil(9)
                ))
            }
            return rows
        }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                guard let connection = self.connection else {
                    continuation.resume(throwing: StoreError(.closed, "the feedback store is closed"))
                    return
                }
                continuation.resume(with: Result { try body(connection) })
            }
        }
    }
}
