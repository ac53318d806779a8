/// What a route has shown recently: requests in flight and exponentially weighted moving averages
/// of its latency and time to first token. A pure value; the time of each sample is passed in.
public struct RouteLoad<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// The weight of a new sample in the averages.
    public static var smoothing: Double { 0.3 }

    /// Attempts on this route that have started and not finished.
    public internal(set) var inFlight = 0
    /// Average whole-attempt latency of successful attempts, in milliseconds; nil before the first.
    public private(set) var latencyMs: Double?
    /// Average time to first token of successful streamed attempts, in milliseconds.
    public private(set) var timeToFirstTokenMs: Double?
    /// When the last sample was taken.
    public private(set) var lastSample: Instant?

    public init() {}

    /// Adds a successful attempt's timings.
    public mutating func observe(latency: Duration, firstToken: Duration?, at now: Instant) {
        latencyMs = Self.blend(latencyMs, Backoff.milliseconds(latency))
        if let firstToken { timeToFirstTokenMs = Self.blend(timeToFirstTokenMs, Backoff.milliseconds(firstToken)) }
        lastSample = now
    }

    /// Adds a failed attempt: its latency counts at least double the current average, so a route
    /// that fails slowly looks slow to the `latency` strategy.
    public mutating func observeFailure(latency: Duration, at now: Instant) {
        let observed = Backoff.milliseconds(latency)
        latencyMs = Self.blend(latencyMs, max(observed, (latencyMs ?? observed) * 2))
        lastSample = now
    }

    /// The `latency` strategy's score (lower is better): time to first token for streams (latency
    /// when there is no such sample yet), latency otherwise; nil when there is no sample, or the last
    /// one is older than `staleAfter` (so a route that was slow once is tried again).
    public func score(stream: Bool, at now: Instant, staleAfter: Duration) -> Double? {
        guard let lastSample, lastSample.duration(to: now) < staleAfter else { return nil }
        return stream ? (timeToFirstTokenMs ?? latencyMs) : latencyMs
    }

    private static func blend(_ average: Double?, _ sample: Double) -> Double {
        guard let average else { return sample }
        return average + smoothing * (sample - average)
    }
}
