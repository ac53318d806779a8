import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

/// `telemetry.capture_content`: the prompt and the answer, redacted by the PII and secrets
/// detectors, kept with the request log entry and returned by `GET /admin/requests/{id}`.
@Suite("Captured content in the request log", .serialized)
struct CapturedContentTests {
    static let master = "sk-keel-capture-test"
    static let promptEmail = "alice.jones@example.com"
    static let answerEmail = "bob.smith@example.org"
    static let secret = "sk-proj-" + "T3BlbkFJ7q9Xr2LmN8vK4pW6sY1zA5cE0dG3hJ"
    /// What the upstream answers; streamed, the address is split across chunks.
    static let answerPieces = ["Sure. Write to bob.sm", "ith@exam", "ple.org today."]

    /// The fake OpenAI-compatible upstream, answering ``answerPieces`` (whole or streamed); the
    /// `refused` model's upstream name makes it answer 400.
    static func upstream() throws -> FakeProvider { try FakeProvider(answer: answerPieces) }

    static func configure(_ upstream: FakeProvider, capture: Bool, telemetry: TelemetryConfig? = nil) -> (inout KeelConfig) -> Void {
        { config in
            config.server.masterKey = Secret(master)
            config.providers = [ProviderConfig(name: "oai", kind: .openai, baseURL: upstream.openAIBaseURL, apiKey: Secret("sk-upstream"))]
            config.models = [
                ModelConfig(name: "m", routes: [RouteConfig(provider: "oai", model: "gpt-up")]),
                ModelConfig(name: "refused", routes: [RouteConfig(provider: "oai", model: "status-400")]),
            ]
            config.telemetry = telemetry ?? TelemetryConfig(captureContent: capture)
        }
    }

    /// The prompt: an e-mail address and an API key.
    static func prompt(_ model: String = "m", stream: Bool, anthropic: Bool) -> String {
        let text = "Email \(promptEmail) with my key \(secret) please."
        let stream = stream ? #","stream":true"# : ""
        return anthropic
            ? #"{"model":"\#(model)","max_tokens":64\#(stream),"system":"Be brief.","messages":[{"role":"user","content":"\#(text)"}]}"#
            : #"{"model":"\#(model)"\#(stream),"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"\#(text)"}]}"#
    }

    static func send(_ app: Application, _ method: String, _ path: String, key: String = master, body: String? = nil) async throws -> RawHTTPConnection.Response {
        let port = app.port
        return try await onThread {
            let connection = try RawHTTPConnection(port: port)
            connection.setReadTimeout(seconds: 10)
            var headers = [("authorization", "Bearer \(key)")]
            if body != nil { headers.append(("content-type", "application/json")) }
            if path.hasPrefix("/v1/messages") { headers.append(("anthropic-version", "2023-06-01")) }
            return try connection.request(method, path, headers: headers, body: Array((body ?? "").utf8))
        }
    }

    /// The detail of the request `id`, once its entry is in the log (a stream's entry is recorded
    /// after its last byte).
    static func detail(_ app: Application, _ id: String, key: String = master) async throws -> (status: Int, body: JSONValue) {
        var response = try await send(app, "GET", "/admin/requests/\(id)", key: key)
        for _ in 0..<50 where response.status == 404 {
            try await app.store.flush()
            try await Task.sleep(for: .milliseconds(20))
            response = try await send(app, "GET", "/admin/requests/\(id)", key: key)
        }
        return (response.status, try JSONValue(parsing: response.body))
    }

    /// Every text of a captured message array, joined.
    static func texts(_ detail: JSONValue, _ side: String) -> String {
        (detail["content"]?[side]?.arrayValue ?? []).flatMap { $0["parts"]?.arrayValue ?? [] }.compactMap { $0["content"]?.stringValue }.joined(separator: "|")
    }

    @Test("capture on: both inbound APIs, whole and streamed: the detail holds the redacted prompt and answer; the client and the upstream see the real text")
    func captured() async throws {
        let upstream = try Self.upstream()
        // Traces are exported nowhere and never sampled: capture for the log does not depend on sampling.
        let telemetry = TelemetryConfig(otlp: .init(endpoint: "http://127.0.0.1:9", protocol: .httpJSON), samplingRatio: 0, captureContent: true)
        try await withTestApplication(configure: Self.configure(upstream, capture: true, telemetry: telemetry)) { app, _ in
            for anthropic in [false, true] {
                for stream in [false, true] {
                    let label = "\(anthropic ? "anthropic" : "openai") stream=\(stream)"
                    let response = try await Self.send(app, "POST", anthropic ? "/v1/messages" : "/v1/chat/completions", body: Self.prompt(stream: stream, anthropic: anthropic))
                    #expect(response.status == 200, "\(label): \(response.bodyText)")
                    // What the client receives is not redacted.
                    #expect(response.bodyText.contains("bob.sm"), "\(label)")
                    if !stream { #expect(response.bodyText.contains(Self.answerEmail), "\(label)") }
                    let id = try #require(response.header("x-request-id"))
                    let (status, detail) = try await Self.detail(app, id)
                    #expect(status == 200, "\(label)")
                    let content = try #require(detail["content"]?.objectValue, "\(label): \(detail)")
                    #expect(content["redaction"]?.stringValue == "pii")
                    #expect(content["input_truncated"]?.boolValue == false)
                    #expect(content["output_truncated"]?.boolValue == false)
                    let input = Self.texts(detail, "input_messages")
                    let output = Self.texts(detail, "output_messages")
                    #expect(input == "Be brief.|Email [EMAIL_1] with my key [OPENAI_API_KEY_1] please.", "\(label): \(input)")
                    #expect(output == "Sure. Write to [EMAIL_2] today.", "\(label): \(output)")
                    #expect(content["input_messages"]?.arrayValue?.first?["role"]?.stringValue == "system")
                    #expect(content["output_messages"]?.arrayValue?.first?["role"]?.stringValue == "assistant")
                    #expect(content["output_messages"]?.arrayValue?.first?["finish_reason"]?.stringValue == (anthropic ? "end_turn" : "stop"))
                    let serialized = detail.serializedString()
                    #expect(!serialized.contains(Self.promptEmail) && !serialized.contains(Self.answerEmail) && !serialized.contains(Self.secret), "\(label)")
                }
            }
            // The upstream got the prompt as the client sent it (no policy applies).
            #expect(upstream.requests.allSatisfy { $0.body.serializedString().contains(Self.promptEmail) })

            // A failed request keeps its prompt only.
            let refused = try await Self.send(app, "POST", "/v1/chat/completions", body: Self.prompt("refused", stream: false, anthropic: false))
            #expect(refused.status == 400)
            let (_, failed) = try await Self.detail(app, try #require(refused.header("x-request-id")))
            #expect(Self.texts(failed, "input_messages").contains("[EMAIL_1]"))
            #expect(failed["content"]?["output_messages"] == .null)
        }
        await upstream.stop()
    }

    @Test("capture off: nothing is kept, the detail says content null")
    func notCaptured() async throws {
        let upstream = try Self.upstream()
        try await withTestApplication(configure: Self.configure(upstream, capture: false)) { app, _ in
            let response = try await Self.send(app, "POST", "/v1/chat/completions", body: Self.prompt(stream: false, anthropic: false))
            #expect(response.status == 200)
            let (status, detail) = try await Self.detail(app, try #require(response.header("x-request-id")))
            #expect(status == 200)
            #expect(detail["content"] == .null)
            #expect(try await app.store.request(id: detail["id"]?.stringValue ?? "")?.content == nil)
        }
        await upstream.stop()
    }

    @Test("capture_redaction none keeps the text as sent")
    func unredacted() async throws {
        let upstream = try Self.upstream()
        let telemetry = TelemetryConfig(captureContent: true, captureRedaction: TelemetryConfig.CaptureRedaction.none)
        try await withTestApplication(configure: Self.configure(upstream, capture: true, telemetry: telemetry)) { app, _ in
            let response = try await Self.send(app, "POST", "/v1/chat/completions", body: Self.prompt(stream: true, anthropic: false))
            #expect(response.status == 200)
            let (_, detail) = try await Self.detail(app, try #require(response.header("x-request-id")))
            #expect(detail["content"]?["redaction"]?.stringValue == "none")
            #expect(Self.texts(detail, "input_messages").contains(Self.promptEmail))
            #expect(Self.texts(detail, "output_messages") == Self.answerPieces.joined())
        }
        await upstream.stop()
    }

    @Test("roles: a viewer of the team sees the content, a viewer of another team gets 404, a developer key is refused")
    func roles() async throws {
        let upstream = try Self.upstream()
        try await withTestApplication(configure: Self.configure(upstream, capture: true)) { app, _ in
            func create(_ path: String, _ body: String) async throws -> JSONValue {
                let response = try await Self.send(app, "POST", path, body: body)
                #expect(response.status == 201, "\(path): \(response.bodyText)")
                return try JSONValue(parsing: response.body)
            }
            let search = try #require(try await create("/admin/teams", #"{"name":"search"}"#)["id"]?.stringValue)
            let support = try #require(try await create("/admin/teams", #"{"name":"support"}"#)["id"]?.stringValue)
            let developer = try #require(try await create("/admin/keys", #"{"team":"\#(search)","role":"developer"}"#)["key"]?.stringValue)
            let viewer = try #require(try await create("/admin/keys", #"{"team":"\#(search)","role":"viewer"}"#)["key"]?.stringValue)
            let otherViewer = try #require(try await create("/admin/keys", #"{"team":"\#(support)","role":"viewer"}"#)["key"]?.stringValue)

            let response = try await Self.send(app, "POST", "/v1/chat/completions", key: developer, body: Self.prompt(stream: false, anthropic: false))
            #expect(response.status == 200, "\(response.bodyText)")
            let id = try #require(response.header("x-request-id"))
            let (status, detail) = try await Self.detail(app, id, key: viewer)
            #expect(status == 200)
            #expect(Self.texts(detail, "input_messages").contains("[EMAIL_1]"))
            #expect(try await Self.send(app, "GET", "/admin/requests/\(id)", key: otherViewer).status == 404)
            let refused = try await Self.send(app, "GET", "/admin/requests/\(id)", key: developer)
            #expect(refused.status == 403)
            #expect(!refused.bodyText.contains("EMAIL"))
        }
        await upstream.stop()
    }

    @Test("sampled spans carry the same redacted content")
    func spans() async throws {
        let upstream = try Self.upstream()
        let receiver = try OTLPTestReceiver()
        defer { receiver.stop() }
        let telemetry = TelemetryConfig(otlp: .init(endpoint: receiver.baseURL, protocol: .httpJSON), captureContent: true)
        try await withTestApplication(configure: Self.configure(upstream, capture: true, telemetry: telemetry)) { app, _ in
            let response = try await Self.send(app, "POST", "/v1/chat/completions", body: Self.prompt(stream: true, anthropic: false))
            #expect(response.status == 200)
            let (_, detail) = try await Self.detail(app, try #require(response.header("x-request-id")))
            await app.tracer?.forceFlush()
            let traceID = try #require(detail["trace_id"]?.stringValue)
            let server = try #require(receiver.spans(trace: traceID).first { $0.kind == 2 })
            let input = try #require(server.attributes["gen_ai.input.messages"])
            let output = try #require(server.attributes["gen_ai.output.messages"])
            #expect(input.contains("[EMAIL_1]") && !input.contains(Self.promptEmail) && !input.contains(Self.secret))
            #expect(output.contains("[EMAIL_2]") && !output.contains(Self.answerEmail))
            #expect(try JSONValue(parsing: input) == detail["content"]?["input_messages"])
        }
        await upstream.stop()
    }
}
