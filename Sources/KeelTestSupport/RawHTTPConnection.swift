#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A blocking HTTP/1.1 client connection on a raw socket, for tests that need control the usual
/// clients don't give: slow reading, a small receive buffer, hanging up mid-request, malformed bytes.
public final class RawHTTPConnection: @unchecked Sendable {
    // Used from one test task at a time; the descriptor is the only state.
    public private(set) var fd: Int32
    private var pending: [UInt8] = []

    /// A parsed response.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public struct ConnectionError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Connects to `127.0.0.1:port`. `receiveBuffer` shrinks the socket's receive buffer (SO_RCVBUF).
    public init(port: Int, host: String = "127.0.0.1", receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError(description: "socket failed") }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let code = errno
            Glibc.close(fd)
            fd = -1
            throw ConnectionError(description: "connect failed: errno \(code)")
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Sets a receive timeout so reads can't hang a test forever.
    public func setReadTimeout(seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends bytes as they are.
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectionError(description: "send failed: errno \(errno)")
            }
            offset += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends a request with a content-length body.
    public func sendRequest(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws {
        var head = "\(method) \(target) HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { head += "content-length: \(body.count)\r\n" }
        head += "\r\n"
        try send(Array(head.utf8) + body)
    }

    /// Reads up to `max` bytes; returns an empty array at end of stream.
    public func readSome(max: Int = 65536) throws -> [UInt8] {
        if !pending.isEmpty {
            let out = Array(pending.prefix(max))
            pending.removeFirst(out.count)
            return out
        }
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return [] }
                throw ConnectionError(description: "recv failed: errno \(errno)")
            }
            return Array(buffer.prefix(n))
        }
    }

    /// Whether the server has closed the connection (reads EOF or a reset).
    public func isClosedByPeer() -> Bool {
        guard let bytes = try? readSome(max: 1) else { return false }
        if bytes.isEmpty { return true }
        pending.insert(contentsOf: bytes, at: 0)
        return false
    }

    private func readLine() throws -> String {
        var line: [UInt8] = []
        while true {
            if pending.isEmpty {
                let more = try readSome()
                if more.isEmpty { throw ConnectionError(description: "connection closed in the response head") }
                pending = more
            }
            let b = pending.removeFirst()
            if b == UInt8(ascii: "\n") {
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            line.append(b)
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            if pending.isEmpty {
                let more = try readSome()
                if more.isEmpty { throw ConnectionError(description: "connection closed in the body") }
                pending = more
            }
            let take = min(count - out.count, pending.count)
            out += pending.prefix(take)
            pending.removeFirst(take)
        }
        return out
    }

    /// Reads the response head only.
    public func readHead() throws -> (status: Int, headers: [(name: String, value: String)]) {
        var statusLine = try readLine()
        var status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [(String, String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty {
                if status == 100 {
                    statusLine = try readLine()
                    status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
                    continue
                }
                break
            }
            if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        return (status, headers.map { (name: $0.0, value: $0.1) })
    }

    /// Reads one chunk of a chunked body; nil after the last chunk.
    public func readChunk() throws -> [UInt8]? {
        let sizeLine = try readLine()
        let size = Int(sizeLine.split(separator: ";").first.map(String.init) ?? "", radix: 16) ?? 0
        if size == 0 {
            while try !readLine().isEmpty {}
            return nil
        }
        let data = try readExactly(size)
        _ = try readLine()
        return data
    }

    /// Reads a whole response (content-length, chunked, or until close).
    public func readResponse() throws -> Response {
        let (status, headers) = try readHead()
        func header(_ n: String) -> String? { headers.first { $0.name.lowercased() == n }?.value }
        var body: [UInt8] = []
        if let te = header("transfer-encoding"), te.lowercased().contains("chunked") {
            while let chunk = try readChunk() { body += chunk }
        } else if let cl = header("content-length"), let n = Int(cl) {
            body = try readExactly(n)
        } else if status != 204, status != 304 {
            while true {
                let more = try readSome()
                if more.isEmpty { break }
                body += more
            }
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// One request and its response.
    public func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> Response {
        try sendRequest(method, target, headers: headers, body: body)
        return try readResponse()
    }

    /// Closes the socket; with `reset`, the peer sees a connection reset instead of an orderly close.
    public func close(reset: Bool = false) {
        guard fd >= 0 else { return }
        if reset {
            var l = linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        }
        Glibc.close(fd)
        fd = -1
    }
}
