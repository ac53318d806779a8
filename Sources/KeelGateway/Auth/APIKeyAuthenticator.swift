import KeelCore
import KeelHTTP

/// Who made a request, once authenticated.
public enum Principal: Sendable, Equatable {
    /// The configured master key: full access.
    case master
}

/// Authenticates data-plane and control-plane requests by API key.
///
/// The key comes from `Authorization: Bearer KEY` (OpenAI SDKs, curl) or `x-api-key: KEY` (Anthropic
/// SDKs, Claude Code). Keys are compared by their SHA-256 digests in constant time, so neither the
/// key's contents nor its length leak through timing. A missing or wrong key is a 401 in the route's
/// error format; the message never echoes the key.
public struct APIKeyAuthenticator: Sendable {
    private let masterKeyDigest: [UInt8]?

    public init(masterKey: Secret?) {
        masterKeyDigest = masterKey.map { Digest.sha256($0.reveal()) }
    }

    /// The key presented by the request, if any.
    public static func presentedKey(_ headers: HTTPHeaders) -> String? {
        if let authorization = headers.first("authorization") {
            let trimmed = authorization.drop { $0 == " " }
            if trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " {
                let key = trimmed.dropFirst(7).trimmingSpaces()
                if !key.isEmpty { return key }
            }
        }
        if let key = headers.first("x-api-key")?.trimmingSpaces(), !key.isEmpty {
            return key
        }
        return nil
    }

    /// The principal for `headers`, or a 401 error.
    public func authenticate(_ headers: HTTPHeaders) throws(HTTPError) -> Principal {
        guard let masterKeyDigest else {
            throw Self.unauthorized("Keel has no API keys configured; set server.master_key.")
        }
        guard let key = Self.presentedKey(headers) else {
            throw Self.unauthorized("Missing API key. Send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY'.")
        }
        guard Digest.constantTimeEquals(Digest.sha256(key), masterKeyDigest) else {
            throw Self.unauthorized("Invalid API key.")
        }
        return .master
    }

    static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(401, message, type: nil, code: "invalid_api_key", headers: ["www-authenticate": "Bearer", "x-should-retry": "false"])
    }
}

/// Requires a valid key for every request under the given path prefixes (by default `/v1/` and
/// `/admin`); operations endpoints (`/healthz`, `/readyz`, `/metrics`) stay open.
public struct AuthMiddleware: Middleware {
    let authenticator: APIKeyAuthenticator
    let prefixes: [String]

    public init(authenticator: APIKeyAuthenticator, prefixes: [String] = ["/v1/", "/admin"]) {
        self.authenticator = authenticator
        self.prefixes = prefixes
    }

    public func handle(_ request: Request, context: RequestContext, next: @Sendable (Request, RequestContext) async throws -> Response) async throws -> Response {
        if prefixes.contains(where: { request.path.hasPrefix($0) }) {
            _ = try authenticator.authenticate(request.headers)
        }
        return try await next(request, context)
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
