import Foundation
import KeelCore
import KeelHTTP
import Testing
@testable import KeelTelemetry

/// Exports to the Python receiver of tests/otlp (which decodes with the official
/// opentelemetry-proto package) and checks what it decoded. Runs from `tests/otlp/run.sh`, which
/// starts the receiver and sets `KEEL_OTLP_RECEIVER_URL` and `KEEL_OTLP_RECEIVED_FILE`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["KEEL_OTLP_RECEIVER_URL"] != nil, "run through tests/otlp/run.sh"))
struct OTLPReceiverTests {
    @Test("both encodings decode with opentelemetry-proto, with the right ids and attributes")
    func officialDecoder() async throws {
        let environment = ProcessInfo.processInfo.environment
        let url = try #require(environment["KEEL_OTLP_RECEIVER_URL"])
        let file = try #require(environment["KEEL_OTLP_RECEIVED_FILE"])
        let client = HTTPClient()
        defer { client.shutdown() }
        var expected: [(encoding: OTLPHTTPExporter.Encoding, trace: String, request: String, attempt: String)] = []
        for encoding in OTLPHTTPExporter.Encoding.allCases {
            let exporter = OTLPHTTPExporter(
                configuration: .init(tracesURL: OTLPHTTPExporter.Configuration.tracesURL(forBaseEndpoint: url), encoding: encoding, initialBackoff: .milliseconds(10)),
                client: client
            )
            let tracer = Tracer(
                resource: TelemetryResource(serviceName: "keel-otlp-test", attributes: ["deployment.environment.name": "ci"]),
                exporter: exporter, logger: Logger(label: "test", level: .critical)
            )
            let inbound = try #require(TraceContext(traceparent: "00-\(TraceID.random().hex)-00f067aa0ba902b7-01", tracestate: "vendor=abc"))
            var request = tracer.startSpan("chat gpt-4o-mini", kind: .server, parent: inbound)
            var attempt = request.child("chat gpt-4o-mini-2024-07-18", kind: .client)
            var values = GenAISpanValues(
                operation: "chat", requestModel: "gpt-4o-mini-2024-07-18", providerKind: "anthropic",
                parameters: GenAIRequestParameters(temperature: 0.5, maxTokens: 64, stopSequences: ["END"]),
                responseModel: "gpt-4o-mini-2024-07-18", responseID: "msg_1", finishReasons: ["stop"],
                usage: GenAIUsage(inputTokens: 11, outputTokens: 7), serverAddress: "api.anthropic.com", serverPort: 443
            )
            attempt.attributes.merge(GenAIConventions.attemptAttributes(values, attempt: KeelAttemptValues(number: 1, route: "anthropic/claude", httpStatus: 200)))
            tracer.end(attempt)
            values.requestModel = "gpt-4o-mini"
            request.attributes.merge(GenAIConventions.requestAttributes(values, keel: KeelSpanValues(team: "search", guardrailVerdicts: ["input:pii:redact"], costUSD: 0.25)))
            request.addEvent("gen_ai.evaluation.result", attributes: ["gen_ai.evaluation.name": "user_feedback", "gen_ai.evaluation.score.value": 1.0])
            tracer.end(request)
            await tracer.shutdown()
            #expect(tracer.stats.exported == 2, "\(encoding): \(tracer.stats)")
            expected.append((encoding, inbound.traceID.hex, request.context.spanID.hex, attempt.context.spanID.hex))
        }

        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONValue(parsing: String($0)) }
        for (encoding, trace, requestID, attemptID) in expected {
            let spans = records.filter { $0["trace_id"]?.stringValue == trace }
            try #require(spans.count == 2, "\(encoding): \(spans.count) spans received")
            let request = try #require(spans.first { $0["span_id"]?.stringValue == requestID })
            let attempt = try #require(spans.first { $0["span_id"]?.stringValue == attemptID })
            #expect(request["content_type"]?.stringValue == encoding.contentType)
            #expect(request["resource"]?["service.name"]?.stringValue == "keel-otlp-test")
            #expect(request["resource"]?["deployment.environment.name"]?.stringValue == "ci")
            #expect(request["scope"]?["name"]?.stringValue == "keel")
            #expect(request["name"]?.stringValue == "chat gpt-4o-mini")
            #expect(request["kind"]?.intValue == 2)
            #expect(request["parent_span_id"]?.stringValue == "00f067aa0ba902b7")
            #expect(request["trace_state"]?.stringValue == "vendor=abc")
            #expect(request["flags"]?.intValue == 0x301)
            let attributes = try #require(request["attributes"])
            #expect(attributes["gen_ai.operation.name"]?.stringValue == "chat")
            #expect(attributes["gen_ai.provider.name"]?.stringValue == "anthropic")
            #expect(attributes["gen_ai.request.model"]?.stringValue == "gpt-4o-mini")
            #expect(attributes["gen_ai.request.temperature"]?.doubleValue == 0.5)
            #expect(attributes["gen_ai.request.max_tokens"]?.intValue == 64)
            #expect(attributes["gen_ai.request.stop_sequences"]?.arrayValue?.compactMap(\.stringValue) == ["END"])
            #expect(attributes["gen_ai.response.id"]?.stringValue == "msg_1")
            #expect(attributes["gen_ai.response.finish_reasons"]?.arrayValue?.compactMap(\.stringValue) == ["stop"])
            #expect(attributes["gen_ai.usage.input_tokens"]?.intValue == 11)
            #expect(attributes["gen_ai.usage.output_tokens"]?.intValue == 7)
            #expect(attributes["keel.team"]?.stringValue == "search")
            #expect(attributes["keel.cost_usd"]?.doubleValue == 0.25)
            #expect(attributes["keel.guardrail.verdicts"]?.arrayValue?.compactMap(\.stringValue) == ["input:pii:redact"])
            #expect(request["events"]?[0]?["name"]?.stringValue == "gen_ai.evaluation.result")
            #expect(request["events"]?[0]?["attributes"]?["gen_ai.evaluation.score.value"]?.doubleValue == 1.0)
            #expect(attempt["kind"]?.intValue == 3)
            #expect(attempt["parent_span_id"]?.stringValue == requestID)
            #expect(attempt["name"]?.stringValue == "chat gpt-4o-mini-2024-07-18")
            #expect(attempt["attributes"]?["server.address"]?.stringValue == "api.anthropic.com")
            #expect(attempt["attributes"]?["keel.attempt"]?.intValue == 1)
            #expect(attempt["attributes"]?["http.response.status_code"]?.intValue == 200)
            let start = try #require(request["start_time_unix_nano"]?.numberValue?.int)
            let end = try #require(request["end_time_unix_nano"]?.numberValue?.int)
            #expect(end >= start)
        }
    }
}
