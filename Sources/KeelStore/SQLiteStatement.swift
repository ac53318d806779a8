internal import CSQLite

/// One prepared statement; owns the `sqlite3_stmt*` and finalizes it in `deinit`.
///
/// Keeps its connection alive, so the connection is never closed under a live statement. Used only by the
/// thread that owns the connection.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding (parameter indexes start at 1)

    func bind(_ value: Int64?, at index: Int32) throws {
        let rc = value.map { sqlite3_bind_int64(handle, index, $0) } ?? sqlite3_bind_null(handle, index)
        try check(rc, "bind parameter \(index)")
    }

    func bind(_ value: Int?, at index: Int32) throws {
        try bind(value.map(Int64.init), at: index)
    }

    func bind(_ value: Double?, at index: Int32) throws {
        let rc = value.map { sqlite3_bind_double(handle, index, $0) } ?? sqlite3_bind_null(handle, index)
        try check(rc, "bind parameter \(index)")
    }

    func bind(_ value: Bool, at index: Int32) throws {
        try bind(Int64(value ? 1 : 0), at: index)
    }

    func bind(_ value: String?, at index: Int32) throws {
        guard let value else {
            try check(sqlite3_bind_null(handle, index), "bind parameter \(index)")
            return
        }
        // `withCString` always yields a non-null pointer (so "" binds as empty text, not NULL).
        let count = Int32(value.utf8.count)
        let rc = value.withCString { keel_sqlite3_bind_text_transient(handle, index, $0, count) }
        try check(rc, "bind parameter \(index)")
    }

    /// Resets the statement so it can run again and clears its parameters.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Stepping

    /// Advances to the next row: true when a row is available, false when the statement is done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            // The error of the step is reported by the connection; resetting afterwards keeps it reusable.
            let message = connection.lastErrorMessage
            sqlite3_reset(handle)
            throw StoreError(.queryFailed, "\(message) (sqlite code \(rc))", sqliteCode: rc)
        }
    }

    /// Runs a statement that returns no rows.
    func run() throws {
        while try step() {}
    }

    // MARK: Columns (indexes start at 0)

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func columnInt64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func columnInt64OrNil(_ column: Int32) -> Int64? {
        isNull(column) ? nil : columnInt64(column)
    }

    func columnIntOrNil(_ column: Int32) -> Int? {
        columnInt64OrNil(column).map { Int($0) }
    }

    func columnDouble(_ column: Int32) -> Double {
        sqlite3_column_double(handle, column)
    }

    func columnDoubleOrNil(_ column: Int32) -> Double? {
        isNull(column) ? nil : columnDouble(column)
    }

    func columnText(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func columnTextOrNil(_ column: Int32) -> String? {
        isNull(column) ? nil : columnText(column)
    }

    /// Throws unless `rc` is `SQLITE_OK`; `what` is only built for the error (binding is on the
    /// request log writer's path, once per column of every row).
    @inline(__always)
    private func check(_ rc: Int32, _ what: @autoclosure () -> String) throws {
        guard rc == SQLITE_OK else {
            throw StoreError(.queryFailed, "could not \(what()): \(connection.lastErrorMessage) (sqlite code \(rc))", sqliteCode: rc)
        }
    }
}
