import Foundation
import Synchronization

/// A fixed set of ``EventLoop``s, one thread each (one per CPU core by default), shared by the
/// HTTP server and the HTTP client of one process.
///
/// The server spreads its connections over the loops; the client sends a request on the loop of
/// the calling thread when there is one (so a handler's upstream call stays on its thread) and
/// otherwise on the loops in turn.
public final class EventLoopGroup: Sendable {
    /// The loops, in creation order.
    public let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    /// Starts `threads` loops (0: one per active CPU core). Their libcurl handles use
    /// `clientConfiguration` (connection limits apply per loop). With a `busyPoll` above zero, a
    /// loop that just had work keeps polling without sleeping for that long before it blocks (see
    /// ``EventLoop``).
    public init(
        threads: Int = 0, clientConfiguration: HTTPClientConfiguration = HTTPClientConfiguration(),
        busyPoll: Duration = .zero, name: String = "keel-loop"
    ) {
        let count = threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
        loops = (0..<count).map {
            EventLoop(name: count == 1 ? name : "\(name)-\($0)", clientConfiguration: clientConfiguration, busyPoll: busyPoll)
        }
        for loop in loops { loop.start() }
    }

    deinit {
        shutdown()
    }

    /// The loop whose thread is calling, if any.
    public var current: EventLoop? {
        for loop in loops where loop.isCurrent { return loop }
        return nil
    }

    /// The calling thread's loop, or the next loop in turn.
    public func next() -> EventLoop {
        if let current { return current }
        if loops.count == 1 { return loops[0] }
        let i = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
        return loops[Int(UInt(bitPattern: i) % UInt(loops.count))]
    }

    /// Ends every client transfer (with ``HTTPClientError/Code-swift.struct/shutdown``), stops the
    /// loops and waits for their threads, except the caller's own. Detach server daemons first
    /// (``HTTPServer/shutdown(gracePeriod:)``). Idempotent.
    public func shutdown() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for loop in loops { loop.stop() }
    }

    /// Whether ``shutdown()`` has been called.
    public var isShutDown: Bool { stopped.load(ordering: .acquiring) }
}
