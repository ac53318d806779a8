/// Sends batches of finished spans somewhere (an OTLP endpoint, a test's memory).
///
/// ``Tracer`` calls ``export(_:resource:scope:)`` from its background task, one batch at a time,
/// never concurrently; the request path never waits for it.
public protocol SpanExporter: Sendable {
    /// Exports one batch; retries (if any) happen inside. Returns once the batch is delivered or
    /// given up on.
    func export(_ spans: [Span], resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult

    /// Releases the exporter's resources; called once, after the last export.
    func shutdown() async
}

/// The outcome of one export.
public enum SpanExportResult: Sendable, Hashable {
    /// The receiver accepted the batch.
    case success
    /// The batch was dropped, with the reason (never contains credentials).
    case failure(String)
}
