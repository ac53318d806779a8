import KeelHTTP

/// An error the gateway answers a client with, in the inbound API's shape: bad requests, upstream
/// failures mapped to a fitting status, timeouts. Messages never contain credentials.
public struct GatewayError: Error, HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        init(_ raw: String) { rawValue = raw }
        /// The client's request is malformed (400).
        public static let invalidRequest = Kind("invalid_request")
        /// The upstream rejected or failed the request; `status` is mapped from its answer.
        public static let upstream = Kind("upstream")
        /// The upstream could not be reached or timed out (502/504).
        public static let upstreamUnavailable = Kind("upstream_unavailable")
        /// The upstream answered with something Keel could not understand (502).
        public static let upstreamProtocol = Kind("upstream_protocol")
        public var description: String { rawValue }
    }

    public var kind: Kind
    /// The HTTP status for the client.
    public var status: Int
    public var message: String
    /// The error `type` (OpenAI and Anthropic share most names); nil picks the status's default.
    public var type: String?
    /// OpenAI's `code`.
    public var code: String?
    /// OpenAI's `param`.
    public var param: String?
    /// Extra headers (e.g. `retry-after` passed on from an upstream 429).
    public var headers: [String: String]

    public init(_ kind: Kind, status: Int, message: String, type: String? = nil, code: String? = nil, param: String? = nil, headers: [String: String] = [:]) {
        self.kind = kind
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers
    }

    /// A 400 naming the parameter at fault.
    public static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> GatewayError {
        GatewayError(.invalidRequest, status: 400, message: message, type: "invalid_request_error", code: code, param: param)
    }

    public var description: String { "\(kind) \(status): \(message)" }

    public func response(format: ErrorFormat) -> Response {
        var h = HTTPHeaders()
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { h.add(name: k, value: v) }
        return HTTPError(status, message, type: type, code: code, param: param, headers: h).response(format: format)
    }
}
