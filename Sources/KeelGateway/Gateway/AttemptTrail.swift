import Foundation
import KeelStore
import KeelTelemetry
import Synchronization

/// The attempts of one request, in the order they started, collected from the tasks that ran them
/// (a hedge runs concurrently with the attempt it backs up).
final class AttemptTrail: Sendable {
    let started: ContinuousClock.Instant
    /// The request span the attempt spans go under; nil when the request is not traced.
    let tracing: AttemptTracing?
    private let attempts = Mutex<[RequestLogAttempt]>([])
    private let spans = Mutex<(started: Int, answered: (span: SpanBuilder, endedAt: UInt64)?)>((0, nil))

    init(started: ContinuousClock.Instant, tracing: AttemptTracing? = nil) {
        self.started = started
        self.tracing = tracing
    }

    /// Adds the attempt on `target` that started at `began` and just ended.
    func record(_ target: RouteTarget, began: ContinuousClock.Instant, status: Int, error: String?) {
        let now = ContinuousClock.now
        let attempt = RequestLogAttempt(
            provider: target.provider.name, model: target.route.model, status: status, error: error,
            latencyMs: RequestRecorder.milliseconds(now - began), startedMs: RequestRecorder.milliseconds(began - started)
        )
        attempts.withLock { list in
            let position = list.firstIndex { $0.startedMs > attempt.startedMs } ?? list.endIndex
            list.insert(attempt, at: position)
        }
    }

    /// Everything recorded so far.
    var all: [RequestLogAttempt] { attempts.withLock { $0 } }

    /// 1 for the first attempt span started, 2 for the next, …
    func nextAttemptNumber() -> Int {
        spans.withLock { state in
            state.started += 1
            return state.started
        }
    }

    /// Keeps the answering attempt's span, ended with the answer's usage when the request ends.
    func keepAnswered(_ span: consuming SpanBuilder) {
        // Moved in by a swap: capturing the span in the closure would copy it.
        var answered: (span: SpanBuilder, endedAt: UInt64)? = (span, UnixNanos.now())
        spans.withLock { swap(&$0.answered, &answered) }
    }

    /// Hands over the answering attempt's span and when the attempt returned (a stream's first
    /// token); the request ends it, once.
    func takeAnswered() -> (span: SpanBuilder, endedAt: UInt64)? { spans.withLock { $0.answered.take() } }
}
