#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// Turns SIGTERM and SIGINT into an awaitable event (Dispatch signal sources, so no code runs in
/// signal context). The default actions are ignored while it is installed.
public final class ShutdownSignal: Sendable {
    private let state = Mutex<(received: String?, waiters: [CheckedContinuation<String, Never>])>((nil, []))
    /// Kept only to keep the sources alive; never touched after `init`.
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []

    private init() {}

    /// Installs handlers for SIGTERM and SIGINT.
    public static func install() -> ShutdownSignal {
        let signal = ShutdownSignal()
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [signal] in signal.fire(name) }
            source.resume()
            signal.sources.append(source)
        }
        return signal
    }

    /// Delivers a shutdown request as if a signal had arrived (used by tests and embedding code).
    public func fire(_ name: String) {
        let waiters = state.withLock { s -> [CheckedContinuation<String, Never>] in
            if s.received == nil { s.received = name }
            let w = s.waiters
            s.waiters = []
            return w
        }
        for w in waiters { w.resume(returning: name) }
    }

    /// Waits for the first signal and returns its name.
    public func wait() async -> String {
        await withCheckedContinuation { continuation in
            let already: String? = state.withLock { s in
                if let r = s.received { return r }
                s.waiters.append(continuation)
                return nil
            }
            if let already { continuation.resume(returning: already) }
        }
    }
}
