import KeelCore
import KeelHTTP

extension BedrockConverseCodec {
    /// Maps a Bedrock Runtime error answer (`{"message": "…"}` with the exception name in the
    /// `x-amzn-errortype` header, such as `ThrottlingException:http://internal.amazon.com/…`) to the
    /// error Keel gives its client.
    ///
    /// | Bedrock exception (HTTP status) | Client |
    /// |---|---|
    /// | `ValidationException`, `ConflictException` (400) | 400 with Bedrock's message |
    /// | `UnrecognizedClientException`, `InvalidSignatureException`, `ExpiredTokenException`, `MissingAuthenticationTokenException`, `IncompleteSignatureException` (403), any 401 | 502 `upstream_authentication_failed`: Keel's AWS credentials were rejected, not the client's key |
    /// | `AccessDeniedException` (403) | 403 (e.g. model access not granted to Keel's AWS account) |
    /// | `ResourceNotFoundException` (404) | 404 (`model_not_found` when it is about the model) |
    /// | `ThrottlingException` (429) | 429, keeping `retry-after` |
    /// | `ServiceQuotaExceededException` (400) | 429 `quota_exceeded` |
    /// | `ModelNotReadyException` (429) | 429 `model_not_ready` (the model is loading; retry) |
    /// | `ModelTimeoutException` (408), 504 | 504 |
    /// | `ServiceUnavailableException` (503) | 502, keeping `retry-after` |
    /// | `ModelErrorException`, `ModelStreamErrorException` (424) | 502 `upstream_model_error` |
    /// | `InternalServerException` (500), other 5xx | 502 |
    ///
    /// Only the message (scrubbed of anything that looks like a credential) and the
    /// `x-amzn-requestid` are copied; no other upstream header but `retry-after`.
    public static func decodeError(status: Int, body: [UInt8], headers: HTTPHeaders) -> GatewayError {
        var type = headers.first("x-amzn-errortype").map(exceptionName)
        var message: String?
        if let json = try? JSONValue(parsing: body) {
            message = json["message"]?.stringValue ?? json["Message"]?.stringValue
            if type == nil { type = json["__type"]?.stringValue.map(exceptionName) }
        } else {
            message = plainTextSnippet(body)
        }
        var error = mapError(status: status, type: type, message: message)
        if let requestID = headers.first("x-amzn-requestid"), requestID.utf8.count <= 64 {
            error.message += " (upstream request id \(scrubSecrets(requestID)))"
        }
        if [429, 502].contains(error.status), status == 429 || status == 503, let retryAfter = headers.first("retry-after") {
            error.headers["retry-after"] = retryAfter
        }
        return error
    }

    /// The exception name of an `x-amzn-errortype` value or `__type`: the part before any `:`, and
    /// after any `#` (`com.amazon.bedrock#ThrottlingException`).
    static func exceptionName(_ raw: String) -> String {
        var name = raw.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? raw
        if let hash = name.lastIndex(of: "#") { name = String(name[name.index(after: hash)...]) }
        return name
    }

    /// The error for an exception `type` (any capitalisation: `ThrottlingException` from a header,
    /// `throttlingException` inside a stream) with HTTP `status` (0 inside a stream) and `message`.
    static func mapError(status: Int, type: String?, message: String?) -> GatewayError {
        let detail = message.map(scrubSecrets).flatMap { $0.isEmpty ? nil : $0 }
        let name = type?.lowercased()
        let credentialFailures: Set<String> = [
            "unrecognizedclientexception", "invalidsignatureexception", "expiredtokenexception",
            "missingauthenticationtokenexception", "incompletesignatureexception", "invalidclienttokenid",
        ]
        if let name, credentialFailures.contains(name) || status == 401 {
            return GatewayError(.upstream, status: 502, message: "Upstream authentication failed: the provider rejected Keel's AWS credentials (\(type ?? "HTTP 401")).", code: "upstream_authentication_failed")
        }
        switch name {
        case "validationexception"?, "conflictexception"?:
            return GatewayError(.upstream, status: 400, message: detail ?? "The upstream rejected the request as invalid.", type: "invalid_request_error")
        case "accessdeniedexception"?:
            return GatewayError(.upstream, status: 403, message: "The provider refused the request: \(detail ?? "access denied").")
        case "resourcenotfoundexception"?:
            let text = detail ?? "The upstream model or resource was not found."
            return GatewayError(.upstream, status: 404, message: text, code: text.lowercased().contains("model") ? "model_not_found" : nil)
        case "throttlingexception"?:
            return GatewayError(.upstream, status: 429, message: detail ?? "The upstream rate limit was exceeded.")
        case "servicequotaexceededexception"?:
            return GatewayError(.upstream, status: 429, message: detail ?? "The provider's service quota is exceeded.", code: "quota_exceeded")
        case "modelnotreadyexception"?:
            return GatewayError(.upstream, status: 429, message: detail ?? "The model is not ready yet; retry shortly.", code: "model_not_ready")
        case "modeltimeoutexception"?:
            return GatewayError(.upstreamUnavailable, status: 504, message: "The upstream timed out: \(detail ?? "the model did not answer in time").", code: "upstream_timeout")
        case "serviceunavailableexception"?:
            return GatewayError(.upstream, status: 502, message: "The upstream is unavailable: \(detail ?? "service unavailable").")
        case "modelerrorexception"?, "modelstreamerrorexception"?:
            return GatewayError(.upstream, status: 502, message: "The model failed: \(detail ?? "model error").", code: "upstream_model_error")
        case "internalserverexception"?:
            return GatewayError(.upstream, status: 502, message: "The upstream failed: \(detail ?? "internal server error").")
        default:
            break
        }
        let text = detail ?? (status > 0 ? "HTTP \(status)" : (type ?? "unknown error"))
        switch status {
        case 400, 422: return GatewayError(.upstream, status: 400, message: text)
        case 403: return GatewayError(.upstream, status: 403, message: "The provider refused the request: \(text)")
        case 404: return GatewayError(.upstream, status: 404, message: text)
        case 408, 504: return GatewayError(.upstreamUnavailable, status: 504, message: "The upstream timed out: \(text)", code: "upstream_timeout")
        case 413: return GatewayError(.upstream, status: 413, message: text)
        case 429: return GatewayError(.upstream, status: 429, message: text)
        case 400..<500: return GatewayError(.upstream, status: 400, message: text)
        default: return GatewayError(.upstream, status: 502, message: "The upstream failed: \(text)")
        }
    }
}
