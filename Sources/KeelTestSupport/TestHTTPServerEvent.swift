import Dispatch
import Synchronization

/// A one-shot signal between a ``TestHTTPServer`` handler (a plain thread) and a test (async code).
///
/// Handlers use it to pause at a precise point ("wait until the client has read the first chunk")
/// and to report progress ("the request has arrived"), which keeps fault-injection tests free of
/// guessed sleeps. Once signalled it stays signalled.
public final class TestHTTPServerEvent: Sendable {
    private enum Waiter: Sendable {
        case blocking(DispatchSemaphore)
        case async(CheckedContinuation<Bool, Never>)
    }

    private struct State: Sendable {
        var signalled = false
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var timers: [UInt64: Task<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Creates an event that is not signalled.
    public init() {}

    /// Whether ``signal()`` has been called.
    public var isSignalled: Bool { state.withLock { $0.signalled } }

    /// Signals the event, releasing every waiter now and in the future.
    public func signal() {
        let (waiters, timers) = state.withLock { state in
            state.signalled = true
            defer {
                state.waiters = [:]
                state.timers = [:]
            }
            return (Array(state.waiters.values), Array(state.timers.values))
        }
        for timer in timers { timer.cancel() }
        for waiter in waiters {
            switch waiter {
            case .blocking(let semaphore): semaphore.signal()
            case .async(let continuation): continuation.resume(returning: true)
            }
        }
    }

    /// Blocks the calling thread until the event is signalled or `timeout` passes; returns whether
    /// it was signalled. For handler threads, never for async code.
    public func waitBlocking(timeout: Duration) -> Bool {
        let semaphore = DispatchSemaphore(value: 0)
        let id: UInt64? = state.withLock { state in
            if state.signalled { return nil }
            state.nextID += 1
            state.waiters[state.nextID] = .blocking(semaphore)
            return state.nextID
        }
        guard let id else { return true }
        if semaphore.wait(timeout: .now() + timeout.dispatchInterval) == .success { return true }
        // Timed out, unless signal() took the waiter out in the meantime.
        return state.withLock { state in
            state.waiters.removeValue(forKey: id) == nil
        }
    }

    /// Suspends until the event is signalled or `timeout` passes; returns whether it was signalled.
    public func wait(timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id: UInt64? = state.withLock { state in
                if state.signalled { return nil }
                state.nextID += 1
                state.waiters[state.nextID] = .async(continuation)
                return state.nextID
            }
            guard let id else {
                continuation.resume(returning: true)
                return
            }
            let timer = Task { [self] in
                try? await Task.sleep(for: timeout)
                expire(id)
            }
            let stillWaiting = state.withLock { state in
                guard state.waiters[id] != nil else { return false }
                state.timers[id] = timer
                return true
            }
            if !stillWaiting { timer.cancel() }
        }
    }

    private func expire(_ id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            state.timers[id] = nil
            return state.waiters.removeValue(forKey: id)
        }
        if case .async(let continuation)? = waiter { continuation.resume(returning: false) }
    }
}

extension Duration {
    /// The duration as a Dispatch interval, in microseconds.
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .microseconds(Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
    }
}
