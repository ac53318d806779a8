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
final class DisconnectWatcher: Sendable {
    private let epollFD: Int32
    private let wakeFD: Int32
    /// Exchanges being watched, by id. The watcher holds them strongly until unwatched.
    private let watched = Mutex<[UInt64: (exchange: Exchange, fd: Int32)]>([:])
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

    /// Starts watching `exchange`'s socket.
    func watch(_ exchange: Exchange, fd: Int32) {
        guard fd >= 0 else { return }
        watched.withLock { map in
            guard map[exchange.id] == nil else { return }
            if keel_epoll_add(epollFD, fd, KEEL_EPOLL_PEER_CLOSED, exchange.id) == 0 {
                map[exchange.id] = (exchange, fd)
            }
        }
    }

    /// Stops watching `exchange`. Must happen before its connection is resumed (the socket may close after).
    func unwatch(_ exchange: Exchange) {
        watched.withLock { map in
            if let entry = map.removeValue(forKey: exchange.id) {
                _ = keel_epoll_remove(epollFD, entry.fd)
            }
        }
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
        while !stopped.load(ordering: .acquiring) {
            let n = ids.withUnsafeMutableBufferPointer { keel_epoll_wait_ids(epollFD, $0.baseAddress, 64, -1) }
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in 0..<Int(n) {
                let id = ids[i]
                if id == UInt64.max { continue }
                let exchange = watched.withLock { $0[id]?.exchange }
                exchange?.clientDisconnected()
            }
        }
        watched.withLock { map in
            for (_, entry) in map { _ = keel_epoll_remove(epollFD, entry.fd) }
            map.removeAll()
        }
        close(epollFD)
        close(wakeFD)
    }
}
