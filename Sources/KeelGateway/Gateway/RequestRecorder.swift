import Foundation
import KeelCore
import KeelStore

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
    var route: String? { provider.map { "\($0)/\(upstreamModel ?? "")" } }

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

    func entry(status: Int, error: String?) -> RequestLogEntry {
        RequestLogEntry(
            id: id, time: time, inboundAPI: inboundAPI, model: model, provider: provider, upstreamModel: upstreamModel,
            status: status, latencyMs: Self.milliseconds(ContinuousClock.now - started),
            timeToFirstTokenMs: firstTokenAt.map { Self.milliseconds($0 - started) },
            inputTokens: usage?.inputTokens, outputTokens: usage?.outputTokens, cachedInputTokens: usage?.cachedInputTokens,
            stream: stream, errorMessage: error, metadata: usageEstimated ? ["usage": "estimated"] : [:]
        )
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
