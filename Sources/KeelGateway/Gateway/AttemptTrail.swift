import Foundation
import KeelStore
import Synchronization

/// The attempts of one request, in the order they started, collected from the tasks that ran them
/// (a hedge runs concurrently with the attempt it backs up).
final class AttemptTrail: Sendable {
    let started: ContinuousClock.Instant
    private let attempts = Mutex<[RequestLogAttempt]>([])

    init(started: ContinuousClock.Instant) {
        self.started = started
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
}
