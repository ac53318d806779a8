import KeelCore
import KeelGateway
import KeelGovernance
import KeelHTTP

/// `GET /admin/routes`: every model's routing state — per route the circuit breaker, load, average
/// latency and time to first token, attempts and failures; per model the request, retry, hedge,
/// fallback and queue counters since start. For `super_admin` callers (every model) and `team_admin`
/// callers (the models their key's and team's allow-lists include).
struct RoutesHealthRoutes: Sendable {
    let routing: RoutingTable
    let governance: Governance

    func register(in router: inout Router) {
        router.get("/admin/routes") { [self] _, context in
            guard let caller = context.attributes[CallerKey.self] else {
                throw GovernanceError(.invalidAPIKey, "Missing API key. Send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY'.")
            }
            guard caller.role >= .teamAdmin else {
                let error = GovernanceError(.permissionDenied, "Your role is not allowed to read route health.")
                governance.audit(caller, action: "routes.read", target: "routes", outcome: "denied", detail: [
                    "request_id": .string(context.requestID), "code": .string(error.code.rawValue),
                ])
                throw error
            }
            // A team admin sees the models its key and team may use; the super admin sees every one.
            let models = routing.snapshot().filter { caller.role == .superAdmin || governance.allowLists(of: caller, include: $0.model) }
            let body = JSONValue.object(["object": "list", "data": .array(models.map(Self.json))])
            return Response.json(bytes: body.serialized(), headers: ["cache-control": "no-store"])
        }
    }

    static func json(_ model: ModelRoutingSnapshot) -> JSONValue {
        .object([
            "model": .string(model.model),
            "strategy": .string(model.strategy.rawValue),
            "requests": JSONValue(model.requests),
            "retries": JSONValue(model.retries),
            "hedges": JSONValue(model.hedges),
            "fallbacks": JSONValue(model.fallbacks),
            "queue_waits": JSONValue(model.queueWaits),
            "queue_timeouts": JSONValue(model.queueTimeouts),
            "routes": .array(model.routes.map { route in
                .object([
                    "provider": .string(route.provider),
                    "model": .string(route.model),
                    "breaker": .string(route.breaker.rawValue),
                    "consecutive_failures": JSONValue(route.consecutiveFailures),
                    "times_opened": JSONValue(route.timesOpened),
                    "in_flight": JSONValue(route.inFlight),
                    "latency_ms": route.latencyMs.flatMap(JSONNumber.init).map(JSONValue.number) ?? .null,
                    "time_to_first_token_ms": route.timeToFirstTokenMs.flatMap(JSONNumber.init).map(JSONValue.number) ?? .null,
                    "attempts": JSONValue(route.attempts),
                    "failures": JSONValue(route.failures),
                ])
            }),
        ])
    }
}
