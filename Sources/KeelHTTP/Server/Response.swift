/// An HTTP response: status, header fields and a body that is either complete or streamed.
public struct Response: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ResponseBody

    public init(status: Int = 200, headers: HTTPHeaders = [:], body: ResponseBody = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is the UTF-8 text of a JSON document.
    public static func json(_ json: String, status: Int = 200, headers: HTTPHeaders = [:]) -> Response {
        var h = headers
        h.replaceOrAdd(name: "content-type", value: "application/json")
        return Response(status: status, headers: h, body: .bytes(Array(json.utf8)))
    }

    /// A response whose body is JSON bytes.
    public static func json(bytes: [UInt8], status: Int = 200, headers: HTTPHeaders = [:]) -> Response {
        var h = headers
        h.replaceOrAdd(name: "content-type", value: "application/json")
        return Response(status: status, headers: h, body: .bytes(bytes))
    }

    /// A plain-text response.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: ["content-type": contentType], body: .bytes(Array(text.utf8)))
    }

    /// A streamed response of Server-Sent Events (`text/event-stream`, no caching, no proxy buffering).
    /// `producer` writes events with ``ResponseBodyWriter/write(event:)``; the response ends when it returns.
    public static func eventStream(status: Int = 200, headers: HTTPHeaders = [:], _ producer: @escaping @Sendable (any ResponseBodyWriter) async throws -> Void) -> Response {
        var h = headers
        h.replaceOrAdd(name: "content-type", value: "text/event-stream; charset=utf-8")
        h.replaceOrAdd(name: "cache-control", value: "no-cache")
        h.replaceOrAdd(name: "x-accel-buffering", value: "no")
        return Response(status: status, headers: h, body: .stream(producer))
    }
}

/// The body of a ``Response``.
public enum ResponseBody: Sendable {
    /// A complete body, sent with a `content-length`.
    case bytes([UInt8])
    /// A body produced while it is sent (chunked transfer encoding). The closure writes through the
    /// writer, which suspends when the client reads slowly and throws once the client has gone.
    case stream(@Sendable (any ResponseBodyWriter) async throws -> Void)
}

/// Writes a streamed response body to the client with back-pressure.
public protocol ResponseBodyWriter: Sendable {
    /// Queues `bytes` for the client. Suspends while too much is already waiting to be sent;
    /// throws when the client has disconnected or the request's task was cancelled.
    func write(_ bytes: [UInt8]) async throws
}

extension ResponseBodyWriter {
    /// Writes the UTF-8 bytes of `string`.
    public func write(_ string: String) async throws {
        try await write(Array(string.utf8))
    }

    /// Writes one Server-Sent Event.
    public func write(event: ServerSentEvent) async throws {
        try await write(event.encoded())
    }
}
