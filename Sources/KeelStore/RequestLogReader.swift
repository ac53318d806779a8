import Dispatch

/// Serves request-log reads on a read-only connection and a serial dispatch queue of its own, so blocking
/// SQLite calls never run on the Swift cooperative pool and never wait for the writer (in WAL mode readers
/// see the last committed snapshot while the writer appends).
///
/// `@unchecked Sendable`: `connection` and `statements` are touched only on `queue`.
final class RequestLogReader: @unchecked Sendable {
    private let queue = DispatchQueue(label: "keel.store.reader")
    private var connection: SQLiteConnection?
    /// Prepared statements by SQL text, for the most common query shapes (at most
    /// ``maxCachedStatements``; rarer combinations of filters are prepared for each read).
    private var statements: [String: SQLiteStatement] = [:]
    static let maxCachedStatements = 64

    /// Takes ownership of `connection`.
    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Entries matching `query`, newest first.
    func requests(_ query: RequestLogQuery) async throws -> [RequestLogEntry] {
        var conditions: [String] = []
        var parameters: [Parameter] = []
        func add(_ condition: String, _ values: Parameter...) {
            conditions.append(condition)
            parameters.append(contentsOf: values)
        }
        if let since = query.since { add("time >= ?", .integer(since)) }
        if let until = query.until { add("time < ?", .integer(until)) }
        if let model = query.model { add("model = ?", .text(model)) }
        if let status = query.status { add("status = ?", .integer(Int64(status))) }
        if let range = query.statusRange {
            add("status >= ? AND status < ?", .integer(Int64(range.lowerBound)), .integer(Int64(range.upperBound)))
        }
        // The status index holds error rows only; the literal term lets the planner use it.
        if (query.status ?? 0) >= 400 || (query.statusRange?.lowerBound ?? 0) >= 400 { add("status >= 400") }
        if let provider = query.provider { add("provider = ?", .text(provider)) }
        if let team = query.team { add("team_id = ?", .text(team)) }
        if let keyID = query.keyID { add("key_id = ?", .text(keyID)) }
        if let minLatency = query.minLatencyMs { add("latency_ms >= ?", .real(minLatency)) }
        if let text = query.errorContains {
            add("error_message LIKE ? ESCAPE '\\'", .text("%" + Self.escapeLike(text) + "%"))
        }
        if let cursor = query.before { add("(time, id) < (?, ?)", .integer(cursor.time), .text(cursor.id)) }
        parameters.append(.integer(Int64(query.effectiveLimit)))
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(RequestLogRow.selectColumns) FROM requests\(whereClause) ORDER BY time DESC, id DESC LIMIT ?"
        return try await select(sql, parameters)
    }

    /// The entry with this id, with its captured content (from `request_content`) when it has some; or nil.
    func request(id: String) async throws -> RequestLogEntry? {
        guard var entry = try await select("SELECT \(RequestLogRow.selectColumns) FROM requests WHERE id = ?", [.text(id)]).first else { return nil }
        entry.content = try await content(id: id)
        return entry
    }

    /// The captured content of the request `id`, or nil when none was captured.
    func content(id: String) async throws -> RequestLogContent? {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.contentOnQueue(id: id) })
            }
        }
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
        case real(Double)
        case text(String)
    }

    /// `text` with the `LIKE` wildcards `%` and `_` (and the escape character) escaped.
    static func escapeLike(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    private func select(_ sql: String, _ parameters: [Parameter]) async throws -> [RequestLogEntry] {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.selectOnQueue(sql, parameters) })
            }
        }
    }

    private func contentOnQueue(id: String) throws -> RequestLogContent? {
        let stmt = try statement(RequestLogContentRow.selectSQL)
        defer { stmt.reset() }
        try stmt.bind(id, at: 1)
        return try stmt.step() ? RequestLogContentRow.read(stmt) : nil
    }

    /// A prepared statement for `sql`: cached for the common shapes, prepared afresh past the cache's size.
    private func statement(_ sql: String) throws -> SQLiteStatement {
        guard let connection else { throw StoreError(.closed, "the store is shut down") }
        if let cached = statements[sql] { return cached }
        guard statements.count < Self.maxCachedStatements else { return try connection.prepare(sql) }
        let stmt = try connection.prepare(sql, persistent: true)
        statements[sql] = stmt
        return stmt
    }

    private func selectOnQueue(_ sql: String, _ parameters: [Parameter]) throws -> [RequestLogEntry] {
        let stmt = try statement(sql)
        // Resetting releases the read snapshot, so the next read sees the latest commits.
        defer { stmt.reset() }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            switch parameter {
            case .integer(let value): try stmt.bind(value, at: index)
            case .real(let value): try stmt.bind(value, at: index)
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
