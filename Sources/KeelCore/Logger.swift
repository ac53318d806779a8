#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The severity of a log line, from most to least verbose.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case trace = 0, debug, info, notice, warning, error, critical

    /// Parses a level name as written in the configuration (`info`, `warning`, …).
    public init?(name: String) {
        switch name.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warning", "warn": self = .warning
        case "error": self = .error
        case "critical": self = .critical
        default: return nil
        }
    }

    /// The level's name as written in the configuration and in log lines, e.g. `warning`.
    public var description: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }

    /// `true` when `lhs` is more verbose than `rhs`.
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where formatted log lines go. The default writes one line per call to standard error.
public final class LogSink: Sendable {
    private let write: @Sendable (String) -> Void

    /// A sink that calls `write` with each complete line (newline included).
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Writes each line to standard error with a single `write(2)`, so lines never interleave.
    public static let standardError = LogSink { line in
        var line = line
        line.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    /// A sink that keeps every line in memory; tests read them back with `lines`.
    public static func memory() -> (LogSink, @Sendable () -> [String]) {
        let storage = Mutex<[String]>([])
        let sink = LogSink { line in storage.withLock { $0.append(line) } }
        return (sink, { storage.withLock { $0 } })
    }

    func emit(_ line: String) { write(line) }
}

/// A structured logger: each line is one JSON object with a timestamp, level, label, message and metadata.
///
/// Loggers are values; `with(_:_:)` returns a copy carrying extra metadata (for example the request id).
/// Metadata under keys that name credentials (`authorization`, `api_key`, …) is always written as
/// `[REDACTED]`, and a ``Secret`` never prints its value, so secrets cannot reach the log by accident.
public struct Logger: Sendable {
    /// The component that logs, e.g. `keel.http`.
    public var label: String
    /// Lines below this level are dropped before they are formatted.
    public var level: LogLevel
    /// Key/value pairs added to every line.
    public var metadata: [String: String]
    private let sink: LogSink

    /// Creates a logger; by default it writes `info` and above to standard error, with no metadata.
    public init(label: String, level: LogLevel = .info, metadata: [String: String] = [:], sink: LogSink = .standardError) {
        self.label = label
        self.level = level
        self.metadata = metadata
        self.sink = sink
    }

    /// A copy of this logger with one more metadata entry.
    public func with(_ key: String, _ value: String) -> Logger {
        var copy = self
        copy.metadata[key] = value
        return copy
    }

    /// A copy of this logger with another label (same level, sink and metadata).
    public func labeled(_ label: String) -> Logger {
        var copy = self
        copy.label = label
        return copy
    }

    /// Whether lines at `level` are written (checked before a message is built).
    @inlinable public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    /// Logs at `trace`; `message` is only evaluated when the level is enabled. The same goes for the
    /// other levels below.
    public func trace(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.trace, message(), metadata) }
    public func debug(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.debug, message(), metadata) }
    public func info(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.info, message(), metadata) }
    public func notice(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.notice, message(), metadata) }
    public func warning(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.warning, message(), metadata) }
    public func error(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.error, message(), metadata) }
    public func critical(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.critical, message(), metadata) }

    /// Formats and writes one line if `level` is enabled.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ extra: [String: String] = [:]) {
        guard isEnabled(level) else { return }
        var line = "{\"ts\":\""
        line += Self.timestamp()
        line += "\",\"level\":\"\(level)\",\"label\":"
        JSONString.append(label, to: &line)
        line += ",\"msg\":"
        JSONString.append(message(), to: &line)
        var merged = metadata
        for (k, v) in extra { merged[k] = v }
        for key in merged.keys.sorted() {
            line += ","
            JSONString.append(key, to: &line)
            line += ":"
            JSONString.append(Self.isSensitive(key) ? "[REDACTED]" : merged[key]!, to: &line)
        }
        line += "}\n"
        sink.emit(line)
    }

    /// Metadata keys whose values are never written: credential headers and keys that name a key, a
    /// secret, a password or a token. `-` and `_` are treated alike, so `x-goog-api-key`, `api_key`,
    /// `x-amz-security-token` and `access_token` all match (counters such as `input_tokens` do not).
    static func isSensitive(_ key: String) -> Bool {
        let k = key.lowercased().replacing("-", with: "_")
        return k == "authorization" || k == "proxy_authorization" || k == "cookie" || k == "set_cookie"
            || k == "token" || k.hasSuffix("_token") || k.contains("api_key") || k.contains("master_key")
            || k.contains("secret") || k.contains("password")
    }

    /// RFC 3339 UTC timestamp with milliseconds.
    static func timestamp() -> String { RFC3339.now() }
}
