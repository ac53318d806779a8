import Foundation
import KeelTestSupport
import Testing

/// A clock whose `sleep` returns only when the test advances it; counts sleeps so the test knows
/// when the task under test is waiting.
final class ManualSleepClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var id: Int
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var sleeps = 0
    }

    private let state = Locked(State())

    var now: Instant { state.value.now }
    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { s -> Int in
            s.sleeps += 1
            return s.sleeps
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                register(id: id, deadline: deadline, continuation: continuation)
            }
        } onCancel: {
            cancel(id: id)
        }
    }

    private func register(id: Int, deadline: Instant, continuation: CheckedContinuation<Void, any Error>) {
        let due = state.withLock { s -> Bool in
            if deadline <= s.now { return true }
            s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
            return false
        }
        if due { continuation.resume() }
    }

    private func cancel(id: Int) {
        let found = state.withLock { s -> [Sleeper] in
            let matching = s.sleepers.filter { $0.id == id }
            s.sleepers.removeAll { $0.id == id }
            return matching
        }
        for sleeper in found { sleeper.continuation.resume(throwing: CancellationError()) }
    }

    func advance(by duration: Duration) {
        let due = state.withLock { s -> [Sleeper] in
            s.now = s.now.advanced(by: duration)
            let ready = s.sleepers.filter { $0.deadline <= s.now }
            s.sleepers.removeAll { $0.deadline <= s.now }
            return ready
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits (polling) until `count` tasks are asleep and more than `after` sleeps have begun in all.
    func waitForSleepers(_ count: Int, after: Int = 0) async throws {
        for _ in 0..<2000 {
            let ready = state.withLock { s in s.sleepers.count >= count && s.sleeps > after }
            if ready { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("the task never went to sleep")
    }
}
