import Foundation
import KeelCore
import KeelHTTP

/// Logs each request: `debug` for successes, `notice` for 4xx, `warning` for 5xx. Only the method,
/// route, status and duration are logged — never headers or bodies, which may carry credentials.
struct RequestLogMiddleware: Middleware {
    func handle(_ request: Request, context: RequestContext, next: @Sendable (Request, RequestContext) async throws -> Response) async throws -> Response {
        let status: Int
        let response: Response
        do {
            response = try await next(request, context)
            status = response.status
        } catch {
            log(request, context, status: responseStatus(for: error))
            throw error
        }
        log(request, context, status: status)
        return response
    }

    private func log(_ request: Request, _ context: RequestContext, status: Int) {
        let level: LogLevel = status >= 500 ? .warning : status >= 400 ? .notice : .debug
        guard context.logger.isEnabled(level) else { return }
        let elapsed = ContinuousClock.now - context.startTime
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.log(level, "request", [
            "method": request.method,
            "route": context.route ?? "unmatched",
            "status": String(status),
            "duration_ms": String(format: "%.3f", ms),
        ])
    }
}
