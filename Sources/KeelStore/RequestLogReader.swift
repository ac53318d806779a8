import Dispatch

/// Serves request-log reads on a read-only connection and a serial dispatch queue of its own, so blocking
/// SQLite calls never run on the Swift cooperative pool and never wait for the writer (in WAL mode readers
/// see the last committed snapshot while the writer appends).
///
/// `@unchecked Sendable`: `connection` and `statements` are touched only on `queue`.
final class RequestLogReader: @unchecked Sendable {
    private let queue = DispatchQueue(label: "keel.store.reader")
    private var connection: SQLiteConnection?
    /// Prepared statements by SQL text; a query has one of at most 32 shapes (5 optional filters).
    private var statements: [String: SQLiteStatement] = [:]

    /// Takes ownership of `connection`.
    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Entries matching `query`, newest first.
    func requests(_ query: RequestLogQuery) async throws -> [RequestLogEntry] {
        var conditions: [String] = []
        var parameters: [Parameter] = []
        if let since = query.since {
            conditions.append("time >= ?")
            parameters.append(.integer(since))
        }
        if let until = query.until {
            conditions.append("time < ?")
            parameters.append(.integer(until))
        }
        if let model = query.model {
            conditions.append("model = ?")
            parameters.append(.text(model))
        }
        if let status = query.status {
            conditions.append("status = ?")
            parameters.append(.integer(Int64(status)))
        }
        if let cursor = query.before {
            conditions.append("(time, id) < (?, ?)")
            parameters.append(.integer(cursor.time))
            parameters.append(.text(cursor.id))
        }
        parameters.append(.integer(Int64(query.effectiveLimit)))
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(RequestLogRow.selectColumns) FROM requests\(whereClause) ORDER BY time DESC, id DESC LIMIT ?"
        return try await select(sql, parameters)
    }

    /// The entry with this id, or nil.
    func request(id: String) async throws -> RequestLogEntry? {
        try await select("SELECT \(RequestLogRow.selectColumns) FROM requests WHERE id = ?", [.text(id)]).first
    }

    /// Closes the connection after the reads already queued; later reads fail with ``StoreError/Code/closed``.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.closeOnQueue()
                continuation.resume()
            }
        }
    }

    /// Closes the connection without waiting (used when the store is deallocated without a shutdown).
    func closeEventually() {
        queue.async { self.closeOnQueue() }
    }

    private func closeOnQueue() {
        statements = [:]
        connection?.close()
        connection = nil
    }

    private enum Parameter: Sendable {
        case integer(Int64)
        case text(String)
    }

    private func select(_ sql: String, _ parameters: [Parameter]) async throws -> [RequestLogEntry] {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.selectOnQueue(sql, parameters) })
            }
        }
    }

    private func selectOnQueue(_ sql: String, _ parameters: [Parameter]) throws -> [RequestLogEntry] {
        guard let connection else { throw StoreError(.closed, "the store is shut down") }
        let stmt: SQLiteStatement
        if let cached = statements[sql] {
            stmt = cached
        } else {
            stmt = try connection.prepare(sql, persistent: true)
            statements[sql] = stmt
        }
        // Resetting releases the read snapshot, so the next read sees the latest commits.
        defer { stmt.reset() }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            switch parameter {
            case .integer(let value): try stmt.bind(value, at: index)
            case .text(let value): try stmt.bind(value, at: index)
            }
        }
        var entries: [RequestLogEntry] = []
        while try stmt.step() {
            entries.append(RequestLogRow.read(stmt))
        }
        return entries
    }
}
