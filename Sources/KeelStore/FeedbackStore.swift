/// Where feedback on model responses is kept (see ``Feedback``).
///
/// Unlike the request log, feedback is rare and a caller expects it to be durable once
/// acknowledged, so ``record(_:)`` returns after the write is committed.
public protocol FeedbackStore: Sendable {
    /// Stores `feedback`; returns once it is committed.
    func record(_ feedback: Feedback) async throws

    /// Feedback on the request with this id, oldest first.
    func feedback(requestID: String) async throws -> [Feedback]

    /// Feedback on the trace with this id (given by trace id or linked through its request), oldest first.
    func feedback(traceID: String) async throws -> [Feedback]

    /// Closes the store; later calls fail with ``StoreError/Code/closed``. Idempotent.
    func close() async
}
