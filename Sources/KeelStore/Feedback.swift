import Foundation

/// A score given to a model response after the fact: by an end user (thumbs up, a rating) or by a
/// business event (the suggested reply was sent, the ticket was resolved).
///
/// It refers to the request it judges by ``requestID`` (Keel's `x-request-id`) or, for callers
/// that only know the trace, by ``traceID``; at least one is set.
public struct Feedback: Sendable, Equatable, Hashable, Codable {
    /// Unique id, `fb_` followed by 24 hex digits.
    public var id: String
    /// When the feedback was received, in milliseconds since the Unix epoch (UTC).
    public var time: Int64
    /// The judged request's id, when given or known.
    public var requestID: String?
    /// The judged request's trace id (32 lowercase hex digits), when given or known.
    public var traceID: String?
    /// The judged request's span id (16 lowercase hex digits), when known.
    public var spanID: String?
    /// What was evaluated (`gen_ai.evaluation.name`), such as `user_feedback` or `ticket_resolved`.
    public var name: String
    /// The score (`gen_ai.evaluation.score.value`); its scale is the caller's.
    public var score: Double
    /// A low-cardinality reading of the score (`gen_ai.evaluation.score.label`), such as `good`.
    public var label: String?
    /// Free text from the user (`gen_ai.evaluation.explanation`).
    public var comment: String?
    /// Who or what gave the feedback, such as `end_user` or `crm`.
    public var source: String?

    /// A feedback record; the id and time default to new ones.
    public init(
        id: String = Feedback.newID(),
        time: Int64 = RequestLogEntry.millisecondsSinceEpoch(),
        requestID: String? = nil,
        traceID: String? = nil,
        spanID: String? = nil,
        name: String = Feedback.defaultName,
        score: Double,
        label: String? = nil,
        comment: String? = nil,
        source: String? = nil
    ) {
        self.id = id
        self.time = time
        self.requestID = requestID
        self.traceID = traceID
        self.spanID = spanID
        self.name = name
        self.score = score
        self.label = label
        self.comment = comment
        self.source = source
    }

    /// The evaluation name used when the caller gives none.
    public static let defaultName = "user_feedback"

    /// A new random id.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt32
        return "fb_" + String(format: "%016llx%08x", high, low)
    }
}
