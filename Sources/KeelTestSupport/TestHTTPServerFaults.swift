#if canImport(Glibc)
import Glibc
#endif

/// A loopback port where nothing listens: connecting to it is refused at once.
///
/// The port stays reserved (bound, never listening) while this object lives, so no other test can
/// start listening on it meanwhile.
public final class TestHTTPServerClosedPort: Sendable {
    private let fd: Int32
    /// The reserved port on 127.0.0.1.
    public let port: Int

    /// Reserves an ephemeral port on 127.0.0.1 without listening on it.
    public init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestHTTPServerError("socket", errno: errno) }
        do {
            try TestHTTPServer.bindLoopback(fd, port: 0)
            port = try TestHTTPServer.localPort(fd)
        } catch {
            _ = close(fd)
            throw error
        }
    }

    deinit { _ = close(fd) }

    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
}

/// A loopback listener whose accept queue is full, so new connection attempts hang in the TCP
/// handshake: the kernel drops their SYNs. Use it to provoke connect timeouts deterministically.
///
/// It listens with a backlog of zero, never accepts, and fills the queue with one connection of
/// its own.
public final class TestHTTPServerFullBacklog: Sendable {
    private let listenFD: Int32
    private let fillerFD: Int32
    /// The listening port on 127.0.0.1.
    public let port: Int

    /// Opens the listener and fills its accept queue.
    public init() throws {
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listenFD >= 0 else { throw TestHTTPServerError("socket", errno: errno) }
        fillerFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        do {
            guard fillerFD >= 0 else { throw TestHTTPServerError("socket", errno: errno) }
            try TestHTTPServer.bindLoopback(listenFD, port: 0)
            guard listen(listenFD, 0) == 0 else { throw TestHTTPServerError("listen", errno: errno) }
            port = try TestHTTPServer.localPort(listenFD)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fillerFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else { throw TestHTTPServerError("connect", errno: errno) }
        } catch {
            _ = close(listenFD)
            if fillerFD >= 0 { _ = close(fillerFD) }
            throw error
        }
    }

    deinit {
        _ = close(fillerFD)
        _ = close(listenFD)
    }

    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
}

/// An upstream that resets every connection as soon as a request has arrived (TCP RST, no
/// response), as a crashing or overloaded proxy does.
public final class TestHTTPServerResettingUpstream: Sendable {
    /// The server doing the resets.
    public let server: TestHTTPServer

    /// Starts the server on a free loopback port.
    public init() throws {
        server = try TestHTTPServer { _, connection in connection.reset() }
    }

    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { server.baseURL }
    /// Requests received (each answered with a reset).
    public var requestCount: Int { server.requestCount }

    /// Stops the server.
    public func stop() { server.stop() }
}
