import KeelCore
import KeelHTTP

extension GeminiCodec {
    /// Maps a Gemini error answer (`{"error": {"code", "message", "status", "details"}}`, also
    /// wrapped in a one-element array as some Google endpoints send it, or any other body) to the
    /// error Keel gives its client.
    ///
    /// | Upstream | Client |
    /// |---|---|
    /// | 400 `INVALID_ARGUMENT` with reason `API_KEY_INVALID` (Google's answer to a bad key), 401 `UNAUTHENTICATED` | 502 `upstream_authentication_failed`: Keel's provider key was rejected, not the client's |
    /// | 403 `PERMISSION_DENIED` | 502 `upstream_permission_denied`: the provider key's project may not use this model or API |
    /// | other 400 (`INVALID_ARGUMENT`, `FAILED_PRECONDITION`, …), 422 | 400 with Google's message and its status as `code` |
    /// | 404 `NOT_FOUND` | 404 (`model_not_found` when the message is about a model) |
    /// | 408, 504 `DEADLINE_EXCEEDED` | 504 |
    /// | 413 | 413 |
    /// | 429 `RESOURCE_EXHAUSTED` | 429 with `retry-after` from the header or from the `RetryInfo` detail's `retryDelay` |
    /// | 503 `UNAVAILABLE` | 502, keeping `retry-after` |
    /// | other 5xx (`INTERNAL`, …) and 499 `CANCELLED` | 502 |
    ///
    /// Only Google's message is copied, scrubbed of anything that looks like a key (Gemini echoes
    /// the key in some messages); `details` (which can name the key too) and the upstream's headers
    /// (apart from `retry-after`) are never copied.
    public static func decodeError(status: Int, body: [UInt8], headers: HTTPHeaders) -> GatewayError {
        var details: ErrorDetails
        if var json = try? JSONValue(parsing: body) {
            if case .array(let items) = json, let first = items.first { json = first }
            details = ErrorDetails(json["error"] ?? json)
        } else {
            details = ErrorDetails(nil)
            details.message = plainTextSnippet(body)
        }
        if let retryAfter = headers.first("retry-after") { details.retryAfter = retryAfter }
        return mapError(status: status, details: details)
    }

    /// The parts of a Google error object Keel uses.
    struct ErrorDetails {
        var code: Int?
        var message: String?
        /// The canonical status name (`INVALID_ARGUMENT`, `RESOURCE_EXHAUSTED`, …).
        var status: String?
        /// `reason` of an `ErrorInfo` detail (`API_KEY_INVALID`, …).
        var reason: String?
        /// Seconds, from the `retry-after` header or a `RetryInfo` detail.
        var retryAfter: String?

        init(_ error: JSONValue?) {
            guard let error else { return }
            if case .string(let text) = error {
                message = text
                return
            }
            code = error["code"]?.intValue
            message = error["message"]?.stringValue
            status = error["status"]?.stringValue
            for detail in error["details"]?.arrayValue ?? [] {
                if reason == nil, let r = detail["reason"]?.stringValue { reason = r }
                if retryAfter == nil, let delay = detail["retryDelay"]?.stringValue { retryAfter = GeminiCodec.seconds(fromDuration: delay) }
            }
        }
    }

    /// The HTTP status Google uses for a canonical status name.
    static func httpStatus(forName name: String?) -> Int? {
        switch name {
        case "INVALID_ARGUMENT"?, "FAILED_PRECONDITION"?, "OUT_OF_RANGE"?: 400
        case "UNAUTHENTICATED"?: 401
        case "PERMISSION_DENIED"?: 403
        case "NOT_FOUND"?: 404
        case "ALREADY_EXISTS"?, "ABORTED"?: 409
        case "RESOURCE_EXHAUSTED"?: 429
        case "CANCELLED"?: 499
        case "INTERNAL"?, "UNKNOWN"?, "DATA_LOSS"?: 500
        case "UNIMPLEMENTED"?: 501
        case "UNAVAILABLE"?: 503
        case "DEADLINE_EXCEEDED"?: 504
        default: nil
        }
    }

    /// The error for an upstream failure with HTTP `status` (0 when it came inside a 200 body or a
    /// stream, where Google's own `code` and `status` decide).
    static func mapError(status: Int, details: ErrorDetails) -> GatewayError {
        var effective = status
        if !(400..<600).contains(effective) {
            effective = details.code.flatMap { (400..<600).contains($0) ? $0 : nil } ?? httpStatus(forName: details.status) ?? 500
        }
        let text = details.message.map(scrubSecrets).flatMap { $0.isEmpty ? nil : $0 }
        let detail = text ?? "HTTP \(effective)"
        let keyRejected = details.reason == "API_KEY_INVALID" || details.reason == "API_KEY_EXPIRED"
            || (effective == 400 && text?.contains("API key") == true && text?.contains("not valid") == true)
        if effective == 401 || keyRejected {
            return GatewayError(.upstream, status: 502, message: "Upstream authentication failed: the provider rejected Keel's credentials.", code: "upstream_authentication_failed")
        }
        switch effective {
        case 403:
            return GatewayError(.upstream, status: 502, message: "The provider refused Keel's credentials for this request: \(detail)", code: "upstream_permission_denied")
        case 400, 422:
            return GatewayError(.upstream, status: 400, message: detail, type: "invalid_request_error", code: details.status?.lowercased())
        case 404:
            let code = detail.lowercased().contains("model") ? "model_not_found" : details.status?.lowercased()
            return GatewayError(.upstream, status: 404, message: detail, code: code)
        case 408, 504:
            return GatewayError(.upstreamUnavailable, status: 504, message: "The upstream timed out: \(detail)", type: "timeout_error", code: "upstream_timeout")
        case 413:
            return GatewayError(.upstream, status: 413, message: detail)
        case 429:
            var headers: [String: String] = [:]
            if let retryAfter = details.retryAfter { headers["retry-after"] = retryAfter }
            return GatewayError(.upstream, status: 429, message: detail, code: "rate_limit_exceeded", headers: headers)
        case 409, 400..<499:
            return GatewayError(.upstream, status: 400, message: detail, code: details.status?.lowercased())
        default:
            var headers: [String: String] = [:]
            if effective == 503, let retryAfter = details.retryAfter { headers["retry-after"] = retryAfter }
            return GatewayError(.upstream, status: 502, message: "The upstream failed: \(detail)", code: details.status?.lowercased(), headers: headers)
        }
    }

    /// Whole seconds (rounded up) of a protobuf JSON duration such as `"37s"` or `"0.250s"`; nil
    /// when it is not one.
    static func seconds(fromDuration text: String) -> String? {
        guard text.hasSuffix("s"), let value = Double(text.dropLast()), value >= 0, value < 1e9 else { return nil }
        return String(Int(value.rounded(.up)))
    }
}
