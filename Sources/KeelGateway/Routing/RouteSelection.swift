import KeelConfig

/// A route that may take the next attempt, as the strategies see it.
public struct RouteCandidate: Sendable, Equatable {
    /// The route's position in the model's `routes`.
    public var index: Int
    /// `weight`.
    public var weight: Int
    /// Attempts in flight.
    public var inFlight: Int
    /// The `latency` score (lower is better); nil when unmeasured.
    public var score: Double?
    /// The `cost` price (lower is better); nil when unknown.
    public var price: Double?

    public init(index: Int, weight: Int = 1, inFlight: Int = 0, score: Double? = nil, price: Double? = nil) {
        self.index = index
        self.weight = weight
        self.inFlight = inFlight
        self.score = score
        self.price = price
    }
}

/// The routing strategies, as pure functions of the candidates and a random number generator.
public enum RouteSelection {
    /// The index (a ``RouteCandidate/index``) of the route that takes the attempt; nil for no candidates.
    ///
    /// - `weighted`: at random in proportion to `weight`; routes of weight 0 only when every candidate has weight 0.
    /// - `least-busy`: the fewest attempts in flight; ties by weight.
    /// - `latency`: an unmeasured route first (so every route gets measured); otherwise the power
    ///   of two choices: two distinct candidates at random, the lower `score × (inFlight + 1)` wins.
    /// - `cost`: the lowest price (unknown prices last); ties by weight.
    public static func choose(_ strategy: RoutingStrategy, _ candidates: [RouteCandidate], using rng: inout some RandomNumberGenerator) -> Int? {
        guard !candidates.isEmpty else { return nil }
        if candidates.count == 1 { return candidates[0].index }
        switch strategy {
        case .weighted:
            return weighted(candidates, using: &rng)
        case .leastBusy:
            let fewest = candidates.map(\.inFlight).min()!
            return weighted(candidates.filter { $0.inFlight == fewest }, using: &rng)
        case .latency:
            let unmeasured = candidates.filter { $0.score == nil }
            if !unmeasured.isEmpty { return weighted(unmeasured, using: &rng) }
            let first = Int.random(in: 0..<candidates.count, using: &rng)
            var second = Int.random(in: 0..<(candidates.count - 1), using: &rng)
            if second >= first { second += 1 }
            let a = candidates[first], b = candidates[second]
            return load(a) <= load(b) ? a.index : b.index
        case .cost:
            let cheapest = candidates.map { $0.price ?? .infinity }.min()!
            return weighted(candidates.filter { ($0.price ?? .infinity) == cheapest }, using: &rng)
        }
    }

    /// A weighted random choice; uniform when no candidate has a positive weight.
    static func weighted(_ candidates: [RouteCandidate], using rng: inout some RandomNumberGenerator) -> Int {
        let total = candidates.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return candidates[Int.random(in: 0..<candidates.count, using: &rng)].index }
        var pick = Int.random(in: 0..<total, using: &rng)
        for c in candidates where c.weight > 0 {
            if pick < c.weight { return c.index }
            pick -= c.weight
        }
        return candidates[0].index
    }

    private static func load(_ c: RouteCandidate) -> Double {
        (c.score ?? 0) * Double(c.inFlight + 1)
    }

    /// A route's price for the `cost` strategy: input plus output dollars per million tokens
    /// (an unknown half counts as 0 when the other is known); nil when neither is known.
    public static func price(_ pricing: ModelPricing?) -> Double? {
        guard let pricing, pricing.inputPerMillion != nil || pricing.outputPerMillion != nil else { return nil }
        return (pricing.inputPerMillion ?? 0) + (pricing.outputPerMillion ?? 0)
    }
}
