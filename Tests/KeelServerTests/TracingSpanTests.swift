import KeelCore
import Synchronization
import Testing
@testable import KeelTelemetry

/// Collects exported batches in memory.
final class CollectingExporter: SpanExporter {
    let batches = Mutex<[[Span]]>([])
    let shutDown = Atomic<Bool>(false)

    func export(_ spans: [Span], resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult {
        batches.withLock { $0.append(spans) }
        return .success
    }

    func shutdown() async { shutDown.store(true, ordering: .relaxed) }

    var spans: [Span] { batches.withLock { $0.flatMap { $0 } } }
}

/// An exporter that blocks until released, to fill the tracer's queue.
final class BlockingExporter: SpanExporter {
    let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
    let entered = Atomic<Int>(0)

    func export(_ spans: [Span], resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult {
        entered.wrappingAdd(1, ordering: .relaxed)
        await withCheckedContinuation { continuation in gate.withLock { $0 = continuation } }
        return .success
    }

    func release() {
        gate.withLock { $0.take() }?.resume()
    }

    func shutdown() async {}
}

@Suite struct TracingSpanTests {
    let logger = Logger(label: "test", level: .critical)

    @Test("a request span continues the inbound trace; attempt spans are its children")
    func spanTree() async throws {
        let exporter = CollectingExporter()
        let tracer = Tracer(exporter: exporter, logger: logger)
        let inbound = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "rojo=1"))
        var request = tracer.startSpan("chat gpt-4o-mini", kind: .server, parent: inbound, startTimeUnixNano: 1_000)
        var attempt = request.child("chat gpt-4o-mini", kind: .client, startTimeUnixNano: 1_100)
        #expect(attempt.context.traceparent.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-\(attempt.context.spanID.hex)-01"))
        #expect(attempt.context.tracestate == "rojo=1")
        attempt.recordError(type: "429", message: "rate limited")
        attempt.addEvent("retry", attributes: ["keel.attempt": 1], timeUnixNano: 1_150)
        tracer.end(attempt, at: 1_200)
        request.setAttribute("gen_ai.response.id", "chatcmpl-1")
        tracer.end(request, at: 500)  // before the start: clamped
        await tracer.forceFlush()

        let spans = exporter.spans
        try #require(spans.count == 2)
        let (attemptSpan, requestSpan) = (spans[0], spans[1])
        #expect(requestSpan.traceID == inbound.traceID)
        #expect(requestSpan.parentSpanID == inbound.spanID)
        #expect(requestSpan.parentIsRemote)
        #expect(requestSpan.otlpFlags == 0x301)
        #expect(requestSpan.kind == .server)
        #expect(requestSpan.endTimeUnixNano == 1_000)
        #expect(requestSpan.attributes["gen_ai.response.id"] == .string("chatcmpl-1"))
        #expect(attemptSpan.parentSpanID == requestSpan.spanID)
        #expect(!attemptSpan.parentIsRemote)
        #expect(attemptSpan.otlpFlags == 0x101)
        #expect(attemptSpan.kind == .client)
        #expect(attemptSpan.status == .error("rate limited"))
        #expect(attemptSpan.attributes["error.type"] == .string("429"))
        #expect(attemptSpan.events.map(\.name) == ["retry"])
        #expect(tracer.stats.exported == 2)
        await tracer.shutdown()
        let shutDown = exporter.shutDown.load(ordering: .relaxed)
        #expect(shutDown)
    }

    @Test("sampling is parent-based, and a ratio of 0 records no new trace while still propagating")
    func sampling() async throws {
        let exporter = CollectingExporter()
        let tracer = Tracer(samplingRatio: 0, exporter: exporter, logger: logger)
        let root = tracer.startSpan("chat m", kind: .server)
        #expect(!root.isSampled)
        #expect(root.context.traceparent.hasSuffix("-02"))
        #expect(!tracer.end(root))
        let sampledParent = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        #expect(tracer.end(tracer.startSpan("chat m", kind: .server, parent: sampledParent)))
        let unsampledParent = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        #expect(!tracer.end(tracer.startSpan("chat m", kind: .server, parent: unsampledParent)))
        await tracer.shutdown()
        #expect(exporter.spans.count == 1)

        #expect(TraceIDRatioSampler(ratio: 1).shouldSample(TraceID(high: 0, low: .max)))
        let half = TraceIDRatioSampler(ratio: 0.5)
        #expect(half.shouldSample(TraceID(high: 0, low: 0x3FFF_FFFF_FFFF_FFFF)))
        #expect(!half.shouldSample(TraceID(high: 0, low: 0x4000_0000_0000_0000)))
        let generator = TraceIDGenerator(seed: 7)
        let kept = (0..<10_000).filter { _ in TraceIDRatioSampler(ratio: 0.25).shouldSample(generator.traceID()) }.count
        #expect(kept > 2_000 && kept < 3_000)
    }

    @Test("a full queue drops spans and counts them instead of blocking")
    func boundedQueue() async throws {
        let exporter = BlockingExporter()
        let tracer = Tracer(exporter: exporter, batching: .init(maxQueueSize: 4, maxExportBatchSize: 2, scheduleDelay: .seconds(60)), logger: logger)
        func span() -> SpanBuilder { tracer.startSpan("s", kind: .internal) }
        // The first two fill a batch; the worker takes it and blocks in the exporter.
        tracer.end(span())
        tracer.end(span())
        while exporter.entered.load(ordering: .relaxed) == 0 { await Task.yield() }
        let accepted = (0..<10).filter { _ in tracer.end(span()) }.count
        #expect(accepted == 4)
        #expect(tracer.stats.dropped == 6)
        #expect(tracer.stats.queued == 4)
        // Let every export through while shutting down.
        let releaser = Task { while !Task.isCancelled { exporter.release(); await Task.yield() } }
        await tracer.shutdown()
        releaser.cancel()
        #expect(tracer.stats.exported == 6)
        #expect(!tracer.end(span()))
        #expect(tracer.stats.dropped == 7)
    }

    @Test("the schedule delay exports a partial batch without a flush")
    func scheduleDelay() async throws {
        let exporter = CollectingExporter()
        let tracer = Tracer(exporter: exporter, batching: .init(maxExportBatchSize: 100, scheduleDelay: .milliseconds(20)), logger: logger)
        tracer.end(tracer.startSpan("s", kind: .internal))
        var waited = 0
        while exporter.spans.isEmpty, waited < 500 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        #expect(exporter.spans.count == 1)
        await tracer.shutdown()
    }

    @Test("tracer metrics are exposed for Prometheus")
    func metrics() async {
        let tracer = Tracer(exporter: CollectingExporter(), logger: logger)
        let registry = MetricsRegistry()
        tracer.registerMetrics(in: registry)
        tracer.end(tracer.startSpan("s", kind: .internal))
        await tracer.forceFlush()
        let text = registry.exposition()
        #expect(text.contains("keel_tracing_spans_total{outcome=\"exported\"} 1"))
        #expect(text.contains("keel_tracing_queue_spans 0"))
        await tracer.shutdown()
    }

    @Test("GenAI conventions: names, provider mapping and attribute sets")
    func genAIConventions() {
        #expect(GenAIConventions.spanName(operation: "chat", model: "gpt-4o-mini") == "chat gpt-4o-mini")
        #expect(GenAIConventions.spanName(operation: "embeddings", model: nil) == "embeddings")
        #expect(["openai", "azure", "anthropic", "bedrock", "gemini", "other"].map(GenAIConventions.providerName(forKind:))
            == ["openai", "azure.ai.openai", "anthropic", "aws.bedrock", "gcp.gemini", "other"])

        let values = GenAISpanValues(
            operation: "chat", requestModel: "gpt-4o-mini", providerKind: "azure",
            parameters: GenAIRequestParameters(temperature: 0.2, maxTokens: 100, stopSequences: ["END"], choiceCount: 1),
            responseModel: "gpt-4o-mini-2024-07-18", responseID: "chatcmpl-9", finishReasons: ["stop"],
            usage: GenAIUsage(inputTokens: 10, outputTokens: 20, cacheReadInputTokens: 4),
            serverAddress: "example.openai.azure.com", serverPort: 443
        )
        let request = GenAIConventions.requestAttributes(values, keel: KeelSpanValues(
            requestID: "req-1", team: "search", keyID: "key_1", route: "azure/my-4o", stream: false, cache: "miss",
            guardrailVerdicts: ["input:pii:redact"], costUSD: 0.0012, attempts: 2
        ))
        #expect(request["gen_ai.operation.name"] == "chat")
        #expect(request["gen_ai.provider.name"] == "azure.ai.openai")
        #expect(request["gen_ai.request.model"] == "gpt-4o-mini")
        #expect(request["gen_ai.request.temperature"] == .double(0.2))
        #expect(request["gen_ai.request.max_tokens"] == .int(100))
        #expect(request["gen_ai.request.stop_sequences"] == .stringArray(["END"]))
        #expect(request["gen_ai.request.choice.count"] == nil)  // n=1 is not recorded
        #expect(request["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18")
        #expect(request["gen_ai.response.id"] == "chatcmpl-9")
        #expect(request["gen_ai.response.finish_reasons"] == .stringArray(["stop"]))
        #expect(request["gen_ai.usage.input_tokens"] == .int(10))
        #expect(request["gen_ai.usage.output_tokens"] == .int(20))
        #expect(request["gen_ai.usage.cache_read.input_tokens"] == .int(4))
        #expect(request["server.address"] == "example.openai.azure.com")
        #expect(request["server.port"] == .int(443))
        #expect(request["error.type"] == nil)
        #expect(request["keel.team"] == "search")
        #expect(request["keel.key_id"] == "key_1")
        #expect(request["keel.cache"] == "miss")
        #expect(request["keel.guardrail.verdicts"] == .stringArray(["input:pii:redact"]))
        #expect(request["keel.cost_usd"] == .double(0.0012))
        #expect(request["keel.stream"] == .bool(false))

        var failed = values
        failed.errorType = "timeout"
        let attempt = GenAIConventions.attemptAttributes(failed, attempt: KeelAttemptValues(number: 2, route: "openai/gpt-4o-mini", isFallback: true, httpStatus: 504))
        #expect(attempt["error.type"] == "timeout")
        #expect(attempt["keel.attempt"] == .int(2))
        #expect(attempt["keel.fallback"] == .bool(true))
        #expect(attempt["http.response.status_code"] == .int(504))
        #expect(attempt["keel.team"] == nil)
    }

    @Test("content is captured only when enabled, redacted, and cut at a character boundary")
    func contentCapture() {
        #expect(ContentCapture.off.attributes(inputMessages: "[]", outputMessages: "[]").isEmpty)
        let capture = ContentCapture(enabled: true, redact: { $0.replacingOccurrences(of: "alice@example.com", with: "<EMAIL>") }, maxBytes: 40)
        let attributes = capture.attributes(
            inputMessages: #"[{"role":"user","content":"mail alice@example.com"}]"#,
            outputMessages: #"[{"role":"assistant","content":"ok"}]"#
        )
        guard case .string(let input)? = attributes["gen_ai.input.messages"] else {
            Issue.record("no input messages")
            return
        }
        #expect(!input.contains("alice@example.com"))
        #expect(input.utf8.count <= 40)
        #expect(attributes["gen_ai.output.messages"] == .string(#"[{"role":"assistant","content":"ok"}]"#))
        #expect(attributes["keel.content_truncated"] == .bool(true))
        let multibyte = ContentCapture(enabled: true, maxBytes: 4).attributes(inputMessages: "ééé", outputMessages: nil)
        #expect(multibyte["gen_ai.input.messages"] == .string("éé"))
        let split = ContentCapture(enabled: true, maxBytes: 3).attributes(inputMessages: "ééé", outputMessages: nil)
        #expect(split["gen_ai.input.messages"] == .string("é"))
    }

    @Test("attributes keep insertion order and replace in place")
    func attributeOrder() {
        var attributes: SpanAttributes = ["a": 1, "b": "x"]
        attributes["a"] = 2
        attributes["c"] = true
        attributes["b"] = nil
        #expect(attributes.entries.map(\.key) == ["a", "c"])
        #expect(attributes["a"] == .int(2))
        attributes.set("d", nil as String?)
        attributes.set("e", [] as [String])
        #expect(attributes.count == 2)
    }
}
