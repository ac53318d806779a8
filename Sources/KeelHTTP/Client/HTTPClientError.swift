import KeelCore
/// An error raised by ``HTTPClient``: a stable ``Code`` to branch on and a message for logs.
///
/// Messages describe what failed (for example "connection refused" or libcurl's explanation) and
/// never contain header values, request bodies or credentials, so they are safe to log: the client
/// never puts those into a message, and the user information of any URL in a message (libcurl
/// quotes a malformed proxy URL verbatim, password included) is replaced by `***`.
public struct HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure happened. Compare with the static members (`error.code == .totalTimeout`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case connectFailed, connectTimeout, firstByteTimeout, totalTimeout, connectionLost
            case protocolError, responseTooLarge, invalidRequest, cancelled, shutdown, other
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The connection could not be established (refused, unreachable, DNS or TLS failure).
        public static let connectFailed = Code(.connectFailed)
        /// Establishing the connection took longer than ``HTTPClientTimeouts/connect``.
        public static let connectTimeout = Code(.connectTimeout)
        /// The response headers were not complete within ``HTTPClientTimeouts/firstByte``.
        public static let firstByteTimeout = Code(.firstByteTimeout)
        /// The whole exchange took longer than ``HTTPClientTimeouts/total``.
        public static let totalTimeout = Code(.totalTimeout)
        /// The connection broke (reset or closed early) before the response was complete.
        public static let connectionLost = Code(.connectionLost)
        /// The server's response was malformed.
        public static let protocolError = Code(.protocolError)
        /// The response body exceeded the allowed size.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// The request itself is unusable (bad URL, unsupported scheme, invalid header).
        public static let invalidRequest = Code(.invalidRequest)
        /// The transfer was cancelled: the awaiting task was cancelled or the body was abandoned.
        public static let cancelled = Code(.cancelled)
        /// The client was shut down before or during the transfer.
        public static let shutdown = Code(.shutdown)
        /// Any other failure.
        public static let other = Code(.other)

        /// The code's name, such as `totalTimeout`.
        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation, free of header values and credentials.
    public let message: String

    /// Creates an error with a code and a message; URL user information in `message` is redacted.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = URLRedaction.userInfo(in: message)
    }

    /// `HTTPClientError(<code>): <message>`.
    public var description: String { "HTTPClientError(\(code)): \(message)" }
}
