import KeelHTTP

/// Why one upstream attempt failed, classified for the retry loop: whether another attempt may
/// succeed, how long the upstream asked to wait, and whether a fallback list applies.
public struct AttemptFailure: Error, Sendable, CustomStringConvertible {
    /// Which special fallback list a failure calls for.
    public enum FallbackReason: Sendable, Equatable {
        /// The request is longer than the model's context window: `context_window_fallbacks`.
        case contextWindow
        /// The provider refused the content: `content_policy_fallbacks`.
        case contentPolicy
    }

    /// What the client sees if this is the last failure.
    public var error: GatewayError
    /// The upstream's HTTP status, when it answered at all.
    public var upstreamStatus: Int?
    /// How long the upstream asked to be left alone.
    public var retryAfter: Duration?
    /// Whether another attempt (on another route, or later on this one) may succeed:
    /// connect failures, resets, timeouts, 408, 429, 5xx and 529, and streams cut before their first token.
    public var retryable: Bool
    /// The attempt ran out of time (Keel's timeout or the upstream's 408): it is not retried on the same route.
    public var timedOut: Bool
    /// The attempt was cancelled (another attempt won, or the client left).
    public var cancelled: Bool
    /// The special fallback list this failure calls for.
    public var fallbackReason: FallbackReason?
    /// A stream the upstream started (status 200) that failed before its first token: if no other
    /// attempt succeeds, the client gets it as the upstream sent it, ending in the error event.
    var startedStream: PreparedStream?
    /// The route (`provider`, `model`) the request had been routed to when it was refused before
    /// anything was sent upstream.
    var refusedOn: (provider: String, model: String)?

    public init(error: GatewayError, upstreamStatus: Int? = nil, retryAfter: Duration? = nil, retryable: Bool, timedOut: Bool = false, cancelled: Bool = false, fallbackReason: FallbackReason? = nil) {
        self.error = error
        self.upstreamStatus = upstreamStatus
        self.retryAfter = retryAfter
        self.retryable = retryable
        self.timedOut = timedOut
        self.cancelled = cancelled
        self.fallbackReason = fallbackReason
    }

    /// The status recorded for the attempt in the request log: the upstream's own when it answered.
    public var loggedStatus: Int { upstreamStatus ?? error.status }

    public var description: String { "attempt failed (\(loggedStatus)): \(error.message)" }

    /// Statuses worth another attempt.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    /// An upstream error answer: `mapped` is what its codec made of it for the client.
    public static func upstream(status: Int, mapped: GatewayError, headers: HTTPHeaders) -> AttemptFailure {
        var retryAfter = RetryAfter.parse { headers.first($0) }
        // Codecs move a retry delay found in the body (Gemini's RetryInfo) to the error's headers.
        if retryAfter == nil { retryAfter = RetryAfter.parse(retryAfterMs: mapped.headers["retry-after-ms"], retryAfter: mapped.headers["retry-after"]) }
        return AttemptFailure(
            error: mapped, upstreamStatus: status, retryAfter: retryAfter,
            retryable: isRetryable(status: status), timedOut: status == 408,
            fallbackReason: fallbackReason(status: status, error: mapped)
        )
    }

    /// An error event inside a stream before its first token (its status is the codec's mapping).
    public static func inStream(_ error: GatewayError) -> AttemptFailure {
        AttemptFailure(error: error, retryable: isRetryable(status: error.status), fallbackReason: fallbackReason(status: error.status, error: error))
    }

    /// A failure to get an answer at all: connect errors, resets and timeouts are retryable.
    public static func transport(_ error: HTTPClientError, provider: String) -> AttemptFailure {
        let mapped = GatewayError(transport: error, provider: provider)
        switch error.code {
        case .connectFailed, .connectionLost:
            return AttemptFailure(error: mapped, retryable: true)
        case .connectTimeout, .firstByteTimeout, .totalTimeout:
            return AttemptFailure(error: mapped, retryable: true, timedOut: true)
        case .cancelled:
            return AttemptFailure(error: mapped, retryable: false, cancelled: true)
        default:
            return AttemptFailure(error: mapped, retryable: false)
        }
    }

    /// Keel's own first-token deadline passed.
    public static func firstTokenTimeout(provider: String, after: Duration) -> AttemptFailure {
        AttemptFailure(
            error: GatewayError(.upstreamUnavailable, status: 504, message: "The provider '\(provider)' sent no first token within \(after).", type: "timeout_error", code: "upstream_timeout"),
            retryable: true, timedOut: true
        )
    }

    /// A stream that ended or broke before its first token.
    public static func streamCut(provider: String) -> AttemptFailure {
        AttemptFailure(
            error: GatewayError(.upstreamProtocol, status: 502, message: "The provider '\(provider)' ended the stream before its first token.", type: "upstream_error", code: "upstream_stream_truncated"),
            retryable: true
        )
    }

    /// Another attempt answered first, or the client left.
    public static func cancelled(provider: String) -> AttemptFailure {
        AttemptFailure(
            error: GatewayError(.upstreamUnavailable, status: 499, message: "The attempt on '\(provider)' was cancelled.", type: "server_error", code: "cancelled"),
            retryable: false, cancelled: true
        )
    }

    /// Which fallback list an error answer calls for, from its status, code, type and wording.
    public static func fallbackReason(status: Int, error: GatewayError) -> FallbackReason? {
        guard (400..<500).contains(status), status != 429, status != 408 else { return nil }
        let code = (error.code ?? "").lowercased()
        let type = (error.type ?? "").lowercased()
        let message = error.message.lowercased()
        if code == "context_length_exceeded" || code == "string_above_max_length"
            || ["context length", "context window", "prompt is too long", "input is too long", "maximum context",
                "too many tokens", "exceeds the maximum number of tokens", "input length"].contains(where: message.contains) {
            return .contextWindow
        }
        if code.contains("content_filter") || code.contains("content_policy") || type.contains("content_filter") || type.contains("content_policy")
            || ["content management policy", "content policy", "content filter", "safety system"].contains(where: message.contains) {
            return .contentPolicy
        }
        return nil
    }
}
