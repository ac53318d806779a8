import KeelCore
import KeelHTTP

/// Authenticates every request under `/v1/` and `/admin` (except the public `/admin/openapi.json`),
/// stores the ``Caller`` under ``CallerKey`` for the handlers, and refuses the data plane to roles that
/// cannot use models. Operations endpoints (`/healthz`, `/readyz`, `/metrics`) stay open.
/// Every refusal is appended to the audit log.
public struct GovernanceMiddleware: Middleware {
    let governance: Governance
    let prefixes: [String]
    /// Paths under the prefixes that need no credential.
    let publicPaths: Set<String> = ["/admin/openapi.json"]

    /// Creates a value with the given fields.
    public init(governance: Governance, prefixes: [String] = ["/v1/", "/admin"]) {
        self.governance = governance
        self.prefixes = prefixes
    }

    /// Authenticates, authorises the data plane, and passes the caller on.
    public func handle(_ request: Request, context: RequestContext, next: @Sendable (Request, RequestContext) async throws -> Response) async throws -> Response {
        guard prefixes.contains(where: { request.path.hasPrefix($0) }), !publicPaths.contains(request.path) else {
            return try await next(request, context)
        }
        let caller: Caller
        do {
            caller = try governance.authenticate(request.headers)
        } catch {
            governance.audit(nil, action: "auth.authenticate", target: "\(request.method) \(request.path)", outcome: "denied", detail: [
                "request_id": .string(context.requestID), "code": .string(error.code.rawValue), "message": .string(error.message),
            ])
            throw error
        }
        if request.path.hasPrefix("/v1/"), !caller.role.canUseModels, !(request.method == "GET" && request.path.hasPrefix("/v1/models")) {
            let error = GovernanceError(.permissionDenied, "The \(caller.role.rawValue) role cannot call models.")
            governance.audit(caller, action: "auth.authorize", target: "\(request.method) \(request.path)", outcome: "denied", detail: [
                "request_id": .string(context.requestID), "code": .string(error.code.rawValue),
            ])
            throw error
        }
        var context = context
        context.attributes[CallerKey.self] = caller
        return try await next(request, context)
    }
}
