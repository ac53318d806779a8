/// Anything that turns a request into a response; the server engine calls exactly one.
/// It does not throw: errors are already responses by the time they reach the engine.
public protocol HTTPResponder: Sendable {
    func respond(to request: Request, context: RequestContext) async -> Response
}

/// A step in the request pipeline that can act before and after the rest of the chain.
public protocol Middleware: Sendable {
    func handle(_ request: Request, context: RequestContext, next: @Sendable (Request, RequestContext) async throws -> Response) async throws -> Response
}
