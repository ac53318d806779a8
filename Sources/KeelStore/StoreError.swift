/// An error raised by a ``Store``: a ``Code`` saying what failed and a message with the details
/// (for SQLite, the database's own error text).
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of operation failed. A struct rather than an enum so codes can be added without
    /// breaking callers that switch over them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The database could not be opened or configured (path, permissions, pragmas).
        public static let openFailed = Code("openFailed")
        /// A schema migration failed; the database was left at the last migration that succeeded.
        public static let migrationFailed = Code("migrationFailed")
        /// The database was written by a newer version of Keel: its schema is newer than this code knows.
        public static let newerSchema = Code("newerSchema")
        /// A read failed.
        public static let queryFailed = Code("queryFailed")
        /// Accepted entries could not be written and were dropped (reported by ``Store/flush()``).
        public static let writeFailed = Code("writeFailed")
        /// The store was shut down.
        public static let closed = Code("closed")

        public var description: String { name }
    }

    /// What failed.
    public var code: Code
    /// Human-readable details; never contains secrets.
    public var message: String
    /// The SQLite result code behind the error, when there is one.
    var sqliteCode: Int32?

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
        self.sqliteCode = nil
    }

    init(_ code: Code, _ message: String, sqliteCode: Int32?) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
    }

    public var description: String { "StoreError(\(code)): \(message)" }
}
