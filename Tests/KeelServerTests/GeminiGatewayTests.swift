import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

/// OpenAI and Anthropic clients reaching a `gemini` provider through the whole application, against
/// a fake Gemini API that speaks the real wire format.
@Suite("Gateway to Gemini", .serialized)
struct GeminiGatewayTests {
    static let key = "sk-keel-gemini-test"
    static let upstreamKey = "AIzaSyFakeUpstreamKey0123456789abcdefXY"
    static let anthropicHeaders = [("x-api-key", key), ("anthropic-version", "2023-06-01")]

    static func configure(_ fake: FakeGemini) -> (inout KeelConfig) -> Void {
        { config in
            config.server.masterKey = Secret(key)
            config.providers = [
                ProviderConfig(name: "gem", kind: .gemini, baseURL: fake.baseURL, apiKey: Secret(upstreamKey)),
                ProviderConfig(name: "gem-badkey", kind: .gemini, baseURL: fake.baseURL, apiKey: Secret("AIzaSyWrongKey00000000000000000000000")),
            ]
            config.models = [
                ModelConfig(name: "gemini", routes: [RouteConfig(provider: "gem", model: "gemini-2.5-flash")]),
                ModelConfig(name: "gemini-badkey", routes: [RouteConfig(provider: "gem-badkey", model: "gemini-2.5-flash")]),
            ]
        }
    }

    static func post(_ port: Int, _ path: String, _ json: String, headers: [(String, String)] = [("authorization", "Bearer \(key)")]) async throws -> RawHTTPConnection.Response {
        try await GatewayPassthroughTests.post(port, path, json, headers: headers)
    }

    /// The JSON payloads of an SSE body's `data:` lines, `[DONE]` excluded.
    static func dataPayloads(_ body: String) -> [JSONValue] {
        body.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") && $0 != "data: [DONE]" }.compactMap { try? JSONValue(parsing: String($0.dropFirst(6))) }
    }

    /// The `event:` names of an SSE body.
    static func eventNames(_ body: String) -> [String] {
        body.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
    }

    /// The upstream key never leaves Keel: not in a URL Keel called, not in anything a client saw.
    static func expectKeyKept(_ fake: FakeGemini, _ responses: [RawHTTPConnection.Response], logs: [String]) {
        for r in fake.requests {
            #expect(!r.path.contains(upstreamKey) && r.query.allSatisfy { $0.name != "key" && !$0.value.contains(upstreamKey) })
            #expect(r.headers.first("authorization") == nil && r.headers.first("x-api-key") == nil)
        }
        for r in responses { #expect(!r.bodyText.contains(upstreamKey) && !r.bodyText.contains("AIzaSy")) }
        #expect(!logs.joined().contains(upstreamKey))
    }

    // MARK: OpenAI clients

    @Test func openAIClientsGetTextAnswersStreamedOrNot() async throws {
        let fake = try FakeGemini(apiKey: Self.upstreamKey)
        try await withTestApplication(configure: Self.configure(fake)) { app, logs in
            let r = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gemini","max_tokens":50,"temperature":0.3,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}"#)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "gem/gemini-2.5-flash")
            let body = try JSONValue(parsing: r.body)
            #expect(body["object"]?.stringValue == "chat.completion")
            #expect(body["model"]?.stringValue == "gemini")
            #expect(body["choices"]?[0]?["message"]?["content"]?.stringValue == "Hello, world!")
            #expect(body["choices"]?[0]?["finish_reason"]?.stringValue == "stop")
            #expect(body["usage"]?["prompt_tokens"]?.intValue == 12)
            #expect(body["usage"]?["completion_tokens"]?.intValue == 9)
            #expect(body["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.intValue == 8)
            let sent = try #require(fake.requests.last)
            #expect(sent.path == "/v1beta/models/gemini-2.5-flash:generateContent")
            #expect(sent.headers.first("x-goog-api-key") == Self.upstreamKey)
            #expect(sent.body["systemInstruction"]?["parts"]?[0]?["text"]?.stringValue == "Be brief.")
            #expect(sent.body["contents"]?[0]?["role"]?.stringValue == "user")
            #expect(sent.body["generationConfig"]?["maxOutputTokens"]?.intValue == 50)

            let plain = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gemini","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(plain.status == 200)
            #expect(plain.header("content-type")?.hasPrefix("text/event-stream") == true)
            #expect(fake.requests.last?.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent")
            #expect(fake.requests.last?.query.first { $0.name == "alt" }?.value == "sse")
            #expect(plain.bodyText.hasSuffix("data: [DONE]\n\n"))
            #expect(!plain.bodyText.contains("\"usage\":{"))
            let plainChunks = Self.dataPayloads(plain.bodyText)
            #expect(plainChunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined() == "Hello, world!")
            #expect(!plain.bodyText.contains("The user greets me"))

            let withUsage = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gemini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#)
            let chunks = Self.dataPayloads(withUsage.bodyText)
            #expect(chunks.contains { $0["choices"]?[0]?["finish_reason"]?.stringValue == "stop" })
            #expect(chunks.last?["usage"]?["prompt_tokens"]?.intValue == 12)
            #expect(chunks.last?["usage"]?["completion_tokens"]?.intValue == 9)
            #expect(chunks.last?["choices"]?.arrayValue?.isEmpty == true)

            let entries = try await GatewayPassthroughTests.logged(app, atLeast: 3)
            #expect(entries.count == 3)
            #expect(entries.allSatisfy {
                $0.status == 200 && $0.provider == "gem" && $0.upstreamModel == "gemini-2.5-flash" && $0.inputTokens == 12 && $0.outputTokens == 9
                    && $0.cachedInputTokens == 8 && $0.timeToFirstTokenMs != nil && $0.inboundAPI == "openai.chat_completions"
            })
            #expect(entries.filter(\.stream).count == 2)
            Self.expectKeyKept(fake, [r, plain, withUsage], logs: logs())
        }
        await fake.stop()
    }

    static let toolsRequest = #"""
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}}},
             {"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]
    """#

    @Test func openAIClientsGetTwoToolCallsInOneTurnAndRoundTripTheResults() async throws {
        let fake = try FakeGemini(apiKey: Self.upstreamKey)
        try await withTestApplication(configure: Self.configure(fake)) { app, logs in
            let r = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gemini","tool_choice":"auto","messages":[{"role":"user","content":"Weather and time?"}],"# + Self.toolsRequest + "}")
            #expect(r.status == 200)
            let message = try #require(try JSONValue(parsing: r.body)["choices"]?[0]?["message"])
            #expect(try JSONValue(parsing: r.body)["choices"]?[0]?["finish_reason"]?.stringValue == "tool_calls")
            let calls = try #require(message["tool_calls"]?.arrayValue)
            #expect(calls.count == 2)
            #expect(calls.map { $0["function"]?["name"]?.stringValue } == ["get_weather", "get_time"])
            #expect(calls.allSatisfy { $0["id"]?.stringValue?.hasPrefix("call_") == true && $0["type"]?.stringValue == "function" })
            #expect(try JSONValue(parsing: calls[0]["function"]?["arguments"]?.stringValue ?? "") == ["city": "Paris", "days": 1])
            let sent = try #require(fake.requests.last)
            #expect(sent.body["tools"]?[0]?["functionDeclarations"]?[0]?["parametersJsonSchema"]?["required"] == ["city"])
            #expect(sent.body["toolConfig"]?["functionCallingConfig"]?["mode"]?.stringValue == "AUTO")

            // The client runs the tools and sends the results back, with only the call ids.
            let id0 = calls[0]["id"]?.stringValue ?? ""
            let id1 = calls[1]["id"]?.stringValue ?? ""
            let followUp = #"{"model":"gemini","messages":[{"role":"user","content":"Weather and time?"},"#
                + #"{"role":"assistant","content":null,"tool_calls":"# + JSONValue.array(calls).serializedString() + "},"
                + #"{"role":"tool","tool_call_id":""# + id0 + #"","content":"18C"},{"role":"tool","tool_call_id":""# + id1 + #"","content":"14:05"}],"#
                + Self.toolsRequest + "}"
            let answer = try await Self.post(app.port, "/v1/chat/completions", followUp)
            #expect(answer.status == 200)
            #expect(try JSONValue(parsing: answer.body)["choices"]?[0]?["message"]?["content"]?.stringValue == "Got: get_weather=18C; get_time=14:05")
            let replay = try #require(fake.requests.last)
            let model = try #require(replay.body["contents"]?[1])
            #expect(model["role"]?.stringValue == "model")
            #expect(model["parts"]?[0]?["functionCall"]?["name"]?.stringValue == "get_weather")
            #expect(model["parts"]?[0]?["functionCall"]?["id"]?.stringValue == id0)
            #expect(model["parts"]?[0]?["thoughtSignature"]?.stringValue == "skip_thought_signature_validator")
            let results = try #require(replay.body["contents"]?[2])
            #expect(results["role"]?.stringValue == "user")
            #expect(results["parts"]?[1]?["functionResponse"] == ["id": .string(id1), "name": "get_time", "response": ["output": "14:05"]])
            Self.expectKeyKept(fake, [r, answer], logs: logs())
        }
        await fake.stop()
    }

    @Test func openAIClientsGetStreamedToolCalls() async throws {
        let fake = try FakeGemini(apiKey: Self.upstreamKey)
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let s = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gemini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Weather and time?"}],"# + Self.toolsRequest + "}")
            #expect(s.status == 200)
            let chunks = Self.dataPayloads(s.bodyText)
            let fragments = chunks.compactMap { $0["choices"]?[0]?["delta"]?["tool_calls"]?[0] }
            let starts = fragments.filter { $0["id"] != nil }
            #expect(starts.map { $0["function"]?["name"]?.stringValue } == ["get_weather", "get_time"])
            #expect(starts.map { $0["index"]?.intValue } == [0, 1])
            var arguments: [Int: String] = [:]
            for f in fragments { arguments[f["index"]?.intValue ?? -1, default: ""] += f["function"]?["arguments"]?.stringValue ?? "" }
            #expect(try JSONValue(parsing: arguments[1] ?? "") == ["city": "Tokyo", "days": 2])
            #expect(chunks.contains { $0["choices"]?[0]?["finish_reason"]?.stringValue == "tool_calls" })
            #expect(chunks.last?["usage"]?["total_tokens"]?.intValue == 21)
            #expect(s.bodyText.hasSuffix("data: [DONE]\n\n"))
        }
        await fake.stop()
    }

    // MARK: Anthropic clients

    @Test func anthropicClientsGetTextAnswersAndTheFullEventSequence() async throws {
        let fake = try FakeGemini(apiKey: Self.upstreamKey)
        try await withTestApplication(configure: Self.configure(fake)) { app, logs in
            let r = try await Self.post(app.port, "/v1/messages", #"{"model":"gemini","max_tokens":64,"top_k":20,"system":"Be brief.","messages":[{"role":"user","content":"hi"}]}"#, headers: Self.anthropicHeaders)
            #expect(r.status == 200)
            let body = try JSONValue(parsing: r.body)
            #expect(body["type"]?.stringValue == "message" && body["model"]?.stringValue == "gemini")
            #expect(body["content"] == [["type": "text", "text": "Hello, world!"]])
            #expect(body["stop_reason"]?.stringValue == "end_turn")
            // Anthropic's input_tokens exclude cache reads: 12 prompt tokens, 8 of them cached.
            #expect(body["usage"] == ["input_tokens": 4, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 8, "output_tokens": 9])
            #expect(fake.requests.last?.body["generationConfig"] == ["maxOutputTokens": 64, "topK": 20])
            #expect(fake.requests.last?.headers.first("anthropic-version") == nil)

            let s = try await Self.post(app.port, "/v1/messages", #"{"model":"gemini","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#, headers: Self.anthropicHeaders)
            #expect(s.status == 200)
            #expect(Self.eventNames(s.bodyText) == [
                "message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_stop", "message_delta", "message_stop",
            ])
            let payloads = Self.dataPayloads(s.bodyText)
            #expect(payloads.compactMap { $0["delta"]?["text"]?.stringValue }.joined() == "Hello, world!")
            let delta = try #require(payloads.first { $0["type"]?.stringValue == "message_delta" })
            #expect(delta["delta"]?["stop_reason"]?.stringValue == "end_turn")
            #expect(delta["usage"]?["output_tokens"]?.intValue == 9 && delta["usage"]?["cache_read_input_tokens"]?.intValue == 8)

            let entries = try await GatewayPassthroughTests.logged(app, atLeast: 2)
            #expect(entries.count == 2)
            #expect(entries.allSatisfy { $0.inboundAPI == "anthropic.messages" && $0.status == 200 && $0.inputTokens == 12 && $0.cachedInputTokens == 8 && $0.outputTokens == 9 })
            Self.expectKeyKept(fake, [r, s], logs: logs())
        }
        await fake.stop()
    }

    static let anthropicTools = #"""
    "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}}}},
             {"name":"get_time","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]
    """#

    @Test func anthropicClientsGetToolUseBlocksAndRoundTripTheResults() async throws {
        let fake = try FakeGemini(apiKey: Self.upstreamKey)
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let s = try await Self.post(app.port, "/v1/messages", #"{"model":"gemini","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"Weather and time?"}],"# + Self.anthropicTools + "}", headers: Self.anthropicHeaders)
            #expect(Self.eventNames(s.bodyText) == [
                "message_start", "ping",
                "content_block_start", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop",
            ])
            let payloads = Self.dataPayloads(s.bodyText)
            let blocks = payloads.filter { $0["type"]?.stringValue == "content_block_start" }.compactMap { $0["content_block"] }
            #expect(blocks.map { $0["name"]?.stringValue } == ["get_weather", "get_time"])
            #expect(blocks.allSatisfy { $0["type"]?.stringValue == "tool_use" && $0["id"]?.stringValue?.hasPrefix("call_") == true })
            let inputs = payloads.filter { $0["type"]?.stringValue == "content_block_delta" }.compactMap { $0["delta"]?["partial_json"]?.stringValue }
            #expect(try inputs.map { try JSONValue(parsing: $0) } == [["city": "Paris", "days": 1], ["city": "Tokyo", "days": 2]])
            #expect(payloads.first { $0["type"]?.stringValue == "message_delta" }?["delta"]?["stop_reason"]?.stringValue == "tool_use")

            // Not streamed, then the results go back as tool_result blocks carrying only the ids.
            let r = try await Self.post(app.port, "/v1/messages", #"{"model":"gemini","max_tokens":200,"messages":[{"role":"user","content":"Weather and time?"}],"# + Self.anthropicTools + "}", headers: Self.anthropicHeaders)
            let message = try JSONValue(parsing: r.body)
            #expect(message["stop_reason"]?.stringValue == "tool_use")
            let uses = try #require(message["content"]?.arrayValue)
            #expect(uses.count == 2 && uses.allSatisfy { $0["type"]?.stringValue == "tool_use" })
            let id0 = uses[0]["id"]?.stringValue ?? ""
            let id1 = uses[1]["id"]?.stringValue ?? ""
            let followUp = #"{"model":"gemini","max_tokens":200,"messages":[{"role":"user","content":"Weather and time?"},{"role":"assistant","content":"#
                + JSONValue.array(uses).serializedString()
                + #"},{"role":"user","content":[{"type":"tool_result","tool_use_id":""# + id0 + #"","content":"18C"},{"type":"tool_result","tool_use_id":""# + id1 + #"","content":[{"type":"text","text":"14:05"}]}]}],"#
                + Self.anthropicTools + "}"
            let answer = try await Self.post(app.port, "/v1/messages", followUp, headers: Self.anthropicHeaders)
            #expect(answer.status == 200)
            #expect(try JSONValue(parsing: answer.body)["content"]?[0]?["text"]?.stringValue == "Got: get_weather=18C; get_time=14:05")
            let replay = try #require(fake.requests.last)
            #expect(replay.body["contents"]?[2]?["parts"]?[0]?["functionResponse"]?["name"]?.stringValue == "get_weather")
            #expect(replay.body["contents"]?[2]?["parts"]?[0]?["functionResponse"]?["id"]?.stringValue == id0)
        }
        await fake.stop()
    }

    // MARK: Failures

    @Test func upstreamErrorsBecomeFittingClientErrors() async throws {
        let fake = try FakeGemini(apiKey: Self.upstreamKey)
        try await withTestApplication(configure: Self.configure(fake)) { app, logs in
            let request = #"{"model":"gemini","messages":[{"role":"user","content":"hi"}]}"#
            // Google answers a wrong key with a 400 that names the key; the client learns only that Keel's key failed.
            let badKey = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gemini-badkey","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(badKey.status == 502)
            #expect(badKey.bodyText.contains("upstream_authentication_failed"))

            fake.fail(with: .status(429, body: FakeGemini.errorBody(code: 429, message: "You exceeded your current quota.", status: "RESOURCE_EXHAUSTED", details: [
                ["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"],
            ]), headers: [:]))
            let limited = try await Self.post(app.port, "/v1/chat/completions", request)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "12")
            #expect(limited.bodyText.contains("You exceeded your current quota."))

            fake.fail(with: .status(404, body: FakeGemini.errorBody(code: 404, message: "models/gemini-2.5-flash is not found for API version v1beta.", status: "NOT_FOUND"), headers: [:]))
            let missing = try await Self.post(app.port, "/v1/messages", #"{"model":"gemini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#, headers: Self.anthropicHeaders)
            #expect(missing.status == 404)
            #expect(missing.bodyText.hasPrefix(#"{"type":"error","error":{"type":"not_found_error""#))

            fake.fail(with: .status(400, body: FakeGemini.errorBody(code: 400, message: "Please use a valid role: user, model.", status: "INVALID_ARGUMENT"), headers: [:]))
            let invalid = try await Self.post(app.port, "/v1/chat/completions", request)
            #expect(invalid.status == 400)
            #expect(invalid.bodyText.contains("Please use a valid role"))

            fake.fail(with: .status(500, body: FakeGemini.errorBody(code: 500, message: "An internal error has occurred.", status: "INTERNAL"), headers: [:]))
            #expect(try await Self.post(app.port, "/v1/chat/completions", request).status == 502)

            let entries = try await GatewayPassthroughTests.logged(app)
            #expect(entries.map(\.status).sorted() == [400, 404, 429, 502, 502])
            #expect(!logs().joined().contains("AIzaSyWrongKey"))
            Self.expectKeyKept(fake, [badKey, limited, missing, invalid], logs: logs())
        }
        await fake.stop()
    }

    @Test func aCutStreamEndsWithTheClientsInStreamError() async throws {
        let fake = try FakeGemini(apiKey: Self.upstreamKey)
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            fake.fail(with: .truncateStream)
            let openAI = try await Self.post(app.port, "/v1/chat/completions", #"{"model":"gemini","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(openAI.status == 200)
            let chunks = Self.dataPayloads(openAI.bodyText)
            #expect(chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined() == "Hello, ")
            #expect(chunks.last?["error"]?["message"]?.stringValue?.contains("ended before") == true)
            #expect(!openAI.bodyText.contains("[DONE]"))

            let anthropic = try await Self.post(app.port, "/v1/messages", #"{"model":"gemini","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#, headers: Self.anthropicHeaders)
            let names = Self.eventNames(anthropic.bodyText)
            #expect(names.first == "message_start")
            #expect(names.last == "error")
            #expect(!names.contains("message_stop"))

            let entries = try await GatewayPassthroughTests.logged(app, atLeast: 2)
            #expect(entries.count == 2)
            #expect(entries.allSatisfy { $0.status == 502 && $0.stream && $0.errorMessage?.contains("ended before") == true })
        }
        await fake.stop()
    }
}
