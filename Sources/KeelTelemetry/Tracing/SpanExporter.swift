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

    /// Whether the exporter takes spans already encoded as OTLP protobuf (see
    /// ``export(encoded:resource:scope:)``): the processor then encodes each span when it ends
    /// and keeps only bytes. Default false.
    var exportsEncodedSpans: Bool { get }

    /// Exports one batch of spans encoded by the processor. Called only when
    /// ``exportsEncodedSpans`` is true.
    func export(encoded spans: EncodedSpans, resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult
}

extension SpanExporter {
    public var exportsEncodedSpans: Bool { false }

    public func export(encoded spans: EncodedSpans, resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult {
        .failure("this exporter does not take encoded spans")
    }
}

/// Spans encoded as OTLP protobuf: the concatenated `ScopeSpans.spans` fields (tag, length and
/// `Span` message each), ready to be placed in an `ExportTraceServiceRequest`.
public struct EncodedSpans: Sendable, Equatable {
    /// The encoded fields.
    public var bytes: [UInt8]
    /// How many spans they hold.
    public var count: Int
}

/// The outcome of one export.
public enum SpanExportResult: Sendable, Hashable {
    /// The receiver accepted the batch.
    case success
    /// The batch was dropped, with the reason (never contains credentials).
    case failure(String)
}
