import KeelHTTP
import KeelTelemetry

/// Records `http_server_request_duration_seconds` by method, route template and status, and the
/// number of requests in flight. For streamed responses the duration ends when the response head
/// is ready (time to first byte); the GenAI metrics cover whole streams.
struct MetricsMiddleware: Middleware {
    let metrics: HTTPServerMetrics

    func handle(_ request: Request, context: RequestContext, next: @Sendable (Request, RequestContext) async throws -> Response) async throws -> Response {
        metrics.requestStarted()
        defer { metrics.requestFinished() }
        let route = context.route ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.record(method: request.method, route: route, status: response.status, duration: ContinuousClock.now - context.startTime)
            return response
        } catch {
            metrics.record(method: request.method, route: route, status: responseStatus(for: error), duration: ContinuousClock.now - context.startTime)
            throw error
        }
    }
}
