import KeelCore

/// Per-request context handed to middleware and handlers alongside the ``Request``.
public struct RequestContext: Sendable {
    /// The request id: the client's `x-request-id` when it sent a sane one, otherwise generated.
    /// It is echoed in the `x-request-id` response header.
    public let requestID: String
    /// A logger whose lines carry `request_id`.
    public var logger: Logger
    /// Path parameters of the matched route (`/v1/models/{id}` → `["id": …]`); a trailing `*`
    /// segment is available as `"*"`.
    public var parameters: [String: String]
    /// The matched route template (e.g. `/v1/models/{id}`), or nil when no route matched.
    /// Use it — never the raw path — as a metrics label.
    public var route: String?
    /// The error shape of the matched route.
    public var errorFormat: ErrorFormat
    /// When the engine received the complete request.
    public let startTime: ContinuousClock.Instant
    /// The client's IP address, when known.
    public var remoteAddress: String?
    /// Values middleware attached for later handlers (the caller's identity, the trace context, …).
    public var attributes = RequestAttributes()

    public init(requestID: String, logger: Logger, parameters: [String: String] = [:], route: String? = nil, errorFormat: ErrorFormat = .openAI, startTime: ContinuousClock.Instant = .now, remoteAddress: String? = nil) {
        self.requestID = requestID
        self.logger = logger
        self.parameters = parameters
        self.route = route
        self.errorFormat = errorFormat
        self.startTime = startTime
        self.remoteAddress = remoteAddress
    }
}
