import Foundation

/// Exponential backoff with jitter between retries of the same route.
///
/// The ceiling for retry `n` (1-based) is `base × multiplier^(n-1)`, at most `cap`; the delay is
/// drawn uniformly from the upper half of it ("equal jitter"), so concurrent requests spread out
/// while every retry still waits at least half the ceiling. An upstream's `retry-after` raises the
/// delay (``delay(retry:retryAfter:using:)``), never lowers it.
public struct Backoff: Sendable, Equatable {
    /// The ceiling of the first retry. Default 50 ms.
    public var base: Duration
    /// How much each further retry's ceiling grows. Default 2.
    public var multiplier: Double
    /// The largest ceiling. Default 2 s.
    public var cap: Duration

    /// A backoff; the defaults are documented on each property.
    public init(base: Duration = .milliseconds(50), multiplier: Double = 2, cap: Duration = .seconds(2)) {
        self.base = base
        self.multiplier = multiplier
        self.cap = cap
    }

    /// The ceiling of retry number `retry` (1 for the first retry).
    public func ceiling(retry: Int) -> Duration {
        let exponent = Double(max(0, retry - 1))
        let factor = Foundation.pow(multiplier, exponent)
        let ms = min(Self.milliseconds(base) * factor, Self.milliseconds(cap))
        return .milliseconds(ms.isFinite ? ms : Self.milliseconds(cap))
    }

    /// The delay before retry number `retry`: jittered backoff, or `retryAfter` when that is longer.
    public func delay(retry: Int, retryAfter: Duration? = nil, using rng: inout some RandomNumberGenerator) -> Duration {
        let ceiling = Self.milliseconds(ceiling(retry: retry))
        let jittered = Duration.milliseconds(ceiling / 2 + Double.random(in: 0...1, using: &rng) * ceiling / 2)
        guard let retryAfter else { return jittered }
        return max(jittered, retryAfter)
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
