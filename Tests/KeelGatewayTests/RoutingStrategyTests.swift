import KeelConfig
import Testing
@testable import KeelGateway
import KeelTestSupport

@Suite("Routing: strategies")
struct RoutingStrategyTests {
    func counts(_ strategy: RoutingStrategy, _ candidates: [RouteCandidate], runs: Int = 10_000, seed: UInt64 = 42) -> [Int: Int] {
        var rng = SeededGenerator(seed: seed)
        var counts: [Int: Int] = [:]
        for _ in 0..<runs { counts[RouteSelection.choose(strategy, candidates, using: &rng)!, default: 0] += 1 }
        return counts
    }

    @Test func weightedFollowsTheWeights() {
        let c = counts(.weighted, [RouteCandidate(index: 0, weight: 3), RouteCandidate(index: 1, weight: 1), RouteCandidate(index: 2, weight: 0)])
        #expect(c[2] == nil)
        #expect((7200...7800).contains(c[0] ?? 0))
        #expect((2200...2800).contains(c[1] ?? 0))
    }

    @Test func aZeroWeightRouteServesOnlyWhenItIsAlone() {
        let c = counts(.weighted, [RouteCandidate(index: 4, weight: 0), RouteCandidate(index: 5, weight: 0)], runs: 1000)
        #expect(Set(c.keys) == [4, 5])
        var rng = SeededGenerator(seed: 1)
        #expect(RouteSelection.choose(.weighted, [RouteCandidate(index: 9, weight: 0)], using: &rng) == 9)
        #expect(RouteSelection.choose(.weighted, [], using: &rng) == nil)
    }

    @Test func leastBusyTakesTheFewestInFlight() {
        let c = counts(.leastBusy, [RouteCandidate(index: 0, inFlight: 4), RouteCandidate(index: 1, inFlight: 1), RouteCandidate(index: 2, inFlight: 1)], runs: 1000)
        #expect(c[0] == nil)
        #expect((c[1] ?? 0) > 300 && (c[2] ?? 0) > 300)
    }

    @Test func latencyMeasuresEveryRouteFirst() {
        let c = counts(.latency, [RouteCandidate(index: 0, score: 5), RouteCandidate(index: 1, score: nil)], runs: 100)
        #expect(c == [1: 100])
    }

    @Test func latencyUsesThePowerOfTwoChoices() {
        // With two candidates both are always compared: the faster wins every time.
        #expect(counts(.latency, [RouteCandidate(index: 0, score: 80), RouteCandidate(index: 1, score: 20)], runs: 500) == [1: 500])
        // Load counts: 20 ms with 4 in flight (100) loses to 80 ms idle.
        #expect(counts(.latency, [RouteCandidate(index: 0, score: 80), RouteCandidate(index: 1, inFlight: 4, score: 20)], runs: 500) == [0: 500])
        // With three, the slowest is only chosen when drawn twice — never, since draws are distinct.
        let three = counts(.latency, [RouteCandidate(index: 0, score: 10), RouteCandidate(index: 1, score: 20), RouteCandidate(index: 2, score: 30)], runs: 3000)
        #expect(three[2] == nil)
        #expect((1800...2200).contains(three[0] ?? 0))
        #expect((800...1200).contains(three[1] ?? 0))
    }

    @Test func costTakesTheCheapestKnownPrice() {
        #expect(counts(.cost, [RouteCandidate(index: 0, price: 10), RouteCandidate(index: 1, price: 2.5), RouteCandidate(index: 2, price: nil)], runs: 200) == [1: 200])
        #expect(RouteSelection.price(ModelPricing(inputPerMillion: 1, outputPerMillion: 4)) == 5)
        #expect(RouteSelection.price(ModelPricing(outputPerMillion: 4)) == 4)
        #expect(RouteSelection.price(ModelPricing(cachedInputPerMillion: 1)) == nil)
        #expect(RouteSelection.price(nil) == nil)
    }
}

@Suite("Routing: per-model state")
struct RoutingModelRouterTests {
    static func model(_ routes: Int, strategy: RoutingStrategy = .weighted, pricing: [ModelPricing?] = []) -> ModelConfig {
        ModelConfig(name: "m", routes: (0..<routes).map { i in
            RouteConfig(provider: "p\(i)", model: "m\(i)", pricing: i < pricing.count ? pricing[i] : nil)
        }, strategy: strategy)
    }

    @Test func aRetryPrefersARouteNotTriedYet() {
        let router = ModelRouter(model: Self.model(2), clock: RoutingTestClock())
        for _ in 0..<50 {
            guard case .route(let first) = router.begin(stream: false) else { Issue.record("no route"); return }
            router.finish(first, .success, latency: .milliseconds(5))
            #expect(router.begin(stream: false, avoiding: [first]) == .route(1 - first))
            router.finish(1 - first, .success, latency: .milliseconds(5))
        }
        // Once every route was tried, a tried one is used again.
        #expect(router.begin(stream: false, avoiding: [0, 1]) != .none)
        #expect(router.begin(stream: false, excluding: [0, 1]) == .none)
    }

    @Test func aCoolingRouteIsSkippedAndWhenAllCoolTheRequestIsToldWhenTheFirstReturns() {
        let clock = RoutingTestClock()
        let router = ModelRouter(model: Self.model(2), clock: clock, policy: BreakerPolicy(failureThreshold: 1, baseCooldown: .seconds(2)))
        #expect(router.begin(stream: false, excluding: [1]) == .route(0))
        router.finish(0, .failure(retryAfter: .seconds(5), rateLimited: true), latency: .milliseconds(1))
        for _ in 0..<20 {
            #expect(router.begin(stream: false) == .route(1))
            router.finish(1, .success, latency: .milliseconds(1))
        }
        #expect(router.begin(stream: false) == .route(1))
        router.finish(1, .failure(retryAfter: nil, rateLimited: false), latency: .milliseconds(1))
        #expect(router.begin(stream: false) == .wait(until: clock.now.advanced(by: .seconds(2)), rateLimited: false))
        clock.advance(by: .seconds(2))
        // Route 1 is half-open: one probe; route 0 still cools.
        #expect(router.begin(stream: false) == .route(1))
        // While the probe runs, the request is told to look again at once (the probe may close it).
        #expect(router.begin(stream: false) == .wait(until: clock.now, rateLimited: false))
        router.finish(1, .success, latency: .milliseconds(1))
        #expect(router.begin(stream: false) == .route(1))
        let snapshot = router.snapshot()
        #expect(snapshot.routes.map(\.breaker) == [.open, .closed])
        #expect(snapshot.routes.map(\.timesOpened) == [1, 1])
        #expect(snapshot.routes[1].inFlight == 1)
    }

    @Test func aSingleRouteIsNeverTakenOut() {
        let router = ModelRouter(model: Self.model(1), clock: RoutingTestClock(), policy: BreakerPolicy(failureThreshold: 1))
        #expect(router.begin(stream: false) == .route(0))
        router.finish(0, .failure(retryAfter: .seconds(60), rateLimited: true), latency: .zero)
        #expect(!router.enforcesBreakers)
        #expect(router.begin(stream: false) == .route(0))
        #expect(router.snapshot().routes[0].breaker == .open)
    }

    @Test func theLatencyStrategyLearnsWhichRouteIsFasterAndRetriesStaleOnes() {
        let clock = RoutingTestClock()
        let router = ModelRouter(model: Self.model(2, strategy: .latency), clock: clock, staleAfter: .seconds(30))
        // Both unmeasured: each is measured once.
        var measured: Set<Int> = []
        for _ in 0..<2 {
            guard case .route(let r) = router.begin(stream: true) else { return }
            measured.insert(r)
            router.finish(r, .success, latency: .milliseconds(r == 0 ? 400 : 50), firstToken: .milliseconds(r == 0 ? 300 : 20))
        }
        #expect(measured == [0, 1])
        for _ in 0..<20 {
            #expect(router.begin(stream: true) == .route(1))
            router.finish(1, .success, latency: .milliseconds(50), firstToken: .milliseconds(20))
        }
        let snapshot = router.snapshot()
        #expect(snapshot.routes[0].timeToFirstTokenMs == 300)
        #expect(abs((snapshot.routes[1].latencyMs ?? 0) - 50) < 0.001)
        // Route 0's sample goes stale; it is measured again.
        clock.advance(by: .seconds(20))
        #expect(router.begin(stream: true) == .route(1))
        router.finish(1, .success, latency: .milliseconds(50), firstToken: .milliseconds(20))
        clock.advance(by: .seconds(11))
        #expect(router.begin(stream: true) == .route(0))
        router.finish(0, .success, latency: .milliseconds(60), firstToken: .milliseconds(30))
        #expect(router.snapshot().routes.map(\.inFlight) == [0, 0])
    }

    @Test func theCostStrategyUsesRoutePricesBeforeTheModels() {
        var model = Self.model(3, strategy: .cost, pricing: [ModelPricing(inputPerMillion: 5, outputPerMillion: 15), nil, ModelPricing(inputPerMillion: 0.1, outputPerMillion: 0.4)])
        model.pricing = ModelPricing(inputPerMillion: 1, outputPerMillion: 2)
        let router = ModelRouter(model: model, clock: RoutingTestClock())
        #expect(router.begin(stream: false) == .route(2))
        #expect(router.begin(stream: false, excluding: [2]) == .route(1))
    }

    @Test func countersOnlyGrow() {
        let router = ModelRouter(model: Self.model(2), clock: RoutingTestClock())
        router.count(.request)
        router.count(.retry)
        router.count(.retry)
        router.count(.hedge)
        router.count(.fallback)
        router.count(.queueWait)
        router.count(.queueTimeout)
        let s = router.snapshot()
        #expect((s.requests, s.retries, s.hedges, s.fallbacks, s.queueWaits, s.queueTimeouts) == (1, 2, 1, 1, 1, 1))
        #expect(s.model == "m" && s.strategy == .weighted && s.routes.map(\.provider) == ["p0", "p1"])
    }
}
