import KeelCore
import Synchronization

/// Starts spans, decides which traces are recorded, and hands finished spans to an exporter
/// without blocking the caller.
///
/// Sampling is parent-based: a request continuing an inbound `traceparent` follows the caller's
/// sampled flag; a new trace is kept with probability ``samplingRatio`` (decided from the trace
/// id, see ``TraceIDRatioSampler``). Spans of unsampled traces are never exported, but their
/// context is still propagated (with the sampled flag clear) so downstream services agree.
///
/// Finished spans go through a ``BatchSpanProcessor``: a bounded queue (drops are counted in
/// ``stats``) drained by a background task. Call ``shutdown()`` before exit to export what is
/// queued.
///
/// ```swift
/// let tracer = Tracer(resource: TelemetryResource(serviceName: "keel"), exporter: otlp, logger: logger)
/// var span = tracer.startSpan("chat gpt-4o-mini", kind: .server, parent: TraceContext(traceparent: header))
/// // … handle the request …
/// tracer.end(span)
/// ```
public final class Tracer: Sendable {
    /// The resource exported with every span.
    public let resource: TelemetryResource
    /// The instrumentation scope exported with every span.
    public let scope: InstrumentationScope
    /// The sampler for new traces.
    public let sampler: TraceIDRatioSampler
    private let processor: BatchSpanProcessor
    private let generator: TraceIDGenerator

    /// The fraction of new traces recorded.
    public var samplingRatio: Double { sampler.ratio }

    /// Creates a tracer and starts its export task.
    ///
    /// - Parameters:
    ///   - resource: `service.name` and other resource attributes.
    ///   - scope: The instrumentation scope. Default `keel`.
    ///   - samplingRatio: The fraction of new traces recorded, 0…1. Default 1 (every trace).
    ///   - exporter: Where batches go.
    ///   - batching: Queue size, batch size and schedule delay.
    ///   - generator: Id source. Default the process-wide generator.
    ///   - logger: Export failures are logged here once per outage (not once per batch), with the
    ///     recovery logged when exports succeed again.
    public init(
        resource: TelemetryResource = TelemetryResource(),
        scope: InstrumentationScope = .keel,
        samplingRatio: Double = 1,
        exporter: any SpanExporter,
        batching: BatchSpanProcessor.Configuration = BatchSpanProcessor.Configuration(),
        generator: TraceIDGenerator = .shared,
        logger: Logger
    ) {
        self.resource = resource
        self.scope = scope
        self.sampler = TraceIDRatioSampler(ratio: samplingRatio)
        self.generator = generator
        let failing = Atomic<Bool>(false)
        processor = BatchSpanProcessor(exporter: exporter, resource: resource, scope: scope, configuration: batching) { count, result in
            switch result {
            case .success:
                if failing.exchange(false, ordering: .relaxed) {
                    logger.info("trace export recovered")
                }
            case .failure(let reason):
                if !failing.exchange(true, ordering: .relaxed) {
                    logger.warning("trace export failed; spans are dropped until the receiver is back", ["reason": reason, "spans": String(count)])
                }
            }
        }
    }

    /// Starts a span: a child of `parent` when given (an inbound `traceparent`, or a local span's
    /// context), otherwise the root of a new trace.
    ///
    /// - Parameters:
    ///   - name: The span name (for GenAI spans, ``GenAIConventions/spanName(operation:model:)``).
    ///   - kind: SERVER for the request Keel serves, CLIENT for upstream attempts.
    ///   - parent: The parent context; nil starts a new trace.
    ///   - attributes: Initial attributes.
    ///   - startTimeUnixNano: The start time; now by default.
    public func startSpan(
        _ name: String,
        kind: SpanKind,
        parent: TraceContext? = nil,
        attributes: SpanAttributes = SpanAttributes(),
        startTimeUnixNano: UInt64 = UnixNanos.now()
    ) -> SpanBuilder {
        let context: TraceContext
        if let parent, parent.traceID.isValid {
            context = TraceContext(
                traceID: parent.traceID, spanID: generator.spanID(), flags: parent.flags,
                traceState: parent.traceState, isRemote: false
            )
        } else {
            let traceID = generator.traceID()
            let flags: TraceFlags = sampler.shouldSample(traceID) ? [.sampled, .random] : [.random]
            context = TraceContext(traceID: traceID, spanID: generator.spanID(), flags: flags)
        }
        return SpanBuilder(
            name, kind: kind, context: context, parent: parent?.traceID.isValid == true ? parent : nil,
            attributes: attributes, startTimeUnixNano: startTimeUnixNano
        )
    }

    /// Ends `span` now (or at `timeUnixNano`) and queues it for export if its trace is sampled.
    /// Never blocks; returns whether the span was queued.
    @discardableResult
    public func end(_ span: borrowing SpanBuilder, at timeUnixNano: UInt64 = UnixNanos.now()) -> Bool {
        guard span.isSampled else { return false }
        return processor.enqueue(span, end: timeUnixNano)
    }

    /// Queues a finished span for export (regardless of sampling: the caller decided). Never blocks.
    @discardableResult
    public func record(_ span: Span) -> Bool {
        processor.enqueue(span)
    }

    /// Returns once every span queued before the call has been exported or given up on.
    public func forceFlush() async {
        await processor.forceFlush()
    }

    /// Exports what is queued (for at most `timeout`), then stops the export task and the
    /// exporter. Idempotent.
    public func shutdown(timeout: Duration = .seconds(5)) async {
        await processor.shutdown(timeout: timeout)
    }

    /// The span pipeline's counters.
    public var stats: TracerStats { processor.stats }

    /// Registers `keel_tracing_spans_total{outcome="exported|dropped|failed"}` and
    /// `keel_tracing_queue_spans` in `registry`, read from ``stats`` at each scrape.
    public func registerMetrics(in registry: MetricsRegistry) {
        registry.callbackCounter("keel_tracing_spans_total", help: "Finished spans by outcome: exported, dropped (queue full) or failed (export gave up).", labelNames: ["outcome"]) { [weak self] in
            guard let stats = self?.stats else { return [] }
            return [
                MetricSample(labelValues: ["dropped"], value: Double(stats.dropped)),
                MetricSample(labelValues: ["exported"], value: Double(stats.exported)),
                MetricSample(labelValues: ["failed"], value: Double(stats.failed)),
            ]
        }
        registry.callbackGauge("keel_tracing_queue_spans", help: "Finished spans waiting to be exported.") { [weak self] in
            self.map { Double($0.stats.queued) }
        }
    }
}
