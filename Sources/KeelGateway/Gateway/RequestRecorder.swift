import Foundation
import KeelCore
import KeelGovernance
import KeelHTTP
import KeelStore
import KeelTelemetry

/// Collects what the request log needs while a gateway request runs, then records it once.
struct RequestRecorder: Sendable {
    let id: String
    let inboundAPI: String
    let started: ContinuousClock.Instant
    let time: Int64
    var model: String
    var provider: String?
    var upstreamModel: String?
    var stream = false
    var firstTokenAt: ContinuousClock.Instant?
    var usage: ChatUsage?
    /// Whether ``usage`` is Keel's estimate because the upstream reported none.
    var usageEstimated = false
    /// Every upstream attempt, in the order they started.
    var attempts: [RequestLogAttempt] = []
    /// `hit` or `miss` for models with a cache; nil otherwise (or when the client bypassed it).
    var cache: String?
    /// The request's span and what its span and metrics need (`Gateway+Telemetry.swift`).
    var telemetry = RequestTelemetry(operation: "chat")
    var route: String? { provider.map { "\($0)/\(upstreamModel ?? "")" } }
    /// Who called (set at admission), for the `key_id`, `team` and `user` metadata.
    var caller: Caller?
    /// What admission holds until the request settles (`Gateway+Governance.swift`).
    var reservation: Reservation?
    /// The `x-ratelimit-*` headers admission returned, for the answer.
    var rateLimitHeaders = HTTPHeaders()
    /// Spend tags of the request.
    var tags: [String] = []
    /// The settled cost, in nano-dollars.
    var costNanos: Int64?
    /// Guardrail verdicts for the log: policy, actions and finding counts, never the values.
    var guardrails: [String: String] = [:]

    init(id: String, inboundAPI: String, model: String) {
        self.id = id
        self.inboundAPI = inboundAPI
        self.model = model
        started = .now
        time = RequestLogEntry.millisecondsSinceEpoch()
    }

    mutating func markFirstToken() {
        if firstTokenAt == nil { firstTokenAt = .now }
    }

    /// Notes the route whose attempt answered.
    mutating func answeredBy(_ target: RouteTarget) {
        provider = target.provider.name
        upstreamModel = target.route.model
        telemetry.fallback = target.model.name != model
    }

    /// Notes what a failed attempt loop leaves for the log: its attempts, and the route a request
    /// refused before sending was routed to.
    mutating func failed(_ failure: AttemptFailure, trail: AttemptTrail) {
        attempts = trail.all
        if attempts.isEmpty, let route = failure.refusedOn {
            provider = route.provider
            upstreamModel = route.model
        }
    }

    /// `x-keel-route` (the route that answered, else the last one tried), `x-keel-attempts` and,
    /// when the cache was consulted, `x-keel-cache`.
    var routingHeaders: HTTPHeaders {
        var headers = HTTPHeaders()
        for (name, value) in routingHeaderPairs { headers.add(name: name, value: value) }
        return headers
    }

    private var routingHeaderPairs: [(String, String)] {
        var pairs: [(String, String)] = []
        if let route = route ?? attempts.last.map({ "\($0.provider)/\($0.model)" }) { pairs.append(("x-keel-route", route)) }
        pairs.append(("x-keel-attempts", String(attempts.count)))
        if let cache { pairs.append(("x-keel-cache", cache)) }
        return pairs
    }

    /// `error` with the routing headers added, when it is a ``GatewayError``.
    func addingRoutingHeaders(to error: any Error) -> any Error {
        guard var gatewayError = error as? GatewayError else { return error }
        for (name, value) in routingHeaderPairs { gatewayError.headers[name] = value }
        return gatewayError
    }

    func entry(status: Int, error: String?) -> RequestLogEntry {
        let lastAttempt = attempts.last
        return RequestLogEntry(
            id: id, time: time, inboundAPI: inboundAPI, model: model,
            provider: provider ?? lastAttempt?.provider, upstreamModel: upstreamModel ?? lastAttempt?.model,
            status: status, latencyMs: Self.milliseconds(ContinuousClock.now - started),
            timeToFirstTokenMs: firstTokenAt.map { Self.milliseconds($0 - started) },
            inputTokens: usage?.inputTokens, outputTokens: usage?.outputTokens, cachedInputTokens: usage?.cachedInputTokens,
            stream: stream, errorMessage: error, metadata: metadata,
            attempts: attempts, cache: cache
        )
    }

    /// The log entry's metadata: estimated usage, the caller (`key_id`, `team`, `user`), the settled
    /// `cost_usd` and the guardrail verdicts.
    private var metadata: [String: String] {
        var metadata = guardrails
        // The caller, cost and (with tracing) trace ids: room for them without rehashing.
        metadata.reserveCapacity(guardrails.count + 8)
        if usageEstimated { metadata["usage"] = "estimated" }
        if let keyID = caller?.keyID { metadata["key_id"] = keyID }
        if let team = caller?.teamID { metadata["team"] = team }
        if let user = caller?.userID { metadata["user"] = user }
        if let costNanos { metadata["cost_usd"] = Self.dollars(nanos: costNanos) }
        return metadata
    }

    /// Nano-dollars as decimal dollars with up to nine decimals and no trailing zeros beyond the
    /// first (`1500000` → `"0.0015"`, `2000000000` → `"2.0"`).
    static func dollars(nanos: Int64) -> String {
        let magnitude = nanos.magnitude
        var fraction = magnitude % 1_000_000_000
        var digits = 9
        while digits > 1, fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let whole = String(magnitude / 1_000_000_000)
        // Sign, whole part, point, then the fraction's digits right-aligned in `digits` places.
        return String(unsafeUninitializedCapacity: 2 + whole.utf8.count + digits) { buffer in
            var at = 0
            if nanos < 0 {
                buffer[0] = UInt8(ascii: "-")
                at = 1
            }
            for byte in whole.utf8 {
                buffer[at] = byte
                at += 1
            }
            buffer[at] = UInt8(ascii: ".")
            at += digits
            for index in 0..<digits {
                buffer[at - index] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            return at + 1
        }
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
