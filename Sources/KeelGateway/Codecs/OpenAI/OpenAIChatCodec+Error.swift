import KeelCore
import KeelHTTP

extension OpenAIChatCodec {
    /// Maps an OpenAI-compatible upstream's error answer to the error Keel gives its client.
    ///
    /// Reads `{"error": {"message", "type", "param", "code"}}` (and the looser shapes compatible
    /// servers use: `{"error": "…"}`, `{"message": …}`, `{"detail": …}`; of a plain-text body, the
    /// start of its text, as for ``AnthropicMessagesCodec/decodeError(status:body:headers:)``). Statuses:
    ///
    /// | upstream | client | note |
    /// |---|---|---|
    /// | 400 with code `content_filter` (Azure, incl. `innererror`) | 400 `content_filter` | message kept |
    /// | 400, 422 | 400 | message, `param`, `code` kept |
    /// | 401, 402 | 502 | Keel's provider credentials or account failed — never the client's fault; upstream text dropped |
    /// | 403 | 403 | |
    /// | 404 | 404 | e.g. `model_not_found` |
    /// | 408, 504, 524 | 504 | upstream timeout |
    /// | 413 | 413 | |
    /// | 429 | 429 | `retry-after` (and `retry-after-ms`) passed on |
    /// | other 5xx | 502 | `retry-after` passed on for 503 |
    ///
    /// Messages are scrubbed of anything that looks like an API key, and no upstream header other
    /// than the retry hints is copied.
    public static func decodeError(status: Int, body: [UInt8], headers: HTTPHeaders) -> GatewayError {
        let parsed = try? JSONValue(parsing: body)
        var details = ErrorDetails(parsed)
        if parsed == nil { details.message = plainTextSnippet(body) }
        var retryHeaders: [String: String] = [:]
        for name in ["retry-after", "retry-after-ms"] {
            if let v = headers[name] { retryHeaders[name] = v }
        }
        return mapError(status: status, details: details, retryHeaders: retryHeaders)
    }

    /// The parts of an OpenAI-style error body Keel uses.
    struct ErrorDetails {
        var message: String?
        var type: String?
        var code: String?
        var param: String?
        var contentFilter = false

        init(_ body: JSONValue?) {
            guard let body else { return }
            let error: JSONValue
            if let e = body["error"], !e.isNull {
                error = e
            } else {
                error = body
            }
            if case .string(let s) = error {
                message = s
                return
            }
            message = error["message"]?.stringValue ?? error["detail"]?.stringValue
            if message == nil, case .array(let items)? = error["detail"] {
                // FastAPI validation errors: [{"loc": [...], "msg": "..."}]
                message = items.compactMap { $0["msg"]?.stringValue }.joined(separator: "; ")
            }
            type = error["type"]?.stringValue
            param = error["param"]?.stringValue
            switch error["code"] {
            case .string(let s)?: code = s
            case .number(let n)?: code = n.text
            default: break
            }
            let inner = error["innererror"]?["code"]?.stringValue
            contentFilter = code == "content_filter" || inner == "ResponsibleAIPolicyViolation"
                || error["innererror"]?["content_filter_result"] != nil
        }
    }

    static func mapError(status: Int, details: ErrorDetails, retryHeaders: [String: String]) -> GatewayError {
        let text = details.message.map(scrubSecrets).flatMap { $0.isEmpty ? nil : $0 }
        let upstreamText = text.map { ": \($0)" } ?? "."
        switch status {
        case 400, 422:
            if details.contentFilter {
                return GatewayError(.upstream, status: 400, message: text ?? "The request was rejected by the provider's content filter.",
                                    type: "invalid_request_error", code: "content_filter", param: details.param)
            }
            return GatewayError(.upstream, status: 400, message: text ?? "The upstream rejected the request as invalid.",
                                type: "invalid_request_error", code: details.code, param: details.param)
        case 401, 402:
            return GatewayError(.upstream, status: 502,
                                message: status == 401 ? "Upstream authentication failed." : "The upstream provider account cannot be used (payment required).",
                                code: status == 401 ? "upstream_authentication_failed" : "upstream_payment_required")
        case 403:
            return GatewayError(.upstream, status: 403, message: text ?? "The upstream refused the request.", code: details.code)
        case 404:
            return GatewayError(.upstream, status: 404, message: text ?? "The upstream model or endpoint was not found.",
                                code: details.code ?? "model_not_found", param: details.param)
        case 408, 504, 524:
            return GatewayError(.upstreamUnavailable, status: 504, message: "The upstream timed out (HTTP \(status))\(upstreamText)")
        case 413:
            return GatewayError(.upstream, status: 413, message: text ?? "The request is too large for the upstream.",
                                code: details.code)
        case 429:
            return GatewayError(.upstream, status: 429, message: text ?? "The upstream rate limit was exceeded.",
                                code: details.code, headers: retryHeaders)
        case 400..<500:
            return GatewayError(.upstream, status: status, message: text ?? "The upstream rejected the request (HTTP \(status)).",
                                code: details.code, param: details.param)
        default:
            return GatewayError(.upstream, status: 502, message: "The upstream failed (HTTP \(status))\(upstreamText)",
                                code: details.code, headers: status == 503 ? retryHeaders : [:])
        }
    }

    /// An `{"error": …}` object received inside a stream or a 200 body, as a thrown error.
    static func streamError(_ error: JSONValue, fallbackStatus: Int) -> GatewayError {
        let details = ErrorDetails(["error": error])
        var status = fallbackStatus
        if let s = error["status"]?.intValue ?? error["code"]?.intValue, (400..<600).contains(s) {
            status = s
        } else {
            let words = [details.type, details.code].compactMap(\.self)
            if words.contains(where: { ["rate_limit_error", "rate_limit_exceeded"].contains($0) }) {
                status = 429
            } else if words.contains(where: { ["invalid_request_error", "context_length_exceeded"].contains($0) }) {
                status = 400
            }
        }
        var mapped = mapError(status: status, details: details, retryHeaders: [:])
        mapped.kind = .upstream
        return mapped
    }
}
