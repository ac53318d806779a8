// Micro-benchmark: what ending a traced request's spans costs on the request path.
//
//   swift build -c release --product keel-span-bench
//   .build/release/keel-span-bench [--runs 7] [--millis 200]
//
// A chat request's SERVER span and its answering attempt's CLIENT span, with the attributes the
// gateway records (GenAI conventions, request parameters, usage on the attempt, `keel.*`), are ended through a
// `Tracer` whose exporter takes spans encoded as OTLP protobuf and discards them: each `end`
// encodes the span and queues its bytes, as a traced request does. The median ns per request
// (both spans) over several runs is printed, with the spans exported and dropped (a drop means
// the discarding exporter fell behind; the span was still encoded).

import KeelBenchSupport
import KeelCore
import KeelTelemetry

/// Takes encoded batches and drops them.
struct DiscardingExporter: SpanExporter {
    var exportsEncodedSpans: Bool { true }
    func export(_ spans: [Span], resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult { .success }
    func export(encoded spans: EncodedSpans, resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult { .success }
    func shutdown() async {}
}

@main
struct SpanBench {
    static func main() async {
        guard let (runs, millis) = timingArguments(program: "keel-span-bench", runs: 7, millis: 200.0) else { return }
        let tracer = Tracer(
            resource: TelemetryResource(serviceName: "keel-bench"), exporter: DiscardingExporter(),
            batching: .init(maxQueueSize: 1 << 16, maxExportBatchSize: 512, scheduleDelay: .milliseconds(5)),
            logger: Logger(label: "span-bench", level: .error)
        )
        let perRequest = medianNanoseconds(runs: runs, millis: millis) { endRequest(tracer) }
        await tracer.forceFlush()
        let stats = tracer.stats
        print("runs=\(runs), ~\(Int(millis)) ms per run; median over runs")
        print("end SERVER + CLIENT span (encode + queue): \(Int(perRequest.rounded())) ns per request")
        print("spans exported \(stats.exported), dropped \(stats.dropped)")
        await tracer.shutdown()
    }

    static let parameters = GenAIRequestParameters(temperature: 0.2, maxTokens: 128)

    /// Starts and ends the two spans of one chat request, attributed as the gateway does.
    static func endRequest(_ tracer: Tracer) {
        var request = tracer.startSpan("chat", kind: .server)
        var attempt = request.child("chat gpt-4o-mini", kind: .client)
        let usage = GenAIUsage(inputTokens: 42, outputTokens: 38)
        var attemptValues = GenAISpanValues(
            operation: "chat", requestModel: "gpt-4o-mini", providerKind: "openai", parameters: parameters,
            serverAddress: "127.0.0.1", serverPort: 47667
        )
        attemptValues.responseModel = "gpt-4o-mini-2024-07-18"
        attemptValues.responseID = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"
        attemptValues.finishReasons = ["stop"]
        attemptValues.usage = usage
        attempt.conventions = GenAISpanAttributes(values: attemptValues, attempt: KeelAttemptValues(number: 1, route: "upstream/gpt-4o-mini", httpStatus: 200))
        tracer.end(attempt)
        let values = GenAISpanValues(
            operation: "chat", requestModel: "gpt-4o-mini", providerKind: "openai", parameters: parameters,
            responseModel: "gpt-4o-mini-2024-07-18", responseID: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
            finishReasons: ["stop"]
        )
        let keel = KeelSpanValues(
            requestID: "req_01JDXKQ7Y3M4N5P6Q7R8S9T0UV", route: "upstream/gpt-4o-mini", inboundAPI: "openai.chat_completions",
            stream: false, cache: "bypass", costUSD: 0.0000291, attempts: 1
        )
        request.name = "chat gpt-4o-mini"
        request.conventions = GenAISpanAttributes(values: values, keel: keel)
        tracer.end(request)
    }
}
