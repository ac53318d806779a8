/// Keeps a fixed fraction of new traces, decided from the trace id alone, so every service that
/// uses the same ratio keeps the same traces.
///
/// The decision compares the trace id's low 63 bits (the random part) with `ratio × 2^63`, as
/// OpenTelemetry SDKs' `TraceIdRatioBased` sampler does. Requests that continue an inbound trace
/// follow the caller's sampled flag instead (``Tracer`` is parent-based).
public struct TraceIDRatioSampler: Sendable, Hashable {
    /// The fraction of traces kept, clamped to 0…1.
    public let ratio: Double
    private let threshold: UInt64

    /// A sampler keeping `ratio` (clamped to 0…1) of traces.
    public init(ratio: Double) {
        let clamped = ratio.isNaN ? 0 : min(max(ratio, 0), 1)
        self.ratio = clamped
        if clamped >= 1 {
            threshold = UInt64.max
        } else {
            threshold = UInt64(clamped * 9_223_372_036_854_775_808.0)
        }
    }

    /// Whether a new trace with this id is recorded.
    public func shouldSample(_ traceID: TraceID) -> Bool {
        if threshold == UInt64.max { return true }
        return (traceID.low & 0x7FFF_FFFF_FFFF_FFFF) < threshold
    }
}
