/// One upstream attempt made while serving a request: the first try, a retry, a hedge or a fallback.
///
/// A request that was answered from the response cache has no attempts; one that failed over has
/// one per route it tried, in the order they started.
public struct RequestLogAttempt: Sendable, Equatable, Hashable, Codable {
    /// The provider the attempt was sent to.
    public var provider: String
    /// The model name sent to the provider.
    public var model: String
    /// The upstream's HTTP status, or the status Keel derived for a failure to get one
    /// (502 unreachable or reset, 504 timed out, 499 cancelled because another attempt won).
    public var status: Int
    /// What went wrong, for failed attempts. Never contains credentials.
    public var error: String?
    /// How long the attempt ran, in milliseconds.
    public var latencyMs: Double
    /// When the attempt started, in milliseconds after the request arrived.
    public var startedMs: Double

    /// An attempt record.
    public init(provider: String, model: String, status: Int, error: String? = nil, latencyMs: Double, startedMs: Double) {
        self.provider = provider
        self.model = model
        self.status = status
        self.error = error
        self.latencyMs = latencyMs
        self.startedMs = startedMs
    }
}
