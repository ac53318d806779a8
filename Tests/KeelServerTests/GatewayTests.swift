import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

/// The gateway end to end through the real composition root, against fake providers that speak the
/// OpenAI and Anthropic wire formats.
@Suite("Gateway passthrough", .serialized)
struct GatewayPassthroughTests {
    static let key = "sk-keel-gateway-test"
    static let upstreamKey = "sk-upstream-provider-secret"

    static func configure(_ fake: FakeProvider) -> (inout KeelConfig) -> Void {
        { config in
            config.server.masterKey = Secret(key)
            config.providers = [
                ProviderConfig(name: "oai", kind: .openai, baseURL: fake.openAIBaseURL, apiKey: Secret(upstreamKey)),
                ProviderConfig(name: "claude", kind: .anthropic, baseURL: fake.anthropicBaseURL, apiKey: Secret(upstreamKey)),
            ]
            config.models = [
                ModelConfig(name: "gpt", routes: [RouteConfig(provider: "oai", model: "gpt-4o-mini-2024-07-18")]),
                ModelConfig(name: "haiku", routes: [RouteConfig(provider: "claude", model: "claude-3-5-haiku-20241022")]),
                ModelConfig(name: "claude-for-openai-clients", routes: [RouteConfig(provider: "claude", model: "claude-sonnet-4-5")]),
                ModelConfig(name: "gpt-for-anthropic-clients", routes: [RouteConfig(provider: "oai", model: "gpt-4.1")]),
            ]
        }
    }

    static func post(_ port: Int, _ path: String, _ json: String, headers: [(String, String)] = [("authorization", "Bearer \(key)")]) async throws -> RawHTTPConnection.Response {
        try await onThread {
            let c = try RawHTTPConnection(port: port)
            c.setReadTimeout(seconds: 10)
            return try c.request("POST", path, headers: headers + [("content-type", "application/json")], body: Array(json.utf8))
        }
    }

    static func logged(_ app: Application) async throws -> [RequestLogEntry] {
        try await app.store.flush()
        return try await app.store.requests(RequestLogQuery())
    }

    /// The request log once it holds at least `count` entries (or whatever it holds after 30 s): a
    /// streamed request is recorded just after its last bytes reach the client, so a test that reads
    /// the log right after a stream waits for the entry instead of guessing how long that takes.
    static func logged(_ app: Application, atLeast count: Int) async throws -> [RequestLogEntry] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let entries = try await logged(app)
            if entries.count >= count || ContinuousClock.now >= deadline { return entries }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func openAIRequestsAreForwardedWithTheRouteModelAndProviderCredentials() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, logs in
            let r = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gpt","messages":[{"role":"user","content":"hi"}],"logit_bias":{"50256":-100},"seed":12345678901234567890}"#)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "oai/gpt-4o-mini-2024-07-18")
            let body = try JSONValue(parsing: r.body)
            #expect(body["choices"]?[0]?["message"]?["content"]?.stringValue == "Hello, world!")
            let sent = try #require(fake.requests.last)
            #expect(sent.path == "/v1/chat/completions")
            #expect(sent.body["model"]?.stringValue == "gpt-4o-mini-2024-07-18")
            // Unknown members and exact numbers pass through; the client's key does not.
            #expect(sent.body["logit_bias"]?["50256"]?.intValue == -100)
            #expect(sent.body["seed"]?.numberValue?.text == "12345678901234567890")
            #expect(sent.headers.first("authorization") == "Bearer \(Self.upstreamKey)")
            #expect(!sent.headers.description.contains(Self.key))
            let entry = try #require(try await Self.logged(app).first)
            #expect(entry.inboundAPI == "openai.chat_completions")
            #expect(entry.model == "gpt" && entry.provider == "oai" && entry.upstreamModel == "gpt-4o-mini-2024-07-18")
            #expect(entry.status == 200 && entry.stream == false)
            #expect(entry.inputTokens == 12 && entry.outputTokens == 4 && entry.cachedInputTokens == 8)
            #expect(!logs().joined().contains(Self.upstreamKey))
        }
        await fake.stop()
    }

    @Test func openAIStreamsAlwaysCarryUsageUpstreamButOnlyToClientsThatAsk() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let plain = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gpt","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(plain.status == 200)
            #expect(plain.header("content-type")?.hasPrefix("text/event-stream") == true)
            #expect(fake.requests.last?.body["stream_options"]?["include_usage"]?.boolValue == true)
            let events = plain.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.last == "data: [DONE]")
            #expect(!plain.bodyText.contains("\"usage\":{"))
            // The `"usage": null` member that asking for usage adds to each chunk is removed again.
            #expect(!plain.bodyText.contains("\"usage\""))
            let text = events.compactMap { e -> String? in
                guard e.hasPrefix("data: {") else { return nil }
                return (try? JSONValue(parsing: String(e.dropFirst(6))))?["choices"]?[0]?["delta"]?["content"]?.stringValue
            }.joined()
            #expect(text == "Hello, world!")

            let withUsage = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gpt","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(withUsage.bodyText.contains(#""usage":{"prompt_tokens":12"#))
            #expect(withUsage.bodyText.contains(#""usage":null"#))
            let entries = try await Self.logged(app, atLeast: 2)
            #expect(entries.count == 2)
            #expect(entries.allSatisfy { $0.stream && $0.status == 200 && $0.inputTokens == 12 && $0.outputTokens == 4 && $0.timeToFirstTokenMs != nil })
        }
        await fake.stop()
    }

    @Test func streamsWhoseUpstreamOmitsUsageGetKeelsEstimate() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: { config in
            Self.configure(fake)(&config)
            config.models.append(ModelConfig(name: "old-vllm", routes: [RouteConfig(provider: "oai", model: "llama-no-usage")]))
        }) { app, _ in
            // Same format: the client that asked for usage gets Keel's count before [DONE].
            let r = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"old-vllm","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello there"}]}"#)
            #expect(r.status == 200)
            let datas = r.bodyText.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
            #expect(datas.last == "[DONE]")
            let usageChunk = try JSONValue(parsing: datas[datas.count - 2])
            #expect(usageChunk["choices"]?.arrayValue?.isEmpty == true)
            #expect(usageChunk["id"]?.stringValue == "chatcmpl-fake123")
            #expect(usageChunk["model"]?.stringValue == "llama-no-usage")
            // Framing 3 + message 3 + "Hello there" 2 in; "Hello, world!" is 4 tokens out.
            #expect(usageChunk["usage"]?["prompt_tokens"]?.intValue == 8)
            #expect(usageChunk["usage"]?["completion_tokens"]?.intValue == 4)

            // Translated for an Anthropic client: message_delta carries the estimated output tokens.
            let a = try await Self.post(app.port, "/v1/messages", #"{"model":"old-vllm","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"Hello there"}]}"#,
                                        headers: [("x-api-key", Self.key), ("anthropic-version", "2023-06-01")])
            #expect(a.status == 200)
            #expect(a.bodyText.contains(#""output_tokens":4"#))

            let entries = try await Self.logged(app, atLeast: 2)
            #expect(entries.count == 2)
            #expect(entries.allSatisfy { $0.metadata["usage"] == "estimated" && $0.outputTokens == 4 && ($0.inputTokens ?? 0) > 0 })
        }
        await fake.stop()
    }

    @Test func anthropicRequestsAndStreamsPassThroughWithCacheUsage() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let headers = [("x-api-key", Self.key), ("anthropic-version", "2023-06-01"), ("anthropic-beta", "prompt-caching-2024-07-31")]
            let r = try await Self.post(app.port, "/v1/messages", #"{"model":"haiku","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#, headers: headers)
            #expect(r.status == 200)
            #expect(try JSONValue(parsing: r.body)["content"]?[0]?["text"]?.stringValue == "Hello, world!")
            let sent = try #require(fake.requests.last)
            #expect(sent.headers.first("x-api-key") == Self.upstreamKey)
            #expect(sent.headers.first("anthropic-version") == "2023-06-01")
            #expect(sent.headers.first("anthropic-beta") == "prompt-caching-2024-07-31")
            #expect(sent.body["model"]?.stringValue == "claude-3-5-haiku-20241022")

            let s = try await Self.post(app.port, "/v1/messages", #"{"model":"haiku","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#, headers: headers)
            let names = s.bodyText.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
            #expect(names == ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"])
            let entries = try await Self.logged(app, atLeast: 2)
            #expect(entries.count == 2)
            // input = 5 uncached + 7 cache reads + 2 cache writes; cached = the reads.
            #expect(entries.allSatisfy { $0.inputTokens == 14 && $0.cachedInputTokens == 7 && $0.outputTokens == 4 && $0.inboundAPI == "anthropic.messages" })
        }
        await fake.stop()
    }

    @Test func upstreamFailuresBecomeFittingClientErrors() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let request = #"{"model":"gpt","messages":[{"role":"user","content":"hi"}]}"#
            fake.fail(with: .status(401, body: #"{"error":{"message":"Incorrect API key provided: sk-up***","type":"invalid_request_error","code":"invalid_api_key"}}"#, headers: [:]))
            let auth = try await Self.post(app.port, "/v1/chat/completions", request)
            #expect(auth.status == 502)
            #expect(auth.bodyText.contains("upstream_authentication_failed"))

            fake.fail(with: .status(429, body: #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#, headers: ["retry-after": "7"]))
            let limited = try await Self.post(app.port, "/v1/chat/completions", request)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "7")

            fake.fail(with: .status(500, body: "oops", headers: [:]))
            #expect(try await Self.post(app.port, "/v1/chat/completions", request).status == 502)

            fake.fail(with: .status(529, body: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, headers: [:]))
            let overloaded = try await Self.post(app.port, "/v1/messages", #"{"model":"haiku","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#, headers: [("x-api-key", Self.key)])
            #expect(overloaded.status == 529)
            #expect(overloaded.bodyText.hasPrefix(#"{"type":"error","error":{"type":"overloaded_error""#))

            fake.fail(with: .truncateStream)
            let cut = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gpt","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(cut.status == 200)
            #expect(cut.bodyText.contains(#"data: {"error":{"message":"#))
            #expect(!cut.bodyText.contains("[DONE]"))

            let entries = try await Self.logged(app)
            #expect(entries.map(\.status).sorted() == [429, 502, 502, 502, 529])
        }
        await fake.stop()
    }

    @Test func badRequestsAreAnsweredClearly() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let invalid = try await Self.post(app.port, "/v1/chat/completions", #"{"model": "gpt", "messages": [}"#)
            #expect(invalid.status == 400)
            #expect(invalid.bodyText.contains("invalid_json"))
            let noModel = try await Self.post(app.port, "/v1/chat/completions", #"{"messages":[]}"#)
            #expect(noModel.status == 400)
            #expect(noModel.bodyText.contains(#""param":"model""#))
            let wrongType = try await Self.post(app.port, "/v1/chat/completions", #"{"model":42}"#)
            #expect(wrongType.status == 400)
            let unknown = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"nope","messages":[]}"#)
            #expect(unknown.status == 404)
            #expect(unknown.bodyText.contains("model_not_found"))
            let anthropicUnknown = try await Self.post(app.port, "/v1/messages", #"{"model":"nope","max_tokens":1,"messages":[]}"#, headers: [("x-api-key", Self.key)])
            #expect(anthropicUnknown.status == 404)
            #expect(anthropicUnknown.bodyText.hasPrefix(#"{"type":"error""#))
            #expect(fake.requests.isEmpty)
            // Refused requests are in the request log too, once each.
            let entries = try await Self.logged(app)
            #expect(entries.map(\.status).sorted() == [400, 400, 400, 404, 404])
            #expect(entries.filter { $0.status == 404 }.map(\.model).sorted() == ["nope", "nope"])
        }
        await fake.stop()
    }

    @Test func anUnreachableProviderIsA502() async throws {
        try await withTestApplication(configure: { config in
            config.server.masterKey = Secret(Self.key)
            config.providers = [ProviderConfig(name: "down", kind: .openai, baseURL: "http://127.0.0.1:1/v1")]
            config.models = [ModelConfig(name: "gpt", routes: [RouteConfig(provider: "down", model: "x")])]
        }) { app, _ in
            let r = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gpt","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(r.status == 502)
            #expect(r.bodyText.contains("upstream_unreachable"))
        }
    }
}

@Suite("Gateway translation", .serialized)
struct GatewayTranslationTests {
    typealias P = GatewayPassthroughTests

    @Test func openAIClientsReachAnthropicModels() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: P.configure(fake)) { app, _ in
            let r = try await P.post(app.port, "/v1/chat/completions", #"{"model":"claude-for-openai-clients","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}"#)
            #expect(r.status == 200)
            let body = try JSONValue(parsing: r.body)
            #expect(body["object"]?.stringValue == "chat.completion")
            #expect(body["model"]?.stringValue == "claude-for-openai-clients")
            #expect(body["choices"]?[0]?["message"]?["content"]?.stringValue == "Hello, world!")
            #expect(body["choices"]?[0]?["finish_reason"]?.stringValue == "stop")
            #expect(body["usage"]?["prompt_tokens"]?.intValue == 14)
            #expect(body["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.intValue == 7)
            let sent = try #require(fake.requests.last)
            #expect(sent.path == "/v1/messages")
            #expect(sent.body["model"]?.stringValue == "claude-sonnet-4-5")
            #expect(sent.body["max_tokens"]?.intValue != nil)
            #expect(sent.body["system"] != nil)
            #expect(sent.headers.first("x-api-key") == P.upstreamKey)

            let s = try await P.post(app.port, "/v1/chat/completions", #"{"model":"claude-for-openai-clients","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(s.status == 200)
            let datas = s.bodyText.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
            #expect(datas.last == "[DONE]")
            let chunks = datas.dropLast().compactMap { try? JSONValue(parsing: $0) }
            let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
            #expect(text == "Hello, world!")
            #expect(chunks.contains { $0["choices"]?[0]?["finish_reason"]?.stringValue == "stop" })
            #expect(chunks.last?["usage"]?["completion_tokens"]?.intValue == 4)
            let entries = try await P.logged(app, atLeast: 2)
            #expect(entries.count == 2)
            #expect(entries.allSatisfy { $0.status == 200 && $0.provider == "claude" && $0.inputTokens == 14 && $0.outputTokens == 4 })
        }
        await fake.stop()
    }

    @Test func anthropicClientsReachOpenAIModels() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: P.configure(fake)) { app, _ in
            let headers = [("x-api-key", P.key), ("anthropic-version", "2023-06-01")]
            let r = try await P.post(app.port, "/v1/messages", #"{"model":"gpt-for-anthropic-clients","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"hi"}]}"#, headers: headers)
            #expect(r.status == 200)
            let body = try JSONValue(parsing: r.body)
            #expect(body["type"]?.stringValue == "message")
            #expect(body["content"]?[0]?["text"]?.stringValue == "Hello, world!")
            #expect(body["stop_reason"]?.stringValue == "end_turn")
            #expect(body["usage"]?["output_tokens"]?.intValue == 4)
            let sent = try #require(fake.requests.last)
            #expect(sent.path == "/v1/chat/completions")
            #expect(sent.body["model"]?.stringValue == "gpt-4.1")
            #expect(sent.body["messages"]?[0]?["role"]?.stringValue == "system")
            #expect(sent.headers.first("authorization") == "Bearer \(P.upstreamKey)")

            let s = try await P.post(app.port, "/v1/messages", #"{"model":"gpt-for-anthropic-clients","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#, headers: headers)
            #expect(s.status == 200)
            #expect(fake.requests.last?.body["stream_options"]?["include_usage"]?.boolValue == true)
            let names = s.bodyText.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
            #expect(names.first == "message_start")
            #expect(names.last == "message_stop")
            #expect(names.contains("content_block_start") && names.contains("content_block_stop") && names.contains("message_delta"))
            let deltas = s.bodyText.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }
                .compactMap { try? JSONValue(parsing: String($0.dropFirst(6))) }
                .filter { $0["type"]?.stringValue == "content_block_delta" }
                .compactMap { $0["delta"]?["text"]?.stringValue }
            #expect(deltas.joined() == "Hello, world!")
            let entries = try await P.logged(app)
            #expect(entries.allSatisfy { $0.status == 200 && $0.provider == "oai" && $0.outputTokens == 4 })
        }
        await fake.stop()
    }

    @Test func translationRejectsWhatTheTargetCannotExpress() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: P.configure(fake)) { app, _ in
            // Anthropic cannot return several choices.
            let r = try await P.post(app.port, "/v1/chat/completions", #"{"model":"claude-for-openai-clients","n":3,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(r.status == 400)
            #expect(fake.requests.isEmpty)
            // An Anthropic request without max_tokens is invalid for Anthropic clients.
            let a = try await P.post(app.port, "/v1/messages", #"{"model":"gpt-for-anthropic-clients","messages":[{"role":"user","content":"hi"}]}"#, headers: [("x-api-key", P.key)])
            #expect(a.status == 400)
            #expect(a.bodyText.hasPrefix(#"{"type":"error","error":{"type":"invalid_request_error""#))
        }
        await fake.stop()
    }
}
