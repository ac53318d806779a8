import KeelCore
/// One HTTP request for ``HTTPClient/execute(_:)``.
///
/// Its `description` and mirror are safe to log: they show the method, the URL without user
/// information or query values, the header names with credentials redacted, and the body's size.
public struct HTTPClientRequest: Sendable, CustomStringConvertible, CustomReflectable {
    /// The method, such as `GET` or `POST`. Default `GET`.
    public var method: String
    /// The absolute `http://` or `https://` URL.
    public var url: String
    /// Header fields to send, in order. Default none.
    ///
    /// The client adds `Host`, `Content-Length` and `Accept: */*` unless given here; it never adds
    /// `Accept-Encoding`, `Expect: 100-continue` or a form `Content-Type`.
    public var headers: HTTPHeaders
    /// The request body, sent with a `Content-Length`. Default nil (no body).
    public var body: [UInt8]?
    /// Time limits for this request. Default ``HTTPClientTimeouts/init(connect:firstByte:total:)``.
    public var timeouts: HTTPClientTimeouts
    /// The largest response body accepted, in bytes; nil means unlimited. Default nil.
    ///
    /// A larger `Content-Length` fails before ``HTTPClient/execute(_:)`` returns; a body that grows
    /// past the limit while streaming makes the body iterator throw. Both use
    /// ``HTTPClientError/Code-swift.struct/responseTooLarge``.
    public var maxResponseBytes: Int?

    /// Creates a request; every parameter except `url` has a default.
    public init(
        method: String = "GET",
        url: String,
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8]? = nil,
        timeouts: HTTPClientTimeouts = HTTPClientTimeouts(),
        maxResponseBytes: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.maxResponseBytes = maxResponseBytes
    }

    /// `GET https://host/path?key=*** (2 header fields, 0 body bytes)`, free of credentials.
    public var description: String {
        "\(method) \(URLRedaction.url(url)) (\(headers.count) header fields, \(body?.count ?? 0) body bytes)"
    }

    /// The fields as `description` shows them: no URL credentials, query values, body bytes or
    /// header credentials (the headers appear as their redacting `description`).
    public var customMirror: Mirror {
        Mirror(self, children: [
            "method": method,
            "url": URLRedaction.url(url),
            "headers": headers.description,
            "bodyBytes": body?.count ?? 0,
            "timeouts": timeouts,
            "maxResponseBytes": maxResponseBytes as Any,
        ], displayStyle: .struct)
    }

    /// Checks what libcurl would otherwise accept silently: a token method, header names that are
    /// tokens and header values without line breaks (which would allow header injection).
    func validate() throws(HTTPClientError) {
        guard !method.isEmpty, Self.allBytes(method, Self.isTokenByte) else {
            throw HTTPClientError(.invalidRequest, "the request method is not a valid HTTP token")
        }
        let scheme = url.prefix(8).lowercased()
        guard scheme.hasPrefix("http://") || scheme.hasPrefix("https://") else {
            throw HTTPClientError(.invalidRequest, "the URL must start with http:// or https://")
        }
        guard Self.allBytes(url, { $0 > 0x20 && $0 != 0x7F }) else {
            throw HTTPClientError(.invalidRequest, "the URL contains spaces or control characters")
        }
        for field in headers {
            guard !field.name.isEmpty, Self.allBytes(field.name, Self.isTokenByte) else {
                throw HTTPClientError(.invalidRequest, "a header name is not a valid HTTP token")
            }
            guard Self.allBytes(field.value, { $0 != 0x0D && $0 != 0x0A && $0 != 0 }) else {
                // The name is a validated token, so it is safe to mention; the value is not shown.
                throw HTTPClientError(.invalidRequest, "the value of header \(field.name) contains a line break")
            }
        }
        if let maxResponseBytes, maxResponseBytes < 0 {
            throw HTTPClientError(.invalidRequest, "maxResponseBytes must not be negative")
        }
    }

    /// Whether every UTF-8 byte of `text` passes `test`, checked on the bytes in place.
    @inline(__always)
    private static func allBytes(_ text: String, _ test: (UInt8) -> Bool) -> Bool {
        if let result = text.utf8.withContiguousStorageIfAvailable({ bytes in
            for byte in bytes where !test(byte) { return false }
            return true
        }) {
            return result
        }
        return text.utf8.allSatisfy(test)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
