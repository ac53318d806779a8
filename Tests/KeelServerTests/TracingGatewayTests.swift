import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelServer
import KeelStore
import KeelTelemetry
import KeelTestSupport
import Testing

/// An OTLP/HTTP receiver for tests: decodes every OTLP/JSON export into spans.
final class OTLPTestReceiver: Sendable {
    /// One received span, with its attributes flattened to strings (ints, doubles and bools as text,
    /// arrays joined with `,`).
    struct ReceivedSpan: Sendable {
        var traceID: String
        var spanID: String
        var parentSpanID: String
        var name: String
        var kind: Int
        var attributes: [String: String]
        var statusCode: Int
        var events: [String]
        var serviceName: String?
    }

    let server: TestHTTPServer
    private let received = Locked<[ReceivedSpan]>([])

    init() throws {
        let received = self.received
        server = try TestHTTPServer { request, connection in
            if request.path == "/v1/traces", let document = try? JSONValue(parsing: request.body) {
                let spans = Self.decode(document)
                received.withLock { $0 += spans }
            }
            try connection.respond(status: 200, headers: [("Content-Type", "application/json")], body: "{}")
        }
    }

    var baseURL: String { server.baseURL }
    var spans: [ReceivedSpan] { received.value }
    func stop() { server.stop() }

    /// Spans of the trace `traceID`.
    func spans(trace traceID: String) -> [ReceivedSpan] { spans.filter { $0.traceID == traceID } }

    static func decode(_ document: JSONValue) -> [ReceivedSpan] {
        var out: [ReceivedSpan] = []
        for resourceSpans in document["resourceSpans"]?.arrayValue ?? [] {
            let service = attributes(resourceSpans["resource"]?["attributes"])["service.name"]
            for scopeSpans in resourceSpans["scopeSpans"]?.arrayValue ?? [] {
                for span in scopeSpans["spans"]?.arrayValue ?? [] {
                    out.append(ReceivedSpan(
                        traceID: span["traceId"]?.stringValue ?? "", spanID: span["spanId"]?.stringValue ?? "",
                        parentSpanID: span["parentSpanId"]?.stringValue ?? "", name: span["name"]?.stringValue ?? "",
                        kind: span["kind"]?.intValue ?? 0, attributes: attributes(span["attributes"]),
                        statusCode: span["status"]?["code"]?.intValue ?? 0,
                        events: span["events"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [],
                        serviceName: service
                    ))
                }
            }
        }
        return out
    }

    static func attributes(_ list: JSONValue?) -> [String: String] {
        var out: [String: String] = [:]
        for item in list?.arrayValue ?? [] {
            guard let key = item["key"]?.stringValue, let value = item["value"] else { continue }
            out[key] = text(value)
        }
        return out
    }

    static func text(_ value: JSONValue) -> String {
        if let s = value["stringValue"]?.stringValue { return s }
        if let s = value["intValue"]?.stringValue { return s }
        if let d = value["doubleValue"]?.doubleValue { return String(d) }
        if let b = value["boolValue"]?.boolValue { return String(b) }
        if let values = value["arrayValue"]?["values"]?.arrayValue { return values.map(text).joined(separator: ",") }
        return ""
    }
}

@Suite("Tracing through the gateway", .serialized)
struct TracingGatewayTests {
    typealias P = GatewayPassthroughTests
    typealias R = ResilienceTests
    static let inboundTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let inboundSpan = "00f067aa0ba902b7"

    static func configure(_ fake: FakeProvider, _ receiver: OTLPTestReceiver, models: [ModelConfig], sampling: Double? = nil, capture: Bool? = nil) -> (inout KeelConfig) -> Void {
        { config in
            R.configure(fake, models: models)(&config)
            config.telemetry = TelemetryConfig(otlp: .init(endpoint: receiver.baseURL, protocol: .httpJSON), samplingRatio: sampling, captureContent: capture, serviceName: "keel-tracing-test")
        }
    }

    /// Exports what the tracer holds and reads the request log.
    static func settle(_ app: Application) async throws -> [RequestLogEntry] {
        await app.tracer?.forceFlush()
        return try await P.logged(app)
    }

    @Test("a retried chat request: one SERVER span continuing the inbound trace, a CLIENT span per attempt, traceparent sent upstream")
    func retriedRequest() async throws {
        let fake = try FakeProvider()
        let receiver = try OTLPTestReceiver()
        defer { receiver.stop() }
        try await withTestApplication(configure: Self.configure(fake, receiver, models: [R.failover(faulty: "status-503")])) { app, _ in
            let body = #"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"max_tokens":50}"#
            let response = try await R.post(app, body, headers: [("traceparent", "00-\(Self.inboundTrace)-\(Self.inboundSpan)-01"), ("tracestate", "vendor=abc")])
            #expect(response.status == 200)
            #expect(response.header("x-keel-attempts") == "2")
            let entries = try await Self.settle(app)
            let entry = try #require(entries.first)

            let spans = receiver.spans(trace: Self.inboundTrace)
            let server = try #require(spans.first { $0.kind == 2 })
            let attempts = spans.filter { $0.kind == 3 }.sorted { ($0.attributes["keel.attempt"] ?? "") < ($1.attributes["keel.attempt"] ?? "") }
            #expect(spans.count == 3)
            #expect(server.serviceName == "keel-tracing-test")
            #expect(server.name == "chat m")
            #expect(server.parentSpanID == Self.inboundSpan)
            #expect(server.attributes["gen_ai.operation.name"] == "chat")
            #expect(server.attributes["gen_ai.request.model"] == "m")
            #expect(server.attributes["gen_ai.provider.name"] == "openai")
            #expect(server.attributes["gen_ai.request.temperature"] == "0.2")
            #expect(server.attributes["gen_ai.request.max_tokens"] == "50")
            // The usage is on the answering attempt's span only, so a trace counts each token once.
            #expect(server.attributes["gen_ai.usage.input_tokens"] == nil)
            #expect(server.attributes["gen_ai.usage.output_tokens"] == nil)
            #expect(server.attributes["gen_ai.response.finish_reasons"] == "stop")
            #expect(server.attributes["gen_ai.response.id"]?.isEmpty == false)
            #expect(server.attributes["keel.route"] == "oai/gpt-healthy")
            #expect(server.attributes["keel.attempts"] == "2")
            #expect(server.attributes["keel.request_id"] == entry.id)
            #expect(server.attributes["keel.inbound_api"] == "openai.chat_completions")
            #expect(server.attributes["error.type"] == nil)
            #expect(server.attributes["gen_ai.input.messages"] == nil)  // capture is off

            #expect(attempts.count == 2)
            #expect(attempts.allSatisfy { $0.parentSpanID == server.spanID })
            let (failed, answered) = (attempts[0], attempts[1])
            #expect(failed.name == "chat status-503")
            #expect(failed.attributes["keel.attempt"] == "1")
            #expect(failed.attributes["error.type"] == "503")
            #expect(failed.attributes["http.response.status_code"] == "503")
            #expect(failed.statusCode == 2)
            #expect(failed.attributes["server.address"] == "127.0.0.1")
            #expect(failed.attributes["server.port"] == String(fake.port))
            #expect(answered.name == "chat gpt-healthy")
            #expect(answered.attributes["keel.route"] == "oai/gpt-healthy")
            #expect(answered.attributes["http.response.status_code"] == "200")
            #expect(entry.inputTokens != nil && entry.outputTokens != nil)
            #expect(answered.attributes["gen_ai.usage.input_tokens"] == entry.inputTokens.map(String.init))
            #expect(answered.attributes["gen_ai.usage.output_tokens"] == entry.outputTokens.map(String.init))
            #expect(failed.attributes["gen_ai.usage.input_tokens"] == nil)
            #expect(answered.attributes["error.type"] == nil)

            // Each upstream request carried its own attempt span's context, never the client's.
            let upstream = fake.requests.compactMap { $0.headers["traceparent"] }
            #expect(upstream == attempts.map { "00-\(Self.inboundTrace)-\($0.spanID)-01" })
            #expect(!upstream.contains("00-\(Self.inboundTrace)-\(Self.inboundSpan)-01"))
            #expect(fake.requests.allSatisfy { $0.headers["tracestate"] == "vendor=abc" })

            #expect(entry.metadata["trace_id"] == Self.inboundTrace)
            #expect(entry.metadata["span_id"] == server.spanID)
        }
        await fake.stop()
    }

    @Test("a streamed request without traceparent starts a trace; the answering attempt span carries the stream's usage; content is captured when on")
    func streamedNewTrace() async throws {
        let fake = try FakeProvider()
        let receiver = try OTLPTestReceiver()
        defer { receiver.stop() }
        let model = ModelConfig(name: "m", routes: [RouteConfig(provider: "oai", model: "gpt-healthy")])
        try await withTestApplication(configure: Self.configure(fake, receiver, models: [model], capture: true)) { app, _ in
            let response = try await R.post(app, #"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi there"}]}"#)
            #expect(response.status == 200)
            let entry = try #require(try await Self.settle(app).first)
            let traceID = try #require(entry.metadata["trace_id"])
            #expect(traceID.count == 32 && traceID != Self.inboundTrace)
            let spans = receiver.spans(trace: traceID)
            let server = try #require(spans.first { $0.kind == 2 })
            let attempt = try #require(spans.first { $0.kind == 3 })
            #expect(server.parentSpanID.isEmpty)
            #expect(server.spanID == entry.metadata["span_id"])
            #expect(server.attributes["keel.stream"] == "true")
            #expect(server.attributes["gen_ai.usage.output_tokens"] == nil)
            #expect(attempt.parentSpanID == server.spanID)
            #expect(attempt.attributes["gen_ai.usage.output_tokens"] == entry.outputTokens.map(String.init))
            #expect(attempt.attributes["gen_ai.response.finish_reasons"] == "stop")
            #expect(server.attributes["gen_ai.input.messages"]?.contains("hi there") == true)
            #expect(server.attributes["gen_ai.output.messages"]?.contains(FakeProvider.answer.joined()) == true)
            #expect(fake.requests.first?.headers["traceparent"] == "00-\(traceID)-\(attempt.spanID)-03")
        }
        await fake.stop()
    }

    @Test("tokens are counted once per trace, on the answering attempt's span; a cache hit, which used none, has no usage")
    func usageOncePerTrace() async throws {
        let fake = try FakeProvider()
        let receiver = try OTLPTestReceiver()
        defer { receiver.stop() }
        var model = ModelConfig(name: "cached", routes: [RouteConfig(provider: "oai", model: "gpt-healthy")])
        model.cache = CacheConfig(ttl: .seconds(60))
        try await withTestApplication(configure: Self.configure(fake, receiver, models: [model])) { app, _ in
            let body = #"{"model":"cached","messages":[{"role":"user","content":"hi"}]}"#
            for _ in 0..<2 { #expect(try await R.post(app, body).status == 200) }
            let entries = try await Self.settle(app)
            let miss = try #require(entries.first { $0.cache == "miss" })
            let hit = try #require(entries.first { $0.cache == "hit" })

            // Summing the usage attributes over the trace's spans gives the logged usage.
            let missSpans = receiver.spans(trace: try #require(miss.metadata["trace_id"]))
            #expect(missSpans.count == 2)
            let withUsage = missSpans.filter { $0.attributes["gen_ai.usage.input_tokens"] != nil }
            #expect(withUsage.map(\.kind) == [3])
            #expect(withUsage.first?.attributes["gen_ai.usage.input_tokens"] == miss.inputTokens.map(String.init))
            #expect(withUsage.first?.attributes["gen_ai.usage.output_tokens"] == miss.outputTokens.map(String.init))
            #expect(miss.inputTokens != nil && miss.outputTokens != nil)
            // The request span still says what answered.
            #expect(missSpans.first { $0.kind == 2 }?.attributes["gen_ai.response.model"] != nil)

            let hitSpans = receiver.spans(trace: try #require(hit.metadata["trace_id"]))
            #expect(hitSpans.map(\.kind) == [2])
            #expect(hitSpans.first?.attributes["keel.cache"] == "hit")
            #expect(hit.inputTokens == nil && hitSpans.first?.attributes["gen_ai.usage.input_tokens"] == nil)
        }
        await fake.stop()
    }

    @Test("feedback by request id lands in the request's trace, under its SERVER span")
    func feedbackJoinsTheTrace() async throws {
        let fake = try FakeProvider()
        let receiver = try OTLPTestReceiver()
        defer { receiver.stop() }
        let model = ModelConfig(name: "m", routes: [RouteConfig(provider: "oai", model: "gpt-healthy")])
        try await withTestApplication(configure: Self.configure(fake, receiver, models: [model])) { app, _ in
            let response = try await R.post(app)
            let requestID = try #require(response.header("x-request-id"))
            let feedback = try await P.post(app.port, "/v1/feedback", #"{"request_id":"\#(requestID)","score":1,"label":"good"}"#)
            #expect(feedback.status == 201, "\(feedback.bodyText)")
            let entry = try #require(try await Self.settle(app).first { $0.id == requestID })
            let traceID = try #require(entry.metadata["trace_id"])
            let spans = receiver.spans(trace: traceID)
            let server = try #require(spans.first { $0.kind == 2 })
            let evaluation = try #require(spans.first { $0.name == "feedback user_feedback" })
            #expect(evaluation.parentSpanID == server.spanID)
            #expect(evaluation.events == ["gen_ai.evaluation.result"])
            #expect(evaluation.attributes["keel.request_id"] == requestID)
        }
        await fake.stop()
    }

    @Test("sampling: ratio 0 exports nothing for new traces but still propagates; a sampled caller is followed")
    func sampling() async throws {
        let fake = try FakeProvider()
        let receiver = try OTLPTestReceiver()
        defer { receiver.stop() }
        let model = ModelConfig(name: "m", routes: [RouteConfig(provider: "oai", model: "gpt-healthy")])
        try await withTestApplication(configure: Self.configure(fake, receiver, models: [model], sampling: 0)) { app, _ in
            _ = try await R.post(app)
            _ = try await R.post(app, headers: [("traceparent", "00-\(Self.inboundTrace)-\(Self.inboundSpan)-01")])
            _ = try await Self.settle(app)
            let unsampled = try #require(fake.requests.first?.headers["traceparent"])
            #expect(unsampled.hasSuffix("-02"))  // random flag only: not sampled
            #expect(!receiver.spans.contains { unsampled.contains($0.traceID) })
            #expect(receiver.spans(trace: Self.inboundTrace).count == 2)
        }
        await fake.stop()
    }

    @Test("embeddings and count_tokens requests are traced too")
    func embeddingsAndCountTokens() async throws {
        let fake = try FakeProvider()
        let receiver = try OTLPTestReceiver()
        defer { receiver.stop() }
        let models = [
            ModelConfig(name: "emb", routes: [RouteConfig(provider: "oai", model: "text-embedding-3-small")]),
            ModelConfig(name: "claude", routes: [RouteConfig(provider: "ant", model: "claude-x")]),
        ]
        let configure: (inout KeelConfig) -> Void = { config in
            Self.configure(fake, receiver, models: models)(&config)
            config.providers.append(ProviderConfig(name: "ant", kind: .anthropic, baseURL: fake.anthropicBaseURL, apiKey: Secret(P.upstreamKey)))
        }
        try await withTestApplication(configure: configure) { app, _ in
            let e = try await P.post(app.port, "/v1/embeddings", #"{"model":"emb","input":"hello","encoding_format":"float"}"#)
            #expect(e.status == 200)
            let c = try await P.post(app.port, "/v1/messages/count_tokens", #"{"model":"claude","messages":[{"role":"user","content":"hi"}]}"#, headers: [("x-api-key", P.key)])
            #expect(c.status == 200)
            _ = try await Self.settle(app)
            let servers = receiver.spans.filter { $0.kind == 2 }
            let embeddings = try #require(servers.first { $0.name == "embeddings emb" && $0.attributes["error.type"] == nil })
            #expect(embeddings.attributes["gen_ai.request.encoding_formats"] == "float")
            #expect(receiver.spans.contains { $0.kind == 3 && $0.parentSpanID == embeddings.spanID && $0.name == "embeddings text-embedding-3-small" })
            let counting = try #require(servers.first { $0.name == "count_tokens claude" })
            #expect(receiver.spans.contains { $0.kind == 3 && $0.parentSpanID == counting.spanID && $0.attributes["gen_ai.provider.name"] == "anthropic" })
            // Token counting is not a model request: not in the request log.
            #expect(try await P.logged(app).allSatisfy { $0.inboundAPI != "anthropic.count_tokens" })
        }
        await fake.stop()
    }
}

extension TracingGatewayTests {
    @Test("failed requests: error.type on the request and attempt spans; only a server-side failure marks the request span as an error")
    func failures() async throws {
        let fake = try FakeProvider()
        let receiver = try OTLPTestReceiver()
        defer { receiver.stop() }
        let models = [
            ModelConfig(name: "refused", routes: [RouteConfig(provider: "oai", model: "status-400")]),
            ModelConfig(name: "down", routes: [RouteConfig(provider: "oai", model: "status-503")], retries: 1),
        ]
        try await withTestApplication(configure: Self.configure(fake, receiver, models: models)) { app, _ in
            #expect(try await R.post(app, #"{"model":"refused","messages":[{"role":"user","content":"hi"}]}"#).status == 400)
            let down = try await R.post(app, #"{"model":"down","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(down.status == 502, "\(down.bodyText)")  // the upstream's 503s, mapped for the client
            let entries = try await Self.settle(app)
            for entry in entries {
                let spans = receiver.spans(trace: try #require(entry.metadata["trace_id"]))
                let server = try #require(spans.first { $0.kind == 2 })
                let attempts = spans.filter { $0.kind == 3 }
                #expect(server.attributes["error.type"] == String(entry.status))
                #expect(server.statusCode == (entry.status >= 500 ? 2 : 0))
                #expect(attempts.count == entry.attempts.count)
                #expect(attempts.allSatisfy { $0.statusCode == 2 }, "\(attempts.map(\.attributes))")
                #expect(attempts.compactMap { $0.attributes["error.type"] }.sorted() == entry.attempts.map { String($0.status) }.sorted())
            }
        }
        await fake.stop()
    }
}
