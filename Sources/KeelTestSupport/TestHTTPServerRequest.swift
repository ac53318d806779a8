#if canImport(Glibc)
import Glibc
#endif
import KeelHTTP

/// A request as received by ``TestHTTPServer``, with its body fully read.
public struct TestHTTPServerRequest: Sendable {
    /// The method, such as `GET`.
    public var method: String
    /// The request target as sent: path and query, such as `/v1/chat?x=1`.
    public var target: String
    /// The HTTP version, such as `HTTP/1.1`.
    public var version: String
    /// The header fields, in the order received.
    public var headers: HTTPHeaders
    /// The body (de-chunked if it was sent chunked); empty if there was none.
    public var body: [UInt8]

    /// The path part of ``target``, without the query.
    public var path: String {
        String(target.prefix { $0 != "?" })
    }

    /// The body decoded as UTF-8.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// An error from ``TestHTTPServer``'s sockets.
public struct TestHTTPServerError: Error, CustomStringConvertible {
    /// What failed, with `errno`'s text.
    public var message: String

    init(_ operation: String, errno code: Int32) {
        message = "\(operation) failed: \(String(cString: strerror(code)))"
    }

    init(_ message: String) { self.message = message }

    public var description: String { "TestHTTPServerError: \(message)" }
}

/// Reads HTTP/1.1 requests from a socket; used only by the connection's own thread.
final class TestHTTPServerRequestReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    init(fd: Int32) { self.fd = fd }

    /// The next request, or nil when the peer closed the connection (or sent garbage).
    func readRequest() -> TestHTTPServerRequest? {
        guard let requestLine = readLine(), !requestLine.isEmpty else { return nil }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3 else { return nil }
        var headers = HTTPHeaders()
        while true {
            guard let line = readLine() else { return nil }
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.add(name: String(line[..<colon]), value: String(value))
        }
        var body: [UInt8] = []
        if headers.first("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                guard let sizeLine = readLine(),
                      let size = Int(sizeLine.prefix { $0 != ";" }.trimmingSpaces, radix: 16), size >= 0 else { return nil }
                if size == 0 {
                    while let trailer = readLine(), !trailer.isEmpty {}  // trailers, ignored
                    break
                }
                guard let chunk = read(count: size), readLine() != nil else { return nil }
                body += chunk
            }
        } else if let lengthText = headers.first("content-length"), let length = Int(lengthText) {
            guard length >= 0 else { return nil }
            guard let bytes = read(count: length) else { return nil }
            body = bytes
        }
        return TestHTTPServerRequest(
            method: String(parts[0]), target: String(parts[1]), version: String(parts[2]),
            headers: headers, body: body
        )
    }

    private func readLine() -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            guard fill() else { return nil }
        }
    }

    private func read(count: Int) -> [UInt8]? {
        while buffer.count - start < count {
            guard fill() else { return nil }
        }
        let bytes = Array(buffer[start..<start + count])
        start += count
        return bytes
    }

    private func fill() -> Bool {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            buffer += chunk[0..<n]
            return true
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
