import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Something an ``EventLoop`` drives besides its HTTP client transfers: a libmicrohttpd daemon in
/// external-polling mode. Every method is called on the loop's thread only.
protocol EventLoopSource: AnyObject {
    /// A descriptor that becomes readable when the source has work (an epoll descriptor).
    var pollDescriptor: Int32 { get }
    /// Does whatever work is ready, without blocking.
    func runReady()
    /// Milliseconds until the source needs ``runReady()`` even without activity, or nil for never.
    func timeoutMilliseconds() -> Int?
}

/// One thread that runs the upstream HTTP transfers (a libcurl multi handle), the server's
/// connections (libmicrohttpd daemons attached to it) and the Swift tasks that prefer it as their
/// executor, in a single `poll` loop.
///
/// A request that arrives on a loop runs its handler on that loop (it is the handler task's
/// executor preference), sends its upstream request through the same loop's libcurl handle and
/// is resumed there when the answer arrives, so the whole exchange runs on one thread with no
/// hand-over between threads. Work submitted from other threads is queued under a lock and the
/// loop is woken with `curl_multi_wakeup`.
///
/// **Busy polling.** Waking a sleeping thread costs tens of microseconds on virtual machines (the
/// idle virtual CPU is halted and must be rescheduled by the host), twice per proxied request: when
/// the client's request arrives and when the provider's answer does. With a `busyPoll` budget, a
/// loop that just saw activity keeps polling with a zero timeout for up to that long before it
/// blocks, so an answer that arrives within the budget is picked up without a wake-up. The price
/// is CPU time spent polling an otherwise idle core, at most the budget after each burst of
/// activity; a loop with nothing to do for longer than the budget sleeps as before. Each polling
/// round yields the core first, so threads with real work on it are not held up.
///
/// Handlers must not block the loop's thread (no blocking system calls, no long computations
/// without a suspension point): other requests on the same loop wait while they run.
///
/// `@unchecked Sendable` invariant: `localJobs` and `sources` are touched only on the loop's thread
/// (``isCurrent`` guards every path that reaches them); everything else is immutable, a `Mutex` or
/// an `Atomic`.
public final class EventLoop: TaskExecutor, @unchecked Sendable {
    private struct Remote {
        var jobs: [UnownedJob] = []
        var closures: [@Sendable () -> Void] = []
        /// The loop has exited: work is run by its submitter instead.
        var closed = false
    }

    /// The loop's name, also its thread's name.
    public let name: String
    let engine: HTTPClientEngine
    private let remote = Mutex(Remote())
    /// Remote submitters between deciding to wake the loop (under the lock) and having done it.
    private let wakeupsInFlight = Atomic<Int>(0)
    /// The loop thread's `pthread_t` (0 until it runs).
    private let threadID = Atomic<UInt>(0)
    private let running = DispatchGroup()
    /// Loop thread only.
    private var localJobs: [UnownedJob] = []
    /// Loop thread only.
    private var sources: [any EventLoopSource] = []
    /// Loop thread only: a source was poked (a connection resumed) since the sources last ran.
    private var sourcesPoked = false
    /// How long the loop polls without sleeping after activity (zero: never).
    let busyPoll: Duration

    init(name: String, clientConfiguration: HTTPClientConfiguration, busyPoll: Duration = .zero) {
        self.name = name
        self.busyPoll = busyPoll
        engine = HTTPClientEngine(configuration: clientConfiguration)
    }

    /// Whether the calling thread is this loop's thread.
    public var isCurrent: Bool {
        let id = threadID.load(ordering: .acquiring)
        return id != 0 && pthread_equal(pthread_t(id), pthread_self()) != 0
    }

    func start() {
        running.enter()
        let thread = Thread { [self] in
            threadID.store(UInt(pthread_self()), ordering: .releasing)
            engine.attachToCurrentThread()
            run()
            running.leave()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        // Until the thread has published its id, `isCurrent` is false everywhere, which is right.
    }

    // MARK: TaskExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isCurrent {
            localJobs.append(job)
            return
        }
        if !enqueueRemote({ $0.jobs.append(job) }) {
            // The loop has exited: run the job here rather than never.
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// Runs `work` on the loop's thread, soon; at once when called on it.
    func execute(_ work: @escaping @Sendable () -> Void) {
        if isCurrent {
            work()
            return
        }
        if !enqueueRemote({ $0.closures.append(work) }) { work() }
    }

    /// Runs `work` on the loop's thread and returns its result.
    func submit<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            execute { continuation.resume(returning: work()) }
        }
    }

    /// Queues work from another thread and, when the queue was empty, interrupts the loop's poll
    /// (outside the lock). The count in `wakeupsInFlight` keeps the multi handle alive until the
    /// wakeup is sent. False, with nothing queued, once the loop has exited.
    private func enqueueRemote(_ add: (inout Remote) -> Void) -> Bool {
        let wake = remote.withLock { r -> Bool? in
            if r.closed { return nil }
            add(&r)
            guard r.jobs.count + r.closures.count == 1 else { return false }
            wakeupsInFlight.add(1, ordering: .acquiringAndReleasing)
            return true
        }
        guard let wake else { return false }
        if wake {
            engine.wakeUpPoll()
            wakeupsInFlight.subtract(1, ordering: .acquiringAndReleasing)
        }
        return true
    }

    /// Notes that a source has work its poll descriptor may not show (libmicrohttpd resumed a
    /// connection), so the loop runs the sources again before it sleeps. Any thread: off the
    /// loop, the source's own wakeup (libmicrohttpd's inter-thread channel) covers it.
    func pokeSources() {
        if isCurrent { sourcesPoked = true }
    }

    /// Attaches a source; loop thread only.
    func attach(_ source: any EventLoopSource) {
        precondition(isCurrent, "attach on the loop's thread")
        sources.append(source)
        engine.pollDescriptors = sources.map(\.pollDescriptor)
    }

    /// Detaches a source; loop thread only.
    func detach(_ source: any EventLoopSource) {
        precondition(isCurrent, "detach on the loop's thread")
        sources.removeAll { $0 === source }
        engine.pollDescriptors = sources.map(\.pollDescriptor)
    }

    /// Asks the loop to stop once its client is shut down; waits for the thread to exit unless
    /// called on it.
    func stop() {
        engine.shutdown()
        if !isCurrent { running.wait() }
    }

    // MARK: The loop

    private func run() {
        let spins = busyPoll > .zero
        var spinUntil = ContinuousClock.now
        while true {
            var busy = runJobs()
            guard engine.drive() else { break }
            sourcesPoked = false
            for source in sources { source.runReady() }
            busy = runJobs() || busy
            var timeout = engine.pollTimeoutMilliseconds()
            if !localJobs.isEmpty || sourcesPoked || engine.hasPendingCommands || hasRemoteWork() {
                timeout = 0
            } else {
                for source in sources {
                    if let t = source.timeoutMilliseconds() { timeout = min(timeout, Int32(clamping: t)) }
                }
            }
            if spins, timeout != 0 {
                let now = ContinuousClock.now
                if busy { spinUntil = now + busyPoll }
                if now < spinUntil {
                    timeout = 0
                    // Polling, not working: any other thread ready to run on this core goes first.
                    sched_yield()
                }
            }
            if engine.poll(timeoutMilliseconds: timeout), spins {
                spinUntil = ContinuousClock.now + busyPoll
            }
        }
        // From here on submitters run their work themselves; no wakeup can reach the freed handle.
        remote.withLock { $0.closed = true }
        while wakeupsInFlight.load(ordering: .acquiring) > 0 { sched_yield() }
        engine.finishShutdown()
        // Everything still queued runs, so nothing waits forever on a dead loop: tasks see their
        // transfers fail with `.shutdown`.
        while !localJobs.isEmpty || hasRemoteWork() { runJobs() }
        threadID.store(0, ordering: .releasing)
    }

    private func hasRemoteWork() -> Bool {
        remote.withLock { !$0.jobs.isEmpty || !$0.closures.isEmpty }
    }

    /// Runs every queued job and closure, including those they queue in turn, up to a bound so
    /// I/O is not starved by tasks that keep rescheduling themselves. Whether anything ran.
    @discardableResult
    private func runJobs() -> Bool {
        var rounds = 0
        while rounds < 16 {
            rounds += 1
            let taken = remote.withLock { r -> Remote in
                defer { r = Remote() }
                return r
            }
            for closure in taken.closures { closure() }
            for job in taken.jobs { localJobs.append(job) }
            if localJobs.isEmpty { return rounds > 1 || !taken.closures.isEmpty }
            let batch = localJobs
            localJobs.removeAll(keepingCapacity: true)
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
        return true
    }
}
