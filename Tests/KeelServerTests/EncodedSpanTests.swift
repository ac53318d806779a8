import KeelCore
import Synchronization
import Testing
@testable import KeelTelemetry

/// Collects batches of spans the processor encoded as they ended (what the `http/protobuf`
/// exporter is given).
final class CollectingEncodedExporter: SpanExporter {
    let batches = Mutex<[EncodedSpans]>([])

    var exportsEncodedSpans: Bool { true }

    func export(_ spans: [Span], resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult {
        .failure("spans were not encoded")
    }

    func export(encoded spans: EncodedSpans, resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult {
        batches.withLock { $0.append(spans) }
        return .success
    }

    func shutdown() async {}
}

/// Spans encoded when they end: the same bytes as encoding the finished `Span` values, batched
/// as configured.
@Suite struct EncodedSpanTests {
    let logger = Logger(label: "test", level: .critical)

    @Test("spans encoded one by one make the request body of the whole batch, byte for byte")
    func encodedBatchMatchesTheFixture() throws {
        var writer = ProtobufWriter(capacity: 64)
        for span in OTLPFixtureSpans.spans { OTLPProtobufEncoder.writeSpanField(span, into: &writer) }
        let encoded = EncodedSpans(bytes: writer.bytes, count: OTLPFixtureSpans.spans.count)
        let body = OTLPProtobufEncoder.encode(encoded, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope)
        #expect(body == (try #require(hexBytes(OTLPFixtures.protobufHex))))
        #expect(body == OTLPProtobufEncoder.encode(OTLPFixtureSpans.spans, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope))
    }

    /// A span with convention values and explicit attributes, one of them on a convention key.
    static func builder() -> SpanBuilder {
        let context = TraceContext(traceID: TraceID(hex: "0af7651916cd43dd8448eb211c80319c")!, spanID: SpanID(hex: "b7ad6b7169203331")!, flags: .sampled)
        var span = SpanBuilder("chat gpt-4o-mini", kind: .client, context: context, parent: nil, startTimeUnixNano: 1_000)
        span.conventions = GenAISpanAttributes(
            values: GenAISpanValues(
                operation: "chat", requestModel: "gpt-4o-mini", providerKind: "azure",
                parameters: GenAIRequestParameters(temperature: 0.2, maxTokens: 64, stopSequences: ["END"]),
                responseID: "chatcmpl-1", finishReasons: ["stop"], usage: GenAIUsage(inputTokens: 3, outputTokens: 5),
                serverAddress: "example.openai.azure.com", serverPort: 443
            ),
            attempt: KeelAttemptValues(number: 2, route: "azure/gpt-4o-mini", isFallback: true, httpStatus: 200)
        )
        span.attributes["keel.note"] = "explicit"
        span.recordError(type: "timeout", message: "slow")
        span.attributes["gen_ai.response.id"] = "chatcmpl-replaced"
        return span
    }

    @Test("a span's convention values come first and an explicit attribute replaces its key")
    func conventionsAndExplicitAttributes() {
        let span = Self.builder().end(at: 2_000)
        let keys = span.attributes.map(\.key)
        #expect(keys.first == "gen_ai.operation.name")
        #expect(keys.filter { $0 == "gen_ai.response.id" }.count == 1)
        #expect(span.attributes["gen_ai.response.id"] == "chatcmpl-replaced")
        #expect(span.attributes["gen_ai.provider.name"] == "azure.ai.openai")
        #expect(span.attributes["keel.attempt"] == 2 && span.attributes["keel.fallback"] == true)
        #expect(span.attributes["http.response.status_code"] == 200)
        #expect(span.attributes["error.type"] == "timeout" && span.attributes["keel.note"] == "explicit")
        #expect(span.attributes.count == keys.count && Set(keys).count == keys.count)
    }

    @Test("encoding a span as it ends decodes to the same attributes as the finished span")
    func encodedBuilderMatchesItsSpan() throws {
        let builder = Self.builder()
        var fromBuilder = ProtobufWriter(capacity: 64)
        OTLPProtobufEncoder.writeSpanField(builder, end: 2_000, into: &fromBuilder)
        // Same attribute set; the order differs only for the replaced key (explicit ones come last).
        let finished = builder.end(at: 2_000)
        var reordered = finished
        reordered.attributes = SpanAttributes()
        for (key, value) in finished.attributes where builder.attributes[key] == nil { reordered.attributes.append(key, value) }
        reordered.attributes.appendAll(builder.attributes)
        var fromSpan = ProtobufWriter(capacity: 64)
        OTLPProtobufEncoder.writeSpanField(reordered, into: &fromSpan)
        #expect(fromBuilder.bytes == fromSpan.bytes)
    }

    @Test("the tracer queues encoded spans and exports them in batches of the configured size")
    func tracerBatchesEncodedSpans() async throws {
        let exporter = CollectingEncodedExporter()
        let tracer = Tracer(
            exporter: exporter, batching: BatchSpanProcessor.Configuration(maxQueueSize: 10, maxExportBatchSize: 4, scheduleDelay: .seconds(60)),
            logger: logger
        )
        var spans: [Span] = []
        for i in 0..<7 {
            let span = tracer.startSpan("op \(i)", kind: .internal, startTimeUnixNano: UInt64(i + 1))
            spans.append(span.end(at: UInt64(i + 10)))
            #expect(tracer.end(span, at: UInt64(i + 10)))
        }
        await tracer.forceFlush()
        let batches = exporter.batches.withLock { $0 }
        #expect(batches.map(\.count) == [4, 3])
        var expected = ProtobufWriter(capacity: 64)
        for span in spans { OTLPProtobufEncoder.writeSpanField(span, into: &expected) }
        #expect(batches.flatMap(\.bytes) == expected.bytes)
        #expect(tracer.stats == TracerStats(enqueued: 7, dropped: 0, exported: 7, failed: 0, queued: 0))
        await tracer.shutdown()
    }

    @Test("an exported batch's buffer is reused for a later batch, and a copy kept elsewhere is never written")
    func batchBuffersAreRecycled() throws {
        func field(_ i: Int) -> [UInt8] {
            var writer = ProtobufWriter(capacity: 64)
            OTLPProtobufEncoder.writeSpanField(Span(traceID: TraceID(high: 1, low: UInt64(i + 1)), spanID: SpanID(UInt64(i + 1)), name: "span \(i)", kind: .internal, startTimeUnixNano: 1, endTimeUnixNano: 2), into: &writer)
            return writer.bytes
        }
        var queue = PendingSpans(encoded: true, batchSize: 2)
        func fill(_ range: Range<Int>) -> EncodedSpans? {
            for i in range { field(i).withUnsafeBytes { queue.append(encoded: $0) } }
            guard case .encoded(let batch) = queue.takeBatch(all: false) else { return nil }
            return batch
        }
        var first = try #require(fill(0..<2))
        #expect(first.bytes == field(0) + field(1))
        let firstAddress = first.bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        first.bytes.removeAll(keepingCapacity: true)
        queue.recycle(&first.bytes)
        #expect(first.bytes.isEmpty && first.bytes.capacity == 0)

        var second = try #require(fill(2..<4))
        #expect(second.bytes == field(2) + field(3))
        #expect(second.bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == firstAddress)

        // An exporter that kept the batch keeps its bytes: the queue writes a buffer of its own.
        let kept = second.bytes
        second.bytes.removeAll(keepingCapacity: true)
        queue.recycle(&second.bytes)
        let third = try #require(fill(4..<6))
        #expect(kept == field(2) + field(3))
        #expect(third.bytes == field(4) + field(5))
        #expect(queue.count == 0)
    }

    @Test("a full queue of encoded spans drops and counts new ones")
    func fullQueueDrops() async throws {
        let processor = BatchSpanProcessor(
            exporter: CollectingEncodedExporter(), resource: TelemetryResource(), scope: .keel,
            configuration: BatchSpanProcessor.Configuration(maxQueueSize: 3, maxExportBatchSize: 8, scheduleDelay: .seconds(60))
        )
        let tracer = Tracer(exporter: CollectingEncodedExporter(), logger: logger)
        let accepted = (0..<5).map { _ in processor.enqueue(tracer.startSpan("x", kind: .internal), end: 5) }
        #expect(accepted == [true, true, true, false, false])
        #expect(processor.stats.queued == 3 && processor.stats.dropped == 2)
        await processor.shutdown()
        #expect(processor.stats.exported == 3 && processor.stats.queued == 0)
        await tracer.shutdown()
    }
}
