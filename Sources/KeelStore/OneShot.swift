import Synchronization

/// A result delivered once from a background thread to one awaiting task.
///
/// `complete` may be called before or after `wait` starts, from any thread, any number of times; only the
/// first call counts. A cancellable wait ends with `CancellationError` when its task is cancelled first.
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Value, Error>)
        case done(Result<Value, Error>)
    }

    private let state = Mutex<State>(.pending)

    init() {}

    /// Delivers the result; later calls are ignored.
    func complete(_ result: Result<Value, Error>) {
        let continuation: CheckedContinuation<Value, Error>? = state.withLock { state in
            switch state {
            case .pending:
                state = .done(result)
                return nil
            case .waiting(let continuation):
                state = .done(result)
                return continuation
            case .done:
                return nil
            }
        }
        continuation?.resume(with: result)
    }

    /// Waits for the result. With `cancellable`, task cancellation completes it with `CancellationError`.
    func wait(cancellable: Bool) async throws -> Value {
        if cancellable {
            return try await withTaskCancellationHandler {
                try await suspend()
            } onCancel: {
                complete(.failure(CancellationError()))
            }
        }
        return try await suspend()
    }

    private func suspend() async throws -> Value {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, Error>) in
            let ready: Result<Value, Error>? = state.withLock { state in
                switch state {
                case .pending:
                    state = .waiting(continuation)
                    return nil
                case .done(let result):
                    return result
                case .waiting:
                    preconditionFailure("OneShot awaited twice")
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
