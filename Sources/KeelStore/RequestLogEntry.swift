import Foundation

/// One request handled by the gateway, as kept in the request log.
///
/// Times are whole milliseconds since the Unix epoch (UTC) in an `Int64`: exact to store and compare,
/// and the same value in every backend. ``date`` and ``millisecondsSinceEpoch(_:)`` convert from and to `Date`.
public struct RequestLogEntry: Sendable, Equatable, Hashable, Codable {
    /// Unique request id (the gateway's `x-request-id`). Recording an id twice keeps the last entry.
    public var id: String
    /// When the request arrived, in milliseconds since the Unix epoch (UTC).
    public var time: Int64
    /// Which inbound API was called, e.g. `openai.chat_completions` or `anthropic.messages`.
    public var inboundAPI: String
    /// The model name the client asked for.
    public var model: String
    /// The provider the request was routed to, if it got that far.
    public var provider: String?
    /// The model name sent to the provider, if it differs from or resolves ``model``.
    public var upstreamModel: String?
    /// The HTTP status returned to the client.
    public var status: Int
    /// Total time from arrival to the last byte of the response, in milliseconds.
    public var latencyMs: Double
    /// Time from arrival to the first streamed token, in milliseconds (streams only).
    public var timeToFirstTokenMs: Double?
    /// Prompt tokens reported by the provider.
    public var inputTokens: Int?
    /// Completion tokens reported by the provider.
    public var outputTokens: Int?
    /// Prompt tokens served from the provider's cache.
    public var cachedInputTokens: Int?
    /// Whether the response was streamed.
    public var stream: Bool
    /// What went wrong, for failed requests. Never contains credentials.
    public var errorMessage: String?
    /// Free-form key/value pairs (for example a virtual key's name or a route). Stored as JSON text.
    public var metadata: [String: String]
    /// Every upstream attempt, in the order they started (retries, hedges and fallbacks included);
    /// empty when nothing was sent upstream. Stored as JSON text.
    public var attempts: [RequestLogAttempt]
    /// The response cache's verdict: `hit`, `miss`, or nil when the model has no cache (or it was bypassed).
    public var cache: String?
    /// The captured prompt and answer, when content capture is on; kept in a table of its own and
    /// read back only by ``Store/request(id:)``, never by list queries. Default nil.
    public var content: RequestLogContent?
    /// The W3C trace id of the request's span (32 hex digits), when it was traced. Stored in its
    /// own column; a read entry also shows it in ``metadata`` as `trace_id`, as earlier versions
    /// stored it.
    public var traceID: String?
    /// The request span's id (16 hex digits), when it was traced; in ``metadata`` as `span_id` too.
    public var spanID: String?

    /// An entry; only the id, the inbound API and the model have no default.
    public init(
        id: String,
        time: Int64 = RequestLogEntry.millisecondsSinceEpoch(),
        inboundAPI: String,
        model: String,
        provider: String? = nil,
        upstreamModel: String? = nil,
        status: Int = 200,
        latencyMs: Double = 0,
        timeToFirstTokenMs: Double? = nil,
        inputTokens: Int? = nil,
        outputTokens: Int? = nil,
        cachedInputTokens: Int? = nil,
        stream: Bool = false,
        errorMessage: String? = nil,
        metadata: [String: String] = [:],
        attempts: [RequestLogAttempt] = [],
        cache: String? = nil,
        content: RequestLogContent? = nil,
        traceID: String? = nil,
        spanID: String? = nil
    ) {
        self.id = id
        self.time = time
        self.inboundAPI = inboundAPI
        self.model = model
        self.provider = provider
        self.upstreamModel = upstreamModel
        self.status = status
        self.latencyMs = latencyMs
        self.timeToFirstTokenMs = timeToFirstTokenMs
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.stream = stream
        self.errorMessage = errorMessage
        self.metadata = metadata
        self.attempts = attempts
        self.cache = cache
        self.content = content
        self.traceID = traceID
        self.spanID = spanID
    }

    /// ``time`` as a `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(time) / 1000)
    }

    /// `date` in whole milliseconds since the Unix epoch (rounded down); the current time by default.
    public static func millisecondsSinceEpoch(_ date: Date = Date()) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}
