import KeelConfig

/// Every configured model's ``ModelRouter``, by model name. Built once at start and shared by
/// every request; ``snapshot()`` is the read-only view for metrics and the admin API.
public final class RoutingTable: Sendable {
    /// The routers, by model name.
    public let routers: [String: ModelRouter<ContinuousClock>]
    /// The backoff between retries of the same route.
    public let backoff: Backoff

    /// Routing state for `models`, with fresh breakers (each model's `breaker:` settings, or
    /// `policy` for every model when given) and no measurements.
    public init(models: [ModelConfig], policy: BreakerPolicy? = nil, backoff: Backoff = Backoff()) {
        var routers: [String: ModelRouter<ContinuousClock>] = [:]
        for model in models {
            let breaker = policy ?? BreakerPolicy(failureThreshold: model.breaker.failures, baseCooldown: model.breaker.cooldown, maxCooldown: model.breaker.maxCooldown)
            routers[model.name] = ModelRouter(model: model, clock: ContinuousClock(), policy: breaker)
        }
        self.routers = routers
        self.backoff = backoff
    }

    /// The router of `model`, or nil when no such model is configured.
    public subscript(model: String) -> ModelRouter<ContinuousClock>? { routers[model] }

    /// Every model's routing state and counters, sorted by model name.
    public func snapshot() -> [ModelRoutingSnapshot] {
        routers.keys.sorted().map { routers[$0]!.snapshot() }
    }
}
