import KeelCore
/// Where Keel keeps its state, as written in `storage.url`.
///
/// - `sqlite:PATH` — an SQLite file (relative paths are relative to the working directory);
///   `sqlite:///abs/path.db` is accepted too.
/// - `sqlite::memory:` — an in-memory SQLite database (gone when the process exits; for tests).
/// - `postgres://…` or `postgresql://…` — a PostgreSQL connection URL, kept verbatim.
///
/// The parser accepts every form; which ones a server build supports is decided where storage is opened.
/// `description` hides any password in a PostgreSQL URL.
public enum StorageURL: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// An SQLite database file, or `:memory:`.
    case sqlite(path: String)
    /// A PostgreSQL connection URL (it may contain a password: never log it as is).
    case postgres(url: String)

    /// Why a storage URL was rejected.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// A readable explanation.
        public let message: String
        public var description: String { message }
    }

    /// `sqlite:./keel-data/keel.db`.
    public static let `default` = StorageURL.sqlite(path: "./keel-data/keel.db")

    /// The in-memory SQLite path.
    public static let memoryPath = ":memory:"

    /// Parses a storage URL in one of the forms listed on the type.
    public init(parsing text: String) throws(ParseError) {
        if text.hasPrefix("sqlite:") {
            var path = text.dropFirst("sqlite:".count)
            if path.hasPrefix("//") { path = path.dropFirst(2) }
            guard !path.isEmpty else {
                throw ParseError(message: "\(quoted(text)) has no path; expected sqlite:PATH or sqlite::memory:")
            }
            self = .sqlite(path: String(path))
            return
        }
        for scheme in ["postgres://", "postgresql://"] where text.hasPrefix(scheme) {
            guard text.count > scheme.count else {
                throw ParseError(message: "\(quoted(text)) is incomplete; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
            }
            guard !text.contains(where: { $0.isWhitespace }) else {
                throw ParseError(message: "a PostgreSQL URL may not contain spaces")
            }
            self = .postgres(url: text)
            return
        }
        let scheme = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? text
        throw ParseError(message: "unsupported storage URL scheme \(quoted(scheme)); expected sqlite:PATH, sqlite::memory: or postgres://…")
    }

    /// Whether this is a throwaway in-memory SQLite database.
    public var isInMemory: Bool { self == .sqlite(path: Self.memoryPath) }

    /// The URL as written, with a PostgreSQL URL's user information and query values masked.
    public var description: String {
        switch self {
        case .sqlite(let path):
            return "sqlite:" + path
        case .postgres(let url):
            return URLRedaction.url(url)
        }
    }

    public var debugDescription: String { "StorageURL(\(description))" }
    public var customMirror: Mirror { Mirror(self, children: ["url": description]) }
}
