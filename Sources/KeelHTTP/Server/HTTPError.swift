import KeelCore

/// The JSON error shape a route answers with: OpenAI's or Anthropic's.
public enum ErrorFormat: Sendable {
    /// `{"error": {"message", "type", "param", "code"}}` — OpenAI-compatible routes, `/admin`, operations.
    case openAI
    /// `{"type": "error", "error": {"type", "message"}}` — `/v1/messages`.
    case anthropic
}

/// An error that knows the HTTP response it should become.
public protocol HTTPResponseError: Error {
    /// The HTTP status the response has (for logs and metrics, without building the response).
    var status: Int { get }
    /// The response for this error in the route's error format.
    func response(format: ErrorFormat) -> Response
}

/// The status a handler's `error` answers with: the error's own for an ``HTTPResponseError``, 499
/// when the client went away (cancellation), 500 for anything else — for logs and metrics, which
/// see the error before it becomes a response.
public func responseStatus(for error: any Error) -> Int {
    switch error {
    case let e as any HTTPResponseError: e.status
    case is CancellationError, is ClientDisconnectedError: 499
    default: 500
    }
}

/// An error a client sees: status, message and the machine-readable type and code,
/// rendered in the route's ``ErrorFormat``. Messages must never contain secrets.
public struct HTTPError: HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String
    /// The error type (`invalid_request_error`, …); nil picks the conventional type for `status`.
    public var type: String?
    /// OpenAI's `code` field (e.g. `model_not_found`); Anthropic responses omit it.
    public var code: String?
    /// OpenAI's `param` field: the request parameter at fault.
    public var param: String?
    /// Extra response headers (e.g. `retry-after`, `x-should-retry`).
    public var headers: HTTPHeaders

    public init(_ status: Int, _ message: String, type: String? = nil, code: String? = nil, param: String? = nil, headers: HTTPHeaders = [:]) {
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers
    }

    public var description: String { "HTTP \(status): \(message)" }

    public static func badRequest(_ message: String, code: String? = nil, param: String? = nil) -> HTTPError {
        HTTPError(400, message, code: code, param: param)
    }

    public static func notFound(_ message: String, code: String? = nil) -> HTTPError {
        HTTPError(404, message, code: code)
    }

    /// The conventional error type for a status in each format.
    public static func defaultType(status: Int, format: ErrorFormat) -> String {
        switch format {
        case .openAI:
            switch status {
            case 401: return "authentication_error"
            case 403: return "permission_error"
            case 404: return "not_found_error"
            case 413: return "invalid_request_error"
            case 429: return "rate_limit_error"
            case 400..<500: return "invalid_request_error"
            case 503: return "service_unavailable_error"
            default: return "server_error"
            }
        case .anthropic:
            switch status {
            case 401: return "authentication_error"
            case 403: return "permission_error"
            case 404: return "not_found_error"
            case 413: return "request_too_large"
            case 429: return "rate_limit_error"
            case 400..<500: return "invalid_request_error"
            case 529, 503: return "overloaded_error"
            default: return "api_error"
            }
        }
    }

    /// The JSON body for this error.
    public func body(format: ErrorFormat) -> String {
        let t = type ?? Self.defaultType(status: status, format: format)
        switch format {
        case .openAI:
            var out = "{\"error\":{\"message\":"
            JSONString.append(message, to: &out)
            out += ",\"type\":"
            JSONString.append(t, to: &out)
            out += ",\"param\":"
            if let param { JSONString.append(param, to: &out) } else { out += "null" }
            out += ",\"code\":"
            if let code { JSONString.append(code, to: &out) } else { out += "null" }
            out += "}}"
            return out
        case .anthropic:
            var out = "{\"type\":\"error\",\"error\":{\"type\":"
            JSONString.append(t, to: &out)
            out += ",\"message\":"
            JSONString.append(message, to: &out)
            out += "}}"
            return out
        }
    }

    public func response(format: ErrorFormat) -> Response {
        Response.json(body(format: format), status: status, headers: headers)
    }
}
