internal import CSQLite

/// One SQLite database connection; owns the `sqlite3*` handle and closes it in `deinit`.
///
/// Connections are opened in multi-thread mode (`SQLITE_OPEN_NOMUTEX`): a connection may move between
/// threads but must never be used by two threads at once. The store guarantees that by giving each
/// connection to exactly one owner (the writer thread or the reader queue) after it is opened.
final class SQLiteConnection: @unchecked Sendable {
    /// How a connection is opened.
    enum Mode {
        /// Read and write; the database file is created when missing.
        case readWrite
        /// Read only; the database must already exist.
        case readOnly
    }

    private(set) var handle: OpaquePointer?
    /// The name passed to `sqlite3_open_v2`, for error messages.
    let filename: String

    /// Opens `filename`. Names starting with `file:` are URIs (used for shared in-memory databases).
    init(filename: String, mode: Mode) throws {
        self.filename = filename
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        switch mode {
        case .readWrite: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(filename, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let detail = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw StoreError(.openFailed, "could not open database \(filename): \(detail) (sqlite code \(rc))")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        close()
    }

    /// Closes the connection. Statements still alive are finalized by their own `deinit`;
    /// `sqlite3_close_v2` defers the real close until then. Calling it twice is harmless.
    func close() {
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    /// The most recent error message of this connection.
    var lastErrorMessage: String {
        guard let handle else { return "connection closed" }
        return String(cString: sqlite3_errmsg(handle))
    }

    /// Whether the connection is outside an explicit transaction (SQLite rolls a transaction back by itself
    /// after some errors, e.g. a full disk or `RAISE(ROLLBACK)`).
    var isAutocommit: Bool {
        guard let handle else { return true }
        return sqlite3_get_autocommit(handle) != 0
    }

    /// Sets how long a statement waits for a lock held by another connection before failing with `SQLITE_BUSY`.
    func setBusyTimeout(milliseconds: Int32) {
        if let handle { sqlite3_busy_timeout(handle, milliseconds) }
    }

    /// Runs one or more SQL statements that return no rows of interest.
    func execute(_ sql: String, code: StoreError.Code = .queryFailed) throws {
        guard let handle else { throw StoreError(.closed, "database connection is closed") }
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let detail = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw StoreError(code, "\(detail) (sqlite code \(rc))", sqliteCode: rc)
        }
    }

    /// Compiles one statement. `persistent` hints that it will be reused many times.
    func prepare(_ sql: String, persistent: Bool = false) throws -> SQLiteStatement {
        guard let handle else { throw StoreError(.closed, "database connection is closed") }
        var stmt: OpaquePointer?
        let flags: UInt32 = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sqlite3_prepare_v3(handle, sql, -1, flags, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw StoreError(.queryFailed, "could not prepare statement: \(lastErrorMessage) (sqlite code \(rc))", sqliteCode: rc)
        }
        return SQLiteStatement(handle: stmt, connection: self)
    }

    /// Runs `sql` and returns the first column of the first row as text, or nil when there is no row.
    func scalarText(_ sql: String) throws -> String? {
        let stmt = try prepare(sql)
        guard try stmt.step() else { return nil }
        return stmt.columnText(0)
    }

    /// Runs `sql` and returns the first column of the first row as an integer, or nil when there is no row
    /// or the value is NULL.
    func scalarInt(_ sql: String) throws -> Int64? {
        let stmt = try prepare(sql)
        guard try stmt.step() else { return nil }
        return stmt.columnInt64OrNil(0)
    }
}
