#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
internal import CMicroHTTPD

/// Notices clients that disconnect while their connection is suspended.
///
/// libmicrohttpd does not poll suspended connections, so a client that hangs up while its handler is
/// still waiting (for an upstream model, say) would go unnoticed until the handler finished. This
/// watcher keeps the sockets of suspended connections in its own epoll set, waiting for `EPOLLRDHUP`
/// (peer closed) or `EPOLLHUP`/`EPOLLERR`, and tells the exchange, which cancels its handler's task.
///
/// Registration is deferred: a suspension is only noted (no system call), and the watcher thread,
/// which ticks every ``tick`` while suspensions are pending, adds the sockets of those older than
/// ``delay`` to its epoll set. Most suspensions (a fast upstream answer, the gap between two
/// streamed chunks) end before that and cost no `epoll_ctl` at all; a disconnect is noticed at
/// most ``delay`` + ``tick`` later than it would be otherwise, which is nothing next to the
/// upstream calls worth cancelling. After ``idleAfter`` without suspensions the thread sleeps until
/// the next one wakes it.
final class DisconnectWatcher: Sendable {
    private struct Watched {
        let exchange: Exchange
        let fd: Int32
    }

    private struct Pending {
        let exchange: Exchange
        let fd: Int32
        let since: ContinuousClock.Instant
    }

    private struct State {
        /// Exchanges whose sockets are in the epoll set, by id; held strongly until unwatched.
        var watched: [UInt64: Watched] = [:]
        /// Suspensions not registered yet, by id.
        var pending: [UInt64: Pending] = [:]
        /// The thread waits without a timeout: a new suspension must wake it.
        var sleeping = false
        /// When a suspension was last pending.
        var lastPending = ContinuousClock.now
    }

    /// How old a suspension gets before its socket is registered.
    static let delay: Duration = .milliseconds(20)
    /// How often the thread looks at pending suspensions.
    static let tick: Duration = .milliseconds(25)
    /// How long the thread keeps ticking after the last pending suspension.
    static let idleAfter: Duration = .seconds(1)

    private let epollFD: Int32
    private let wakeFD: Int32
    private let state = Mutex(State())
    /// Set by `stop()` before it wakes the loop; `stopped` is set after the wake-up is written, so
    /// the loop never closes the eventfd while `stop()` may still write to it.
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)

    init() {
        epollFD = keel_epoll_create()
        wakeFD = keel_eventfd_create()
        _ = keel_epoll_add(epollFD, wakeFD, KEEL_EPOLL_IN, UInt64.max)
        let t = Thread { [self] in self.loop() }
        t.name = "keel-http-watcher"
        t.stackSize = 256 * 1024
        t.start()
    }

    /// Starts watching `exchange`'s socket (after ``delay``, if it is still suspended then).
    func watch(_ exchange: Exchange, fd: Int32) {
        guard fd >= 0 else { return }
        let now = ContinuousClock.now
        let wake = state.withLock { s -> Bool in
            guard s.watched[exchange.id] == nil, s.pending[exchange.id] == nil else { return false }
            s.pending[exchange.id] = Pending(exchange: exchange, fd: fd, since: now)
            guard s.sleeping else { return false }
            s.sleeping = false
            return true
        }
        if wake {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Stops watching `exchange`. Must happen before its connection is resumed (the socket may close after).
    func unwatch(_ exchange: Exchange) {
        state.withLock { s in
            if s.pending.removeValue(forKey: exchange.id) != nil { return }
            if let entry = s.watched.removeValue(forKey: exchange.id) {
                _ = keel_epoll_remove(epollFD, entry.fd)
            }
        }
    }

    /// Whether `id` is pending, watched or neither (diagnostics).
    func registration(of id: UInt64) -> String {
        state.withLock { s in s.pending[id] != nil ? "pending" : s.watched[id] != nil ? "watched" : "none" }
    }

    /// Stops the watcher thread and releases the descriptors.
    func stop() {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
        stopped.store(true, ordering: .releasing)
    }

    private func loop() {
        var ids = [UInt64](repeating: 0, count: 64)
        let tickMilliseconds = Int32(Self.tick.components.seconds * 1000 + Self.tick.components.attoseconds / 1_000_000_000_000_000)
        var timeout = tickMilliseconds
        var due: [UInt64] = []
        while !stopRequested.load(ordering: .acquiring) {
            let n = ids.withUnsafeMutableBufferPointer { keel_epoll_wait_ids(epollFD, $0.baseAddress, 64, timeout) }
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in 0..<Int(n) {
                let id = ids[i]
                if id == UInt64.max {
                    if stopRequested.load(ordering: .acquiring) { break }
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)  // a new suspension woke the thread
                    continue
                }
                let exchange = state.withLock { $0.watched[id]?.exchange }
                exchange?.clientDisconnected()
            }
            // Register the suspensions old enough, then decide how long to wait.
            let now = ContinuousClock.now
            timeout = state.withLock { s -> Int32 in
                due.removeAll(keepingCapacity: true)
                for (id, entry) in s.pending where now - entry.since >= Self.delay { due.append(id) }
                for id in due {
                    guard let entry = s.pending.removeValue(forKey: id) else { continue }
                    // Unwatch takes the entry out under this lock before the socket can close,
                    // so a pending socket is still the exchange's.
                    if keel_epoll_add(epollFD, entry.fd, KEEL_EPOLL_PEER_CLOSED, id) == 0 {
                        s.watched[id] = Watched(exchange: entry.exchange, fd: entry.fd)
                    }
                }
                if !s.pending.isEmpty { s.lastPending = now }
                if !s.pending.isEmpty || now - s.lastPending < Self.idleAfter { return tickMilliseconds }
                s.sleeping = true
                return -1
            }
        }
        // `stop()` may still be writing to the eventfd until it sets `stopped`.
        while !stopped.load(ordering: .acquiring) { sched_yield() }
        state.withLock { s in
            for (_, entry) in s.watched { _ = keel_epoll_remove(epollFD, entry.fd) }
            s.watched.removeAll()
            s.pending.removeAll()
        }
        close(epollFD)
        close(wakeFD)
    }
}
