#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 for tests, with full control over every byte it sends.
///
/// It listens on an ephemeral port and serves each accepted connection on its own thread: requests
/// are parsed (method, target, headers, body — `Content-Length` or chunked) and passed, one at a
/// time, to the test's handler together with the ``TestHTTPServerConnection``. The handler writes
/// whatever the test needs: a normal response, a chunked stream written piece by piece, a slow
/// drip, nothing at all, a truncated body, or a reset. Keep-alive works as long as the handler
/// writes a delimited response and leaves the connection open; ``acceptedConnections`` then proves
/// (or disproves) connection reuse.
///
/// ```swift
/// let server = try TestHTTPServer { request, connection in
///     try connection.respond(status: 200, headers: [("Content-Type", "text/plain")], body: "hello")
/// }
/// defer { server.stop() }
/// // ... send requests to server.url("/path")
/// ```
///
/// Handlers run on plain threads, so they may block (`sleep`, ``TestHTTPServerEvent/waitBlocking(timeout:)``).
/// A handler that throws ends its connection. ``stop()`` (also run on deinit) closes the listener
/// and wakes every connection blocked on the network.
public final class TestHTTPServer: Sendable {
    /// Handles one request; write the response (or the fault) through the connection.
    public typealias Handler = @Sendable (TestHTTPServerRequest, TestHTTPServerConnection) throws -> Void

    /// The shared state the server threads use; the server object itself is not retained by them,
    /// so dropping it stops the server.
    private final class Core: Sendable {
        struct State {
            var stopped = false
            var connections: [Int: TestHTTPServerConnection] = [:]
            var accepted = 0
            var finished = 0
            var requests = 0
        }

        let listenFD: Int32
        let handler: Handler
        let state = Mutex(State())
        let acceptLoop = DispatchGroup()

        init(listenFD: Int32, handler: @escaping Handler) {
            self.listenFD = listenFD
            self.handler = handler
        }

        func acceptConnections() {
            while true {
                let fd = accept(listenFD, nil, nil)
                if fd < 0 {
                    let code = errno
                    if code == EINTR || code == ECONNABORTED { continue }
                    if state.withLock({ $0.stopped }) { break }
                    if code == EMFILE || code == ENFILE {
                        Thread.sleep(forTimeInterval: 0.01)
                        continue
                    }
                    break
                }
                var one: Int32 = 1
                _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                let connection: TestHTTPServerConnection? = state.withLock { state in
                    guard !state.stopped else { return nil }
                    state.accepted += 1
                    let connection = TestHTTPServerConnection(fd: fd, number: state.accepted)
                    state.connections[connection.number] = connection
                    return connection
                }
                guard let connection else {
                    _ = close(fd)
                    break
                }
                let thread = Thread { [self] in serve(connection, fd: fd) }
                thread.name = "test-http-server-\(connection.number)"
                thread.start()
            }
        }

        private func serve(_ connection: TestHTTPServerConnection, fd: Int32) {
            let reader = TestHTTPServerRequestReader(fd: fd)
            while !connection.isClosed, let request = reader.readRequest() {
                state.withLock { $0.requests += 1 }
                do {
                    try handler(request, connection)
                } catch {
                    break
                }
                if request.headers.first("connection")?.lowercased() == "close" { break }
            }
            connection.close()
            state.withLock { state in
                state.connections[connection.number] = nil
                state.finished += 1
            }
        }

        func stop() {
            let (first, connections) = state.withLock { state in
                defer { state.stopped = true }
                return (!state.stopped, Array(state.connections.values))
            }
            guard first else { return }
            // Wakes the blocked accept(); the loop then sees `stopped` and returns.
            _ = shutdown(listenFD, Int32(SHUT_RDWR))
            acceptLoop.wait()
            _ = close(listenFD)
            for connection in connections { connection.shutDown() }
        }
    }

    private let core: Core

    /// The port the server listens on (127.0.0.1).
    public let port: Int

    /// Starts a server on 127.0.0.1 with an ephemeral port; `handler` serves every request.
    public init(handler: @escaping Handler) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestHTTPServerError("socket", errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        do {
            try Self.bindLoopback(fd, port: 0)
            guard listen(fd, 256) == 0 else { throw TestHTTPServerError("listen", errno: errno) }
            port = try Self.localPort(fd)
        } catch {
            _ = close(fd)
            throw error
        }
        let core = Core(listenFD: fd, handler: handler)
        self.core = core
        core.acceptLoop.enter()
        let thread = Thread {
            core.acceptConnections()
            core.acceptLoop.leave()
        }
        thread.name = "test-http-server-accept"
        thread.start()
    }

    deinit { core.stop() }

    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The absolute URL of `path` (which starts with `/`) on this server.
    public func url(_ path: String) -> String { baseURL + path }

    /// Connections accepted so far.
    public var acceptedConnections: Int { core.state.withLock { $0.accepted } }

    /// Connections that have ended (closed by either side) so far.
    public var finishedConnections: Int { core.state.withLock { $0.finished } }

    /// Requests received so far, over all connections.
    public var requestCount: Int { core.state.withLock { $0.requests } }

    /// Stops accepting, closes the listening socket and wakes every connection blocked on the
    /// network (their handlers' writes then fail). Idempotent; also run on deinit.
    public func stop() { core.stop() }

    // MARK: Socket helpers

    static func bindLoopback(_ fd: Int32, port: UInt16) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw TestHTTPServerError("bind", errno: errno) }
    }

    static func localPort(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw TestHTTPServerError("getsockname", errno: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
