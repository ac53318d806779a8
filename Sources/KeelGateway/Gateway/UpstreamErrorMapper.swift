import KeelCore
import KeelHTTP

/// Maps an upstream's HTTP error to the error Keel's client sees.
///
/// The status is chosen for the client, not copied: an upstream 401/403 about *Keel's provider
/// credentials* is Keel's misconfiguration, so the client gets 502 rather than a message suggesting
/// its own key is wrong; timeouts become 504, other 5xx 502, while 400, 404, 413, 422 and 429 (with
/// `retry-after`) pass through. The upstream's message is kept (it explains bad requests) but never
/// its headers or credentials.
public enum UpstreamErrorMapper {
    public static func map(status: Int, body: [UInt8], headers: HTTPHeaders, provider: String) -> GatewayError {
        let parsed = try? JSONValue(parsing: body)
        // OpenAI: {"error": {"message", "type", "code", "param"}}; Anthropic: {"type": "error", "error": {"type", "message"}};
        // Gemini: {"error": {"code", "message", "status"}}; Bedrock: {"message": …}.
        let error = parsed?["error"]
        var message = error?["message"]?.stringValue ?? parsed?["message"]?.stringValue ?? parsed?["Message"]?.stringValue
        if message == nil, let text = String(validating: body.prefix(300), as: UTF8.self), !text.isEmpty, parsed == nil {
            message = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let upstreamType = error?["type"]?.stringValue
        let code = error?["code"]?.stringValue
        let param = error?["param"]?.stringValue
        var retryHeaders: [String: String] = [:]
        if let after = headers.first("retry-after") { retryHeaders["retry-after"] = after }
        if let afterMs = headers.first("retry-after-ms") { retryHeaders["retry-after-ms"] = afterMs }
        let detail = message ?? "no details"
        switch status {
        case 401:
            return GatewayError(.upstream, status: 502, message: "The provider '\(provider)' rejected Keel's credentials (HTTP 401): \(detail)", type: "upstream_error", code: "upstream_authentication_failed")
        case 403 where upstreamType == "authentication_error":
            return GatewayError(.upstream, status: 502, message: "The provider '\(provider)' rejected Keel's credentials (HTTP \(status)): \(detail)", type: "upstream_error", code: "upstream_authentication_failed")
        case 403:
            return GatewayError(.upstream, status: 403, message: detail, type: "permission_error", code: code)
        case 400, 404, 409, 413, 422:
            return GatewayError(.upstream, status: status, message: detail, type: upstreamType ?? HTTPError.defaultType(status: status, format: .openAI), code: code, param: param)
        case 429:
            return GatewayError(.upstream, status: 429, message: detail, type: "rate_limit_error", code: code ?? "rate_limit_exceeded", headers: retryHeaders)
        case 408, 504:
            return GatewayError(.upstreamUnavailable, status: 504, message: "The provider '\(provider)' timed out (HTTP \(status)).", type: "timeout_error", code: "upstream_timeout")
        case 529:
            return GatewayError(.upstream, status: 529, message: detail, type: "overloaded_error", code: "overloaded", headers: retryHeaders)
        default:
            return GatewayError(.upstream, status: 502, message: "The provider '\(provider)' failed (HTTP \(status)): \(detail)", type: "upstream_error", code: "upstream_error", headers: retryHeaders)
        }
    }

    /// An error from the HTTP client (connect failure, timeout, reset) as a client-facing error.
    public static func map(_ error: HTTPClientError, provider: String) -> GatewayError {
        switch error.code {
        case .connectTimeout, .firstByteTimeout, .totalTimeout:
            return GatewayError(.upstreamUnavailable, status: 504, message: "The provider '\(provider)' did not answer in time (\(error.code)).", type: "timeout_error", code: "upstream_timeout")
        case .cancelled:
            return GatewayError(.upstreamUnavailable, status: 499, message: "The request was cancelled.", type: "server_error", code: "cancelled")
        case .responseTooLarge:
            return GatewayError(.upstreamProtocol, status: 502, message: "The provider '\(provider)' sent a response larger than Keel accepts.", type: "upstream_error", code: "upstream_response_too_large")
        default:
            return GatewayError(.upstreamUnavailable, status: 502, message: "Keel could not reach the provider '\(provider)' (\(error.code)).", type: "upstream_error", code: "upstream_unreachable")
        }
    }
}
