/// When a route's circuit breaker opens and for how long.
public struct BreakerPolicy: Sendable, Equatable {
    /// Consecutive failures that open the breaker. Default 3. A 429 opens it at once.
    public var failureThreshold: Int
    /// How long the breaker stays open the first time, when the upstream said nothing
    /// (`retry-after`). Default 1 s.
    public var baseCooldown: Duration
    /// Each further opening without a success in between doubles the cooldown, up to this. Default 60 s.
    public var maxCooldown: Duration

    /// A policy; the defaults are documented on each property.
    public init(failureThreshold: Int = 3, baseCooldown: Duration = .seconds(1), maxCooldown: Duration = .seconds(60)) {
        self.failureThreshold = max(1, failureThreshold)
        self.baseCooldown = baseCooldown
        self.maxCooldown = maxCooldown
    }

    /// The cooldown of the `opening`-th consecutive opening (1 for the first).
    public func cooldown(opening: Int) -> Duration {
        var d = baseCooldown
        for _ in 1..<max(1, opening) {
            d = d * 2
            if d >= maxCooldown { return maxCooldown }
        }
        return min(d, maxCooldown)
    }
}

/// The three states of a circuit breaker, as reported in snapshots.
public enum BreakerState: String, Sendable, Equatable, CustomStringConvertible {
    /// Traffic flows.
    case closed
    /// The route is cooling down: no traffic until its cooldown ends.
    case open
    /// The cooldown is over: one probe request may go; its outcome closes or reopens the breaker.
    case halfOpen = "half_open"

    public var description: String { rawValue }
}

/// A route's circuit breaker: a pure state machine, driven by attempt outcomes and the time passed
/// in by the caller (so tests use a manual clock).
///
/// - **closed**: every attempt may go. `failureThreshold` consecutive failures, or one 429, open it.
/// - **open** until a deadline: the upstream's `retry-after` when it sent one, otherwise the
///   policy's cooldown (doubling with each opening in a row). No attempt may go.
/// - **half-open** once the deadline has passed: the first attempt admitted is the probe; others
///   wait while it runs. A probe that succeeds closes the breaker (and resets the doubling); one that
///   fails opens it again; one abandoned (cancelled) lets another attempt probe.
public struct RouteHealth<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    private enum State: Sendable {
        case closed(failures: Int)
        case open(until: Instant)
        case halfOpen(probing: Bool)
    }

    private var state: State = .closed(failures: 0)
    /// Openings since the last success (drives the cooldown's doubling).
    private var openings = 0
    /// How many times the breaker has opened in all.
    public private(set) var timesOpened = 0
    public let policy: BreakerPolicy

    /// A closed breaker.
    public init(policy: BreakerPolicy = BreakerPolicy()) {
        self.policy = policy
    }

    /// The state at `now` (an open breaker whose deadline has passed reads as half-open).
    public func state(at now: Instant) -> BreakerState {
        switch state {
        case .closed: .closed
        case .open(let until): now >= until ? .halfOpen : .open
        case .halfOpen: .halfOpen
        }
    }

    /// Whether an attempt could be admitted at `now`.
    public func isAvailable(at now: Instant) -> Bool {
        switch state {
        case .closed: true
        case .open(let until): now >= until
        case .halfOpen(let probing): !probing
        }
    }

    /// When an open breaker lets a probe through; nil when it is not open.
    public var reopensAt: Instant? {
        if case .open(let until) = state { return until }
        return nil
    }

    /// Consecutive failures counted while closed.
    public var consecutiveFailures: Int {
        if case .closed(let failures) = state { return failures }
        return 0
    }

    /// Admits an attempt at `now`; false when the breaker does not allow one. The first attempt
    /// after a cooldown becomes the probe.
    public mutating func admit(at now: Instant) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen(probing: true)
            return true
        case .halfOpen(let probing):
            guard !probing else { return false }
            state = .halfOpen(probing: true)
            return true
        }
    }

    /// The route answered: the breaker closes.
    public mutating func recordSuccess() {
        state = .closed(failures: 0)
        openings = 0
    }

    /// The route failed at `now`. A 429 (`rateLimited`) opens the breaker at once, others after
    /// `failureThreshold` in a row; a failed probe reopens it. Returns true when it opened.
    @discardableResult
    public mutating func recordFailure(at now: Instant, retryAfter: Duration? = nil, rateLimited: Bool = false) -> Bool {
        switch state {
        case .closed(let failures):
            let count = failures + 1
            if rateLimited || count >= policy.failureThreshold {
                open(at: now, retryAfter: retryAfter)
                return true
            }
            state = .closed(failures: count)
            return false
        case .halfOpen:
            open(at: now, retryAfter: retryAfter)
            return true
        case .open(let until):
            // An attempt admitted before the breaker opened failed too; a longer retry-after extends it.
            if let retryAfter, now.advanced(by: retryAfter) > until { state = .open(until: now.advanced(by: retryAfter)) }
            return false
        }
    }

    /// An admitted attempt ended without a verdict (cancelled, or the client's own error): a probe
    /// in flight is released so another attempt may probe.
    public mutating func recordAbandoned() {
        if case .halfOpen(true) = state { state = .halfOpen(probing: false) }
    }

    private mutating func open(at now: Instant, retryAfter: Duration?) {
        openings += 1
        timesOpened += 1
        state = .open(until: now.advanced(by: retryAfter ?? policy.cooldown(opening: openings)))
    }
}
