/// One rate limit a request counts against.
public struct RateLimitRule: Sendable, Equatable {
    /// What the limit applies to.
    public enum Scope: Sendable, Hashable, CustomStringConvertible {
        case key(String)
        case team(String)
        case model(String)

        /// A readable form for logs and messages.
        public var description: String {
            switch self {
            case .key(let id): "key \(id)"
            case .team(let id): "team \(id)"
            case .model(let name): "model \(name)"
            }
        }
    }

    /// What the limit or budget applies to.
    public var scope: Scope
    /// Requests per minute; nil means unlimited.
    public var rpm: Int?
    /// Tokens per minute; nil means unlimited.
    public var tpm: Int?

    /// Creates a value with the given fields.
    public init(scope: Scope, rpm: Int? = nil, tpm: Int? = nil) {
        self.scope = scope
        self.rpm = rpm
        self.tpm = tpm
    }
}

/// Remaining capacity after an admission, for the `x-ratelimit-*` response headers (the tightest
/// rule of each kind).
public struct RateLimitStatus: Sendable, Equatable {
    /// Requests per minute of the tightest request limit.
    public var limitRequests: Int?
    /// Requests left in that allowance.
    public var remainingRequests: Int?
    /// Seconds until the request allowance is full again.
    public var resetRequests: Double?
    /// Tokens per minute of the tightest token limit.
    public var limitTokens: Int?
    /// Tokens left in that allowance.
    public var remainingTokens: Int?
    /// Seconds until the token allowance is full again.
    public var resetTokens: Double?

    /// Creates a value with the given fields.
    public init() {}
}

/// The limiter's answer.
public enum RateDecision: Sendable, Equatable {
    case allowed(RateLimitStatus)
    /// `rule` has no room for this request's `requests` (or `tokens`); retry after `retryAfter` seconds.
    case limited(RateLimitRule, tokens: Bool, retryAfter: Double, status: RateLimitStatus)
}

/// Requests- and tokens-per-minute limits with reservations: the estimated tokens are taken when a
/// request is admitted and corrected by the real usage when it settles.
///
/// ``InMemoryRateLimiter`` is exact within one process; a shared backend (Redis) implements the same calls
/// with an atomic script per admission.
public protocol RateLimiter: Sendable {
    /// Takes one request and `tokens` from every rule, or nothing when any rule has no room.
    /// `now` is seconds on any monotonic scale.
    func acquire(_ id: UInt64, rules: [RateLimitRule], tokens: Int, now: Double) async -> RateDecision
    /// Corrects the tokens taken by `id` to `actualTokens`.
    func settle(_ id: UInt64, actualTokens: Int, now: Double) async
    /// Gives back what `id` took (the request never reached a provider).
    func release(_ id: UInt64, now: Double) async
}
