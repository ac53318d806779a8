#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// One accepted connection of a ``TestHTTPServer``, handed to the handler with each request.
///
/// Everything a fault-injection test needs: well-formed responses (`respond`, chunked streaming),
/// raw bytes for malformed ones, pauses (`sleep`), and abrupt endings (`close`, `reset`).
/// Writes block when the peer stops reading, which makes back-pressure observable through
/// ``bytesWritten``. Methods that write throw ``TestHTTPServerError`` once the peer has gone,
/// which ends the handler and the connection.
public final class TestHTTPServerConnection: Sendable {
    /// 1 for the server's first accepted connection, 2 for the second, and so on.
    public let number: Int
    private let fd: Int32
    private let closed = Mutex(false)
    private let written = Atomic<Int>(0)

    init(fd: Int32, number: Int) {
        self.fd = fd
        self.number = number
    }

    /// Body and head bytes written so far on this connection.
    public var bytesWritten: Int { written.load(ordering: .relaxed) }

    /// Whether ``close()`` or ``reset()`` has been called (or the server stopped).
    public var isClosed: Bool { closed.withLock { $0 } }

    // MARK: Writing

    /// Writes raw bytes, blocking until the kernel has taken all of them.
    public func write(_ bytes: [UInt8]) throws {
        guard !isClosed else { throw TestHTTPServerError("write on a closed connection") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw TestHTTPServerError("send", errno: code)
            }
            offset += n
            written.add(n, ordering: .relaxed)
        }
    }

    /// Writes a string's UTF-8 bytes as they are.
    public func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    /// Writes a complete response with a `Content-Length`, so the connection can be reused.
    public func respond(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) throws {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        try write(Array(head.utf8) + body)
    }

    /// Writes a complete response whose body is `body`'s UTF-8 bytes.
    public func respond(status: Int = 200, headers: [(String, String)] = [], body: String) throws {
        try respond(status: status, headers: headers, body: Array(body.utf8))
    }

    /// Writes a response head announcing `Transfer-Encoding: chunked`; follow with
    /// ``writeChunk(_:)-(String)`` calls and ``finishChunks()``.
    public func writeChunkedHead(status: Int = 200, headers: [(String, String)] = []) throws {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Transfer-Encoding: chunked\r\n\r\n"
        try write(head)
    }

    /// Writes a response head with whatever fields are given (a `Content-Length` among them, or
    /// none); the body is then written with ``write(_:)-([UInt8])``.
    public func writeHead(status: Int = 200, headers: [(String, String)] = []) throws {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try write(head)
    }

    /// Writes one chunk of a chunked body (an empty chunk is skipped: it would end the body).
    public func writeChunk(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        try write(Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10])
    }

    /// Writes one chunk of a chunked body from a string's UTF-8 bytes.
    public func writeChunk(_ text: String) throws {
        try writeChunk(Array(text.utf8))
    }

    /// Ends a chunked body.
    public func finishChunks() throws {
        try write("0\r\n\r\n")
    }

    // MARK: Timing and endings

    /// Pauses the handler's thread.
    public func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Closes the connection normally (the peer sees end of stream).
    public func close() {
        closed.withLock { closed in
            guard !closed else { return }
            closed = true
            _ = Glibc.close(fd)
        }
    }

    /// Closes the connection abruptly: the peer gets a TCP reset (`ECONNRESET`).
    public func reset() {
        closed.withLock { closed in
            guard !closed else { return }
            closed = true
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            _ = Glibc.close(fd)
        }
    }

    /// Waits until the peer closes or resets the connection, discarding anything it sends.
    /// Returns false if `timeout` passes first (or the connection was closed on this side).
    public func waitForPeerClose(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        while !isClosed {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return false }
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let millis = Int32(min(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
            let ready = poll(&pollFD, 1, millis)
            if ready < 0 && errno != EINTR { return true }
            if ready <= 0 { continue }
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) { return true }
        }
        return false
    }

    /// Wakes a blocked read or write by shutting the socket down; used when the server stops.
    func shutDown() {
        closed.withLock { closed in
            if !closed { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
