import KeelHTTP

/// An error from governance that a client sees: status, message, a machine-readable code and headers.
/// Messages never contain secrets (keys or tokens).
public struct GovernanceError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// What went wrong. A struct so codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code as it appears in error bodies.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// 401: no credential, or a wrong, expired or revoked one.
        public static let invalidAPIKey = Code("invalid_api_key")
        /// 401: a bearer token that is not a valid JWT for this deployment.
        public static let invalidToken = Code("invalid_token")
        /// 403: the caller's role does not allow this.
        public static let permissionDenied = Code("permission_denied")
        /// 403: the model is not on the key's or team's allow-list.
        public static let modelNotAllowed = Code("model_not_allowed")
        /// 429: a budget would be exceeded.
        public static let budgetExceeded = Code("budget_exceeded")
        /// 429: a requests- or tokens-per-minute limit is reached.
        public static let rateLimitExceeded = Code("rate_limit_exceeded")
        /// 400: a malformed admin request.
        public static let invalidRequest = Code("invalid_request")
        /// 404: no such team or key (or not visible to the caller).
        public static let notFound = Code("not_found")
        /// 409: a name already in use.
        public static let conflict = Code("conflict")
        /// The JWKS document could not be used.
        public static let invalidJWKS = Code("invalid_jwks")
        /// 500: the store failed.
        public static let storageFailed = Code("storage_failed")

        /// A readable form for logs and messages.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A message for the client; never contains secrets.
    public var message: String
    /// Extra response headers (`retry-after`, `x-ratelimit-*`, `x-should-retry`).
    public var headers: HTTPHeaders
    /// The request parameter at fault, for 400s.
    public var param: String?

    /// Creates a value with the given fields.
    public init(_ code: Code, _ message: String, headers: HTTPHeaders = [:], param: String? = nil) {
        self.code = code
        self.message = message
        self.headers = headers
        self.param = param
    }

    /// The HTTP status for the code: 401, 403, 429, 400, 404, 409 or 500.
    public var status: Int {
        switch code {
        case .invalidAPIKey, .invalidToken: 401
        case .permissionDenied, .modelNotAllowed: 403
        case .budgetExceeded, .rateLimitExceeded: 429
        case .invalidRequest, .invalidJWKS: 400
        case .notFound: 404
        case .conflict: 409
        default: 500
        }
    }

    /// The error as an ``HTTPError``.
    public var httpError: HTTPError {
        var headers = self.headers
        if status == 401, !headers.contains("www-authenticate") { headers.add(name: "www-authenticate", value: "Bearer") }
        // 401 and 403 cannot succeed on retry; nor can an exhausted budget.
        if status == 401 || status == 403 || code == .budgetExceeded, !headers.contains("x-should-retry") {
            headers.add(name: "x-should-retry", value: "false")
        }
        let wireCode = code == .invalidToken ? Code.invalidAPIKey.rawValue : code.rawValue
        return HTTPError(status, message, code: wireCode, param: param, headers: headers)
    }

    /// The error as a response in the route's error format.
    public func response(format: ErrorFormat) -> Response {
        httpError.response(format: format)
    }

    /// A readable form for logs and messages.
    public var description: String { "GovernanceError(\(code)): \(message)" }
}
