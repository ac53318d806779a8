import KeelConfig
import Synchronization

/// The routing state of one configured model, shared by every request for it: each route's circuit
/// breaker, load and latency averages, and counters. Requests ask it for a route (``begin(stream:avoiding:excluding:)``)
/// and report how the attempt went (``finish(_:_:latency:firstToken:)``).
///
/// State lives behind a `Mutex` held only for those short synchronous calls, never across an
/// `await`. Time comes from `clock`, so tests drive it with a manual clock.
///
/// A model with a single route never takes that route out of rotation: there is nothing to route
/// around, so its upstream's own answer (with its `retry-after`) is what the client should see.
/// Its health is still tracked and reported.
public final class ModelRouter<C: Clock>: Sendable where C.Duration == Duration {
    /// What ``begin(stream:avoiding:excluding:)`` decided.
    public enum Pick: Sendable, Equatable {
        /// An attempt on this route was admitted; report its end with ``finish(_:_:latency:firstToken:)``.
        case route(Int)
        /// Every eligible route is cooling down; the first comes back at `until`.
        /// `rateLimited` when that route was taken out by a 429.
        case wait(until: C.Instant, rateLimited: Bool)
        /// No eligible route at all (every one excluded).
        case none
    }

    /// How an attempt ended, for the route's health.
    public enum Outcome: Sendable, Equatable {
        /// The route answered (an error that is the client's fault counts as an answer).
        case success
        /// A retryable failure; `retryAfter` as the upstream asked, `rateLimited` for a 429.
        case failure(retryAfter: Duration?, rateLimited: Bool)
        /// Ended without a verdict: cancelled (a hedge that lost, a client that left).
        case abandoned
    }

    /// The counters a request bumps.
    public enum Event: Sendable {
        case request, retry, hedge, fallback, queueWait, queueTimeout
    }

    private struct State: Sendable {
        var health: [RouteHealth<C.Instant>]
        var load: [RouteLoad<C.Instant>]
        var rateLimited: [Bool]
        var attempts: [Int]
        var failures: [Int]
        var requests = 0
        var retries = 0
        var hedges = 0
        var fallbacks = 0
        var queueWaits = 0
        var queueTimeouts = 0
    }

    /// The model this state is for.
    public let model: ModelConfig
    /// How long a latency sample stays meaningful to the `latency` strategy.
    public let staleAfter: Duration
    let clock: C
    private let prices: [Double?]
    private let state: Mutex<State>

    /// Fresh state for `model`: every breaker closed, nothing measured.
    public init(model: ModelConfig, clock: C, policy: BreakerPolicy = BreakerPolicy(), staleAfter: Duration = .seconds(30)) {
        self.model = model
        self.clock = clock
        self.staleAfter = staleAfter
        prices = model.routes.map { RouteSelection.price($0.pricing ?? model.pricing) }
        let n = model.routes.count
        state = Mutex(State(
            health: Array(repeating: RouteHealth(policy: policy), count: n),
            load: Array(repeating: RouteLoad(), count: n),
            rateLimited: Array(repeating: false, count: n),
            attempts: Array(repeating: 0, count: n),
            failures: Array(repeating: 0, count: n)
        ))
    }

    /// Whether breakers take routes out of rotation (more than one route).
    public var enforcesBreakers: Bool { model.routes.count > 1 }

    /// Chooses a route by the model's strategy and admits an attempt on it.
    ///
    /// Routes in `excluding` are never chosen; routes in `avoiding` (already tried by this request)
    /// only when no other route is available, so a retry prefers a different route.
    public func begin(stream: Bool, avoiding tried: Set<Int> = [], excluding blocked: Set<Int> = []) -> Pick {
        let now = clock.now
        var rng = SystemRandomNumberGenerator()
        return state.withLock { s in
            let eligible = model.routes.indices.filter { !blocked.contains($0) }
            guard !eligible.isEmpty else { return .none }
            let enforce = enforcesBreakers
            let available = eligible.filter { !enforce || s.health[$0].isAvailable(at: now) }
            guard !available.isEmpty else {
                let next = eligible.min { (s.health[$0].reopensAt ?? now) < (s.health[$1].reopensAt ?? now) }!
                return .wait(until: s.health[next].reopensAt ?? now, rateLimited: s.rateLimited[next])
            }
            let fresh = available.filter { !tried.contains($0) }
            let pool = fresh.isEmpty ? available : fresh
            let candidates = pool.map { i in
                RouteCandidate(index: i, weight: model.routes[i].weight, inFlight: s.load[i].inFlight,
                               score: s.load[i].score(stream: stream, at: now, staleAfter: staleAfter), price: prices[i])
            }
            let chosen = RouteSelection.choose(model.strategy, candidates, using: &rng) ?? pool[0]
            _ = s.health[chosen].admit(at: now)
            s.load[chosen].inFlight += 1
            s.attempts[chosen] += 1
            return .route(chosen)
        }
    }

    /// Reports the end of an attempt admitted by ``begin(stream:avoiding:excluding:)``.
    public func finish(_ route: Int, _ outcome: Outcome, latency: Duration, firstToken: Duration? = nil) {
        let now = clock.now
        state.withLock { s in
            s.load[route].inFlight -= 1
            switch outcome {
            case .success:
                s.health[route].recordSuccess()
                s.load[route].observe(latency: latency, firstToken: firstToken, at: now)
            case .failure(let retryAfter, let rateLimited):
                s.failures[route] += 1
                if s.health[route].recordFailure(at: now, retryAfter: retryAfter, rateLimited: rateLimited) {
                    s.rateLimited[route] = rateLimited
                }
                s.load[route].observeFailure(latency: latency, at: now)
            case .abandoned:
                s.health[route].recordAbandoned()
            }
        }
    }

    /// Counts a request-level event.
    public func count(_ event: Event) {
        state.withLock { s in
            switch event {
            case .request: s.requests += 1
            case .retry: s.retries += 1
            case .hedge: s.hedges += 1
            case .fallback: s.fallbacks += 1
            case .queueWait: s.queueWaits += 1
            case .queueTimeout: s.queueTimeouts += 1
            }
        }
    }

    /// Whether another route than `route` could take a hedge now.
    public func hasAlternative(to route: Int, excluding blocked: Set<Int> = []) -> Bool {
        let now = clock.now
        return state.withLock { s in
            model.routes.indices.contains { $0 != route && !blocked.contains($0) && s.health[$0].isAvailable(at: now) }
        }
    }

    /// The current state and counters.
    public func snapshot() -> ModelRoutingSnapshot {
        let now = clock.now
        return state.withLock { s in
            ModelRoutingSnapshot(
                model: model.name, strategy: model.strategy,
                routes: model.routes.indices.map { i in
                    RouteSnapshot(
                        provider: model.routes[i].provider, model: model.routes[i].model,
                        breaker: s.health[i].state(at: now), consecutiveFailures: s.health[i].consecutiveFailures,
                        timesOpened: s.health[i].timesOpened, inFlight: s.load[i].inFlight,
                        latencyMs: s.load[i].latencyMs, timeToFirstTokenMs: s.load[i].timeToFirstTokenMs,
                        attempts: s.attempts[i], failures: s.failures[i]
                    )
                },
                requests: s.requests, retries: s.retries, hedges: s.hedges, fallbacks: s.fallbacks,
                queueWaits: s.queueWaits, queueTimeouts: s.queueTimeouts
            )
        }
    }
}
