import KeelConfig
import KeelCore
import KeelHTTP
import KeelTelemetry

/// Where one attempt goes: a route of a configured model, its provider and the attempt's timeout.
struct RouteTarget: Sendable {
    /// The configured model the route belongs to (the requested one, or a fallback).
    let model: ModelConfig
    /// The route's position in `model.routes`.
    let index: Int
    let route: RouteConfig
    let provider: ProviderConfig
    /// The whole attempt's deadline: `x-keel-timeout-ms` (capped), else the route's, else the provider's.
    let timeout: Duration?
    /// The attempt span's context when the request is traced: what the upstream request carries
    /// as `traceparent`, so the upstream's own spans join the attempt span.
    var trace: TraceContext?

    /// `provider/model`, as `x-keel-route` and the request log show it.
    var name: String { "\(provider.name)/\(route.model)" }

    /// The HTTP client timeouts of a non-streamed attempt (or the head of a streamed one).
    var timeouts: HTTPClientTimeouts {
        var t = HTTPClientTimeouts()
        t.total = timeout
        return t
    }
}

/// What one successful attempt produced, and when its first token arrived (streams).
struct Attempted<Value: Sendable>: Sendable {
    var value: Value
    var firstTokenAt: ContinuousClock.Instant?
    /// What a whole chat answer says about itself (for its spans).
    var response: ResponseSummary?
}

/// How a request is to be attempted.
struct AttemptPlan: Sendable {
    /// The model the client asked for.
    var model: String
    /// Whether the answer is streamed (the `latency` strategy then ranks by time to first token).
    var stream: Bool
    /// The client's `x-keel-timeout-ms`, when it sent one.
    var timeoutOverride: Duration?
    /// Whether `fallbacks`, `context_window_fallbacks` and `content_policy_fallbacks` apply.
    var useFallbacks = true
    /// Routes of the requested model that cannot serve this kind of request.
    var unsuitableRoutes: @Sendable (ModelConfig) -> Set<Int> = { _ in [] }
}

extension Gateway {
    /// The attempt loop shared by chat, embeddings and count_tokens: picks routes by the model's
    /// strategy, retries retryable failures (preferring another route, with backoff before a route
    /// is tried again, honouring `retry-after`), hedges when `hedge_after_ms` is set, waits for a
    /// cooling route within `queue_timeout_ms`, and moves on to the fallback models.
    ///
    /// Every attempt is recorded in `trail`. Throws the last ``AttemptFailure`` (or
    /// ``ModelNotFound``, or `CancellationError` when the client leaves).
    func runAttempts<Value: Sendable>(
        _ plan: AttemptPlan,
        trail: AttemptTrail,
        _ operation: @escaping @Sendable (RouteTarget) async throws -> Attempted<Value>
    ) async throws -> (result: Attempted<Value>, target: RouteTarget) {
        guard let primary = routing[plan.model] else { throw ModelNotFound(model: plan.model) }
        var waitBudget = primary.model.effectiveQueueTimeout
        var queue = [plan.model]
        var visited: Set<String> = []
        var last: AttemptFailure?
        var position = 0
        while position < queue.count {
            let name = queue[position]
            position += 1
            guard visited.insert(name).inserted, let router = routing[name] else { continue }
            router.count(.request)
            do {
                let unsuitable = plan.unsuitableRoutes(router.model)
                return try await attemptModel(router, plan, unsuitable: unsuitable, waitBudget: &waitBudget, trail: trail, operation)
            } catch let failure as AttemptFailure {
                last = failure
                guard plan.useFallbacks, !failure.cancelled, name == plan.model else { continue }
                let next: [String] = switch failure.fallbackReason {
                case .contextWindow: router.model.contextWindowFallbacks
                case .contentPolicy: router.model.contentPolicyFallbacks
                case nil: failure.retryable ? router.model.fallbacks : []
                }
                if !next.isEmpty { router.count(.fallback) }
                queue += next
            }
        }
        throw last ?? AttemptFailure(error: Self.noRoute(plan.model), retryable: false)
    }

    /// Attempts one model: its first attempt and up to `retries` more.
    private func attemptModel<Value: Sendable>(
        _ router: ModelRouter<ContinuousClock>,
        _ plan: AttemptPlan,
        unsuitable: Set<Int>,
        waitBudget: inout Duration,
        trail: AttemptTrail,
        _ operation: @escaping @Sendable (RouteTarget) async throws -> Attempted<Value>
    ) async throws -> (result: Attempted<Value>, target: RouteTarget) {
        let model = router.model
        var attemptsLeft = 1 + model.retries
        var failed: [Int: AttemptFailure] = [:]
        var blocked = unsuitable
        var sameRouteRetries = 0
        var last: AttemptFailure?
        var rng = SystemRandomNumberGenerator()
        while attemptsLeft > 0 {
            switch router.begin(stream: plan.stream, avoiding: Set(failed.keys), excluding: blocked) {
            case .none:
                throw last ?? AttemptFailure(error: Self.noRoute(model.name), retryable: false)
            case .wait(let until, let rateLimited):
                // Every route is cooling down: wait for the first to come back, within the budget.
                let wait = max(until - router.clock.now, .milliseconds(5))
                guard wait <= waitBudget else {
                    router.count(.queueTimeout)
                    throw last ?? Self.coolingDown(model.name, rateLimited: rateLimited, retryAfter: wait)
                }
                router.count(.queueWait)
                waitBudget -= wait
                try await Task.sleep(for: wait)
            case .route(let index):
                if attemptsLeft <= model.retries { router.count(.retry) }
                if let previous = failed[index] {
                    // The same route again: back off (at least as long as it asked), within the budget.
                    sameRouteRetries += 1
                    let delay = routing.backoff.delay(retry: sameRouteRetries, retryAfter: previous.retryAfter, using: &rng)
                    guard delay <= waitBudget else {
                        router.finish(index, .abandoned, latency: .zero)
                        throw previous
                    }
                    waitBudget -= delay
                    do {
                        try await Task.sleep(for: delay)
                    } catch {
                        router.finish(index, .abandoned, latency: .zero)
                        throw error
                    }
                }
                attemptsLeft -= 1
                let outcome = await attemptPossiblyHedged(router, index, plan, blocked: blocked, mayHedge: attemptsLeft > 0, trail: trail, operation)
                switch outcome {
                case .answered(let result, let target):
                    return (result, target)
                case .failed(let failures, let hedged):
                    if hedged != nil { attemptsLeft -= 1 }
                    for (route, failure) in failures {
                        failed[route] = failure
                        if failure.timedOut { blocked.insert(route) }
                        last = failure
                    }
                    if let failure = failures.last?.1 {
                        if failure.cancelled { throw CancellationError() }
                        if !failure.retryable { throw failure }
                    }
                }
            }
        }
        throw last ?? AttemptFailure(error: Self.noRoute(model.name), retryable: false)
    }

    private enum HedgeOutcome<Value: Sendable> {
        case answered(Attempted<Value>, RouteTarget)
        /// Every attempt started failed, in the order they ended; `hedged` is the hedge's route.
        case failed([(Int, AttemptFailure)], hedged: Int?)
    }

    private enum HedgeEvent<Value: Sendable>: Sendable {
        case timer
        case ended(route: Int, Result<(Attempted<Value>, RouteTarget), AttemptFailure>)
    }

    /// Runs the attempt on `index`; when the model hedges and the attempt has not answered within
    /// `hedge_after_ms`, starts a second one on another route. The first answer wins and the other
    /// attempt is cancelled.
    private func attemptPossiblyHedged<Value: Sendable>(
        _ router: ModelRouter<ContinuousClock>,
        _ index: Int,
        _ plan: AttemptPlan,
        blocked: Set<Int>,
        mayHedge: Bool,
        trail: AttemptTrail,
        _ operation: @escaping @Sendable (RouteTarget) async throws -> Attempted<Value>
    ) async -> HedgeOutcome<Value> {
        guard mayHedge, let hedgeAfter = router.model.hedgeAfter, router.hasAlternative(to: index, excluding: blocked) else {
            switch await attemptOnce(router, index, plan, trail: trail, operation) {
            case .success(let (result, target)): return .answered(result, target)
            case .failure(let failure): return .failed([(index, failure)], hedged: nil)
            }
        }
        return await withTaskGroup(of: HedgeEvent<Value>.self) { group in
            group.addTask { [self] in .ended(route: index, await attemptOnce(router, index, plan, trail: trail, operation)) }
            group.addTask {
                try? await Task.sleep(for: hedgeAfter)
                return .timer
            }
            var running = 1
            var hedged: Int?
            var failures: [(Int, AttemptFailure)] = []
            while let event = await group.next() {
                switch event {
                case .timer:
                    guard running > 0, hedged == nil, !Task.isCancelled,
                          case .route(let second) = router.begin(stream: plan.stream, avoiding: [index], excluding: blocked.union([index]))
                    else { continue }
                    router.count(.hedge)
                    hedged = second
                    running += 1
                    group.addTask { [self] in .ended(route: second, await attemptOnce(router, second, plan, trail: trail, operation)) }
                case .ended(_, .success(let (result, target))):
                    group.cancelAll()
                    return .answered(result, target)
                case .ended(let route, .failure(let failure)):
                    running -= 1
                    failures.append((route, failure))
                    if running == 0 {
                        group.cancelAll()
                        return .failed(failures, hedged: hedged)
                    }
                }
            }
            return .failed(failures, hedged: hedged)
        }
    }

    /// One attempt on route `index` (already admitted by the router), reported to the router and the trail.
    private func attemptOnce<Value: Sendable>(
        _ router: ModelRouter<ContinuousClock>,
        _ index: Int,
        _ plan: AttemptPlan,
        trail: AttemptTrail,
        _ operation: @escaping @Sendable (RouteTarget) async throws -> Attempted<Value>
    ) async -> Result<(Attempted<Value>, RouteTarget), AttemptFailure> {
        let model = router.model
        let route = model.routes[index]
        let began = ContinuousClock.now
        guard let provider = providers[route.provider] else {
            router.finish(index, .abandoned, latency: .zero)
            return .failure(AttemptFailure(error: GatewayError(.upstreamUnavailable, status: 500, message: "Route provider '\(route.provider)' is not configured.", type: "server_error"), retryable: false))
        }
        var timeout = route.timeout ?? provider.timeout
        if let requested = plan.timeoutOverride { timeout = min(requested, model.effectiveMaxTimeout) }
        var target = RouteTarget(model: model, index: index, route: route, provider: provider, timeout: timeout)
        let span = trail.startAttemptSpan(target)
        target.trace = span?.context
        do {
            let result = try await operation(target)
            let now = ContinuousClock.now
            router.finish(index, .success, latency: now - began, firstToken: result.firstTokenAt.map { $0 - began })
            trail.record(target, began: began, status: 200, error: nil)
            trail.endAttemptSpan(consume span, failure: nil, cancelled: false)
            return .success((result, target))
        } catch let error as GatewayError where error.kind == .invalidRequest {
            // Refused before anything was sent (the request cannot be expressed for this provider):
            // not an attempt, and another route or a later try would refuse it too.
            router.finish(index, .abandoned, latency: .zero)
            var failure = AttemptFailure(error: error, retryable: false)
            failure.refusedOn = (provider.name, route.model)
            return .failure(failure)
        } catch {
            let failure: AttemptFailure = switch error {
            case let f as AttemptFailure: f
            case let e as HTTPClientError: .transport(e, provider: provider.name)
            case is CancellationError: .cancelled(provider: provider.name)
            case let e as GatewayError: AttemptFailure(error: e, retryable: false)
            default: AttemptFailure(error: GatewayError(.upstreamProtocol, status: 502, message: "The attempt on '\(provider.name)' failed.", type: "upstream_error"), retryable: false)
            }
            let outcome: ModelRouter<ContinuousClock>.Outcome
            if failure.cancelled || Task.isCancelled {
                outcome = .abandoned
            } else if failure.retryable {
                outcome = .failure(retryAfter: failure.retryAfter, rateLimited: failure.upstreamStatus == 429)
            } else if failure.upstreamStatus != nil {
                outcome = .success
            } else {
                outcome = .abandoned
            }
            router.finish(index, outcome, latency: ContinuousClock.now - began)
            let cancelled = failure.cancelled || Task.isCancelled
            trail.record(target, began: began, status: cancelled ? 499 : failure.loggedStatus, error: cancelled ? "cancelled: another attempt answered first, or the client left" : failure.error.message)
            trail.endAttemptSpan(consume span, failure: failure, cancelled: cancelled)
            if cancelled, !failure.cancelled { return .failure(.cancelled(provider: provider.name)) }
            return .failure(failure)
        }
    }

    static func noRoute(_ model: String) -> GatewayError {
        GatewayError(.upstreamUnavailable, status: 503, message: "No route of the model '\(model)' can serve this request.", type: "server_error", code: "no_route_available")
    }

    /// Every route of `model` is cooling down for longer than the request may wait.
    static func coolingDown(_ model: String, rateLimited: Bool, retryAfter: Duration) -> AttemptFailure {
        let seconds = max(1, Int((Backoff.milliseconds(retryAfter) / 1000).rounded(.up)))
        let error = GatewayError(
            .upstreamUnavailable, status: rateLimited ? 429 : 503,
            message: "Every route of the model '\(model)' is cooling down after failures; try again in \(seconds)s.",
            type: rateLimited ? "rate_limit_error" : "server_error", code: "routes_cooling_down",
            headers: ["retry-after": String(seconds)]
        )
        return AttemptFailure(error: error, retryable: true)
    }
}
