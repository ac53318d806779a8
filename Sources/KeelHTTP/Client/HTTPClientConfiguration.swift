import KeelCore
/// Settings shared by every transfer of one ``HTTPClient``.
public struct HTTPClientConfiguration: Sendable {
    /// Response body bytes buffered per transfer before reading from the network pauses. Default 256 KiB.
    ///
    /// When a consumer reads slower than the server sends, the transfer is paused once this many bytes
    /// wait in the buffer and resumed when the consumer has drained half of them, so memory per
    /// transfer stays near this bound (plus at most one network read, typically 16 KiB).
    public var maxBufferedBodyBytes: Int
    /// The most simultaneous connections to one host; 0 means unlimited. Default 0.
    ///
    /// Transfers beyond the limit wait for a free connection (over HTTP/2 they share one instead).
    /// Waiting counts against the first-byte and total timeouts, not the connect timeout.
    public var maxConnectionsPerHost: Int
    /// Idle connections kept open for reuse, across all hosts. Default 64.
    public var maxIdleConnections: Int
    /// How the proxy is chosen. Default ``HTTPClientProxy/environment``.
    public var proxy: HTTPClientProxy
    /// A PEM file of certificate authorities to trust instead of the system's bundle (for a
    /// corporate CA, or a test server). Default nil: the system's trust store.
    public var caCertificatesPath: String?

    /// Creates a configuration; every parameter documents its default.
    public init(
        maxBufferedBodyBytes: Int = 256 * 1024,
        maxConnectionsPerHost: Int = 0,
        maxIdleConnections: Int = 64,
        proxy: HTTPClientProxy = .environment,
        caCertificatesPath: String? = nil
    ) {
        self.maxBufferedBodyBytes = max(1, maxBufferedBodyBytes)
        self.maxConnectionsPerHost = max(0, maxConnectionsPerHost)
        self.maxIdleConnections = max(1, maxIdleConnections)
        self.proxy = proxy
        self.caCertificatesPath = caCertificatesPath
    }
}

/// Which proxy ``HTTPClient`` sends requests through.
///
/// Its `description` (and its mirror, used by `dump` and by the description of an enclosing
/// ``HTTPClientConfiguration``) shows a proxy URL without its user information.
public enum HTTPClientProxy: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// Use the standard environment variables: `http_proxy`, `https_proxy` (also upper case),
    /// `all_proxy` and `no_proxy`, as libcurl interprets them. This is the default.
    case environment
    /// Connect directly, ignoring the environment.
    case disabled
    /// Use this proxy URL (`http://user:password@host:port`) for every request. It may contain
    /// credentials and is never logged or included in error messages.
    case url(String)

    /// `environment`, `disabled` or `url(<the URL with its credentials replaced by ***>)`.
    public var description: String {
        switch self {
        case .environment: "environment"
        case .disabled: "disabled"
        case .url(let url): "url(\(URLRedaction.url(url)))"
        }
    }

    /// A mirror without children, so reflection never reaches a proxy password.
    public var customMirror: Mirror { Mirror(self, children: []) }
}
