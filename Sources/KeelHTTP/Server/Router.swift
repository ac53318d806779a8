import KeelCore

/// Collects routes and middleware, then builds the immutable responder the server runs.
///
/// Paths are literal segments and `{name}` parameters; a final `*` segment matches the rest of the
/// path. Literal routes win over parameter routes. A path that matches with another method answers
/// 405 with `allow`; `HEAD` is served by the `GET` route unless HEAD routes exist; no match answers 404 — both as JSON in the route's error format.
/// Middleware wraps every route (and the 404/405 answers) in the order added: the first added runs first.
public struct Router: Sendable {
    public typealias Handler = @Sendable (Request, RequestContext) async throws -> Response

    struct Route: Sendable {
        var method: String
        var template: String
        var segments: [Segment]
        var errorFormat: ErrorFormat
        var handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case rest
    }

    var routes: [Route] = []
    var middleware: [any Middleware] = []
    /// The error format for routes that do not set one.
    public var defaultErrorFormat: ErrorFormat
    /// The error format for paths no route matches (404/405 and anything middleware throws for
    /// them), by path; nil uses `defaultErrorFormat`.
    public var unmatchedErrorFormat: (@Sendable (String) -> ErrorFormat)?

    public init(defaultErrorFormat: ErrorFormat = .openAI) {
        self.defaultErrorFormat = defaultErrorFormat
    }

    /// Adds a middleware around every route.
    public mutating func use(_ middleware: any Middleware) {
        self.middleware.append(middleware)
    }

    /// Adds a route. `path` must start with `/`.
    public mutating func on(_ method: String, _ path: String, errorFormat: ErrorFormat? = nil, _ handler: @escaping Handler) {
        precondition(path.hasPrefix("/"), "route paths start with /")
        let segments: [Segment] = path.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part == "*" { return .rest }
            if part.hasPrefix("{"), part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        routes.append(Route(method: method.uppercased(), template: path, segments: segments, errorFormat: errorFormat ?? defaultErrorFormat, handler: handler))
    }

    public mutating func get(_ path: String, errorFormat: ErrorFormat? = nil, _ handler: @escaping Handler) { on("GET", path, errorFormat: errorFormat, handler) }
    public mutating func post(_ path: String, errorFormat: ErrorFormat? = nil, _ handler: @escaping Handler) { on("POST", path, errorFormat: errorFormat, handler) }
    public mutating func put(_ path: String, errorFormat: ErrorFormat? = nil, _ handler: @escaping Handler) { on("PUT", path, errorFormat: errorFormat, handler) }
    public mutating func patch(_ path: String, errorFormat: ErrorFormat? = nil, _ handler: @escaping Handler) { on("PATCH", path, errorFormat: errorFormat, handler) }
    public mutating func delete(_ path: String, errorFormat: ErrorFormat? = nil, _ handler: @escaping Handler) { on("DELETE", path, errorFormat: errorFormat, handler) }

    /// The immutable responder for these routes and middleware.
    public func buildResponder() -> any HTTPResponder {
        RouterResponder(routes: routes, middleware: middleware, defaultErrorFormat: defaultErrorFormat, unmatchedErrorFormat: unmatchedErrorFormat)
    }
}

/// The built router: matches, runs the middleware chain and turns thrown errors into responses.
final class RouterResponder: HTTPResponder {
    typealias Chain = @Sendable (Request, RequestContext) async throws -> Response

    struct CompiledRoute: Sendable {
        let template: String
        let segments: [Router.Segment]
        let errorFormat: ErrorFormat
        let chain: Chain
    }

    /// Routes without parameters, by path then method.
    private let literal: [String: [String: CompiledRoute]]
    /// Routes with parameters, by method.
    private let parameterized: [String: [CompiledRoute]]
    /// Every route's segments, for 405 detection.
    private let allRoutes: [(method: String, route: CompiledRoute)]
    private let notFound: Chain
    private let defaultErrorFormat: ErrorFormat
    private let hasHeadRoutes: Bool
    private let unmatchedErrorFormat: (@Sendable (String) -> ErrorFormat)?

    init(routes: [Router.Route], middleware: [any Middleware], defaultErrorFormat: ErrorFormat, unmatchedErrorFormat: (@Sendable (String) -> ErrorFormat)?) {
        self.unmatchedErrorFormat = unmatchedErrorFormat
        func wrap(_ handler: @escaping Chain) -> Chain {
            middleware.reversed().reduce(handler) { next, mw in
                { request, context in try await mw.handle(request, context: context, next: next) }
            }
        }
        var literal: [String: [String: CompiledRoute]] = [:]
        var parameterized: [String: [CompiledRoute]] = [:]
        var all: [(String, CompiledRoute)] = []
        for r in routes {
            let compiled = CompiledRoute(template: r.template, segments: r.segments, errorFormat: r.errorFormat, chain: wrap(r.handler))
            all.append((r.method, compiled))
            if r.segments.allSatisfy({ if case .literal = $0 { return true } else { return false } }) {
                let key = "/" + r.segments.map { if case .literal(let s) = $0 { return s } else { return "" } }.joined(separator: "/")
                literal[key, default: [:]][r.method] = compiled
            } else {
                parameterized[r.method, default: []].append(compiled)
            }
        }
        // Literal segments before parameters, so `/v1/models/search` beats `/v1/models/{id}`.
        for (m, list) in parameterized {
            parameterized[m] = list.sorted { a, b in
                for (x, y) in zip(a.segments, b.segments) where x != y {
                    if case .literal = x { return true }
                    if case .literal = y { return false }
                    if case .rest = y { return true }
                    return false
                }
                return a.segments.count > b.segments.count
            }
        }
        self.literal = literal
        self.parameterized = parameterized
        self.allRoutes = all
        self.hasHeadRoutes = routes.contains { $0.method == "HEAD" }
        self.defaultErrorFormat = defaultErrorFormat
        self.notFound = wrap { request, _ in
            throw HTTPError(404, "No route for \(request.method) \(request.path).", code: "not_found")
        }
    }

    func respond(to request: Request, context: RequestContext) async -> Response {
        var context = context
        let chain: Chain
        // HEAD is answered by the GET route when there is no HEAD route (the engine sends no body).
        let method = request.method == "HEAD" && !hasHeadRoutes ? "GET" : request.method
        if let byMethod = literal[Self.normalized(request.path)], let route = byMethod[method] {
            context.route = route.template
            context.errorFormat = route.errorFormat
            chain = route.chain
        } else if let (route, params) = matchParameterized(method: method, path: request.path) {
            context.route = route.template
            context.errorFormat = route.errorFormat
            context.parameters = params
            chain = route.chain
        } else {
            context.errorFormat = unmatchedErrorFormat?(request.path) ?? defaultErrorFormat
            let allowed = allowedMethods(path: request.path)
            if !allowed.isEmpty {
                let allow = allowed.joined(separator: ", ")
                chain = { request, _ in
                    throw HTTPError(405, "Method \(request.method) is not allowed on \(request.path); allowed: \(allow).", code: "method_not_allowed", headers: ["allow": allow])
                }
            } else {
                chain = notFound
            }
        }
        do {
            return try await chain(request, context)
        } catch let error as any HTTPResponseError {
            return error.response(format: context.errorFormat)
        } catch is CancellationError {
            return HTTPError(499, "The request was cancelled.", type: "server_error", code: "cancelled").response(format: context.errorFormat)
        } catch {
            context.logger.error("unhandled error", ["error": String(describing: type(of: error))])
            return HTTPError(500, "The server had an internal error while processing the request.", code: "internal_error").response(format: context.errorFormat)
        }
    }

    private static func normalized(_ path: String) -> String {
        if needsNormalizing(path.utf8) {
            return "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        }
        return path
    }

    /// Whether a path longer than "/" ends with a slash or holds an empty segment ("//").
    private static func needsNormalizing(_ path: String.UTF8View) -> Bool {
        var previousWasSlash = false
        var length = 0
        for byte in path {
            let isSlash = byte == UInt8(ascii: "/")
            if isSlash && previousWasSlash { return true }
            previousWasSlash = isSlash
            length += 1
        }
        return length > 1 && previousWasSlash
    }

    private func matchParameterized(method: String, path: String) -> (CompiledRoute, [String: String])? {
        guard let candidates = parameterized[method] else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        for route in candidates {
            if let params = Self.match(route.segments, parts) { return (route, params) }
        }
        return nil
    }

    private static func match(_ segments: [Router.Segment], _ parts: [Substring]) -> [String: String]? {
        var params: [String: String] = [:]
        var i = 0
        for segment in segments {
            switch segment {
            case .rest:
                params["*"] = parts[i...].joined(separator: "/")
                return params
            case .literal(let s):
                guard i < parts.count, parts[i] == s else { return nil }
            case .parameter(let name):
                guard i < parts.count else { return nil }
                params[name] = String(parts[i])
            }
            i += 1
        }
        return i == parts.count ? params : nil
    }

    private func allowedMethods(path: String) -> [String] {
        let parts = Self.normalized(path).split(separator: "/", omittingEmptySubsequences: true)
        var methods: [String] = []
        for (method, route) in allRoutes where Self.match(route.segments, parts) != nil {
            if !methods.contains(method) { methods.append(method) }
        }
        return methods
    }
}
