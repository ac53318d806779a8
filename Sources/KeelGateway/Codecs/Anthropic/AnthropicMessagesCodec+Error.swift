import KeelCore
import KeelHTTP

extension AnthropicMessagesCodec {
    /// Maps an Anthropic error answer (`{"type": "error", "error": {"type", "message"}}`, or any
    /// other body) to the error Keel gives its client.
    ///
    /// | Upstream | Client |
    /// |---|---|
    /// | 400 `invalid_request_error` | 400 with Anthropic's message (it is about the request's content) |
    /// | 401 `authentication_error`, 402 `billing_error` | 502: the provider rejected Keel's credentials or account, not the client's key |
    /// | 403 `permission_error` | 403 |
    /// | 404 `not_found_error` | 404 |
    /// | 408, 504 `timeout_error` | 504 |
    /// | 413 `request_too_large` | 413 |
    /// | 429 `rate_limit_error` | 429, keeping `retry-after` |
    /// | 529 `overloaded_error` | 529, keeping `retry-after` |
    /// | other 5xx (`api_error`) | 502 |
    ///
    /// The error `type` is left to the client's format (``HTTPError/defaultType(status:format:)``),
    /// which gives Anthropic clients the types above and OpenAI clients their own.
    /// Only the upstream's error message (scrubbed of anything that looks like an API key) and
    /// request id are copied, never its headers (apart from `retry-after`) nor anything of the request.
    public static func decodeError(status: Int, body: [UInt8], headers: HTTPHeaders) -> GatewayError {
        var type: String?
        var message: String?
        var requestID: String?
        if let json = try? JSONValue(parsing: body) {
            let error = json["error"]
            type = error?["type"]?.stringValue
            message = error?["message"]?.stringValue ?? json["message"]?.stringValue
            requestID = json["request_id"]?.stringValue
        } else {
            message = plainTextSnippet(body)
        }
        var error = mapError(status: status, type: type, message: message)
        if let requestID {
            error.message += " (upstream request id \(requestID))"
        }
        if error.status == 429 || error.status == 529 || error.status == 503, let retryAfter = headers.first("retry-after") {
            error.headers["retry-after"] = retryAfter
        }
        return error
    }

    /// The error for an upstream failure with HTTP `status` (0 when it came inside a stream),
    /// Anthropic error `type` and `message`.
    static func mapError(status: Int, type: String?, message: String?) -> GatewayError {
        let effective: Int
        switch (status, type) {
        case (200..<300, _), (0, _):
            effective = statusForType(type)
        default:
            effective = status
        }
        let detail = message.map(scrubSecrets).flatMap { $0.isEmpty ? nil : $0 } ?? "HTTP \(effective)"
        switch effective {
        case 400, 422:
            return GatewayError(.upstream, status: 400, message: detail)
        case 401, 402:
            let what = effective == 402 || type == "billing_error" ? "the provider's account could not be billed" : "the provider rejected Keel's credentials"
            return GatewayError(.upstream, status: 502, message: "Upstream authentication failed: \(what).", code: "upstream_authentication_failed")
        case 403:
            return GatewayError(.upstream, status: 403, message: "The provider refused the request: \(detail)")
        case 404:
            let code = detail.lowercased().contains("model") ? "model_not_found" : nil
            return GatewayError(.upstream, status: 404, message: detail, code: code)
        case 408, 504:
            return GatewayError(.upstreamUnavailable, status: 504, message: "The upstream timed out: \(detail)")
        case 413:
            return GatewayError(.upstream, status: 413, message: detail)
        case 429:
            return GatewayError(.upstream, status: 429, message: detail)
        case 529:
            return GatewayError(.upstream, status: 529, message: "The upstream is overloaded: \(detail)")
        case 400..<500:
            return GatewayError(.upstream, status: 400, message: detail)
        default:
            return GatewayError(.upstream, status: 502, message: "The upstream failed: \(detail)")
        }
    }

    /// The HTTP status Anthropic uses for an error `type`.
    static func statusForType(_ type: String?) -> Int {
        switch type {
        case "invalid_request_error"?: 400
        case "authentication_error"?: 401
        case "billing_error"?: 402
        case "permission_error"?: 403
        case "not_found_error"?: 404
        case "request_too_large"?: 413
        case "rate_limit_error"?: 429
        case "timeout_error"?: 504
        case "overloaded_error"?: 529
        default: 500
        }
    }

    /// The error carried by an in-stream `error` event (or a 200 body of type `error`).
    static func streamError(_ error: JSONValue?) -> GatewayError {
        mapError(status: 0, type: error?["type"]?.stringValue, message: error?["message"]?.stringValue)
    }
}
