import KeelConfig

/// One route's health and load at a moment, for metrics and the admin API.
public struct RouteSnapshot: Sendable, Equatable {
    /// The route's provider.
    public var provider: String
    /// The model name sent upstream.
    public var model: String
    /// The circuit breaker's state.
    public var breaker: BreakerState
    /// Consecutive failures counted while closed.
    public var consecutiveFailures: Int
    /// How many times the breaker has opened since start.
    public var timesOpened: Int
    /// Attempts in flight.
    public var inFlight: Int
    /// Average latency of successful attempts, in milliseconds.
    public var latencyMs: Double?
    /// Average time to first token of successful streamed attempts, in milliseconds.
    public var timeToFirstTokenMs: Double?
    /// Attempts started on this route since start.
    public var attempts: Int
    /// Attempts on this route that failed (retryable failures: they count against its health).
    public var failures: Int
}

/// One model's routing state and counters since start; every counter only grows.
public struct ModelRoutingSnapshot: Sendable, Equatable {
    /// The model's name.
    public var model: String
    /// Its strategy.
    public var strategy: RoutingStrategy
    /// Its routes, in configuration order.
    public var routes: [RouteSnapshot]
    /// Requests that started on this model (as the requested model or as a fallback).
    public var requests: Int
    /// Attempts after the first of a request on this model (the first attempt is not a retry).
    public var retries: Int
    /// Hedged attempts started.
    public var hedges: Int
    /// Requests that moved on from this model to one of its fallbacks.
    public var fallbacks: Int
    /// Times a request waited for a route to come back from cooling down.
    public var queueWaits: Int
    /// Requests that failed because every route was cooling down for longer than `queue_timeout_ms`.
    public var queueTimeouts: Int
}
