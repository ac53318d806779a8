import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

/// OpenAI and Anthropic clients reaching Bedrock models through the whole application, against a
/// fake Bedrock Runtime that verifies every request's SigV4 signature (or bearer key).
@Suite("Gateway to Bedrock", .serialized)
struct BedrockGatewayTests {
    typealias P = GatewayPassthroughTests
    static let claude = "anthropic.claude-3-5-sonnet-20240620-v1:0"

    static func configure(_ fake: FakeBedrock) -> (inout KeelConfig) -> Void {
        { config in
            config.server.masterKey = Secret(P.key)
            config.providers = [
                ProviderConfig(name: "aws", kind: .bedrock, baseURL: fake.baseURL, region: fake.region,
                               accessKeyID: Secret(fake.credentials.accessKeyID), secretAccessKey: fake.credentials.secretAccessKey),
                ProviderConfig(name: "aws-key", kind: .bedrock, baseURL: fake.baseURL, apiKey: Secret(fake.apiKey), region: fake.region),
                ProviderConfig(name: "aws-wrong", kind: .bedrock, baseURL: fake.baseURL, region: fake.region,
                               accessKeyID: Secret(fake.credentials.accessKeyID), secretAccessKey: Secret("not-the-right-secret-key-0123456789abcdef")),
            ]
            config.models = [
                ModelConfig(name: "sonnet", routes: [RouteConfig(provider: "aws", model: claude)]),
                ModelConfig(name: "nova", routes: [RouteConfig(provider: "aws-key", model: "us.amazon.nova-pro-v1:0")]),
                ModelConfig(name: "misconfigured", routes: [RouteConfig(provider: "aws-wrong", model: claude)]),
            ]
        }
    }

    static let anthropicHeaders = [("x-api-key", P.key), ("anthropic-version", "2023-06-01")]
    static let twoCalls: FakeBedrock.Reply = .tools(text: nil, calls: [
        (id: "tooluse_Paris01", name: "get_weather", input: #"{"city":"Paris","unit":"celsius"}"#),
        (id: "tooluse_Berlin2", name: "get_weather", input: #"{"city":"Berlin","unit":"celsius"}"#),
    ])
    static let tools = #""tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}}}}}]"#
    static let anthropicTools = #""tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}}}}]"#

    /// The JSON payloads of an OpenAI stream's `data:` lines (without `[DONE]`) and whether it ended with `[DONE]`.
    static func chunks(_ r: RawHTTPConnection.Response) -> (chunks: [JSONValue], done: Bool) {
        let datas = r.bodyText.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        return (datas.filter { $0 != "[DONE]" }.compactMap { try? JSONValue(parsing: $0) }, datas.last == "[DONE]")
    }

    /// The `(event, data)` pairs of an Anthropic stream.
    static func events(_ r: RawHTTPConnection.Response) -> [(name: String, data: JSONValue)] {
        r.bodyText.components(separatedBy: "\n\n").compactMap { block in
            let lines = block.components(separatedBy: "\n")
            guard let name = lines.first(where: { $0.hasPrefix("event: ") }), let data = lines.first(where: { $0.hasPrefix("data: ") }),
                  let json = try? JSONValue(parsing: String(data.dropFirst(6))) else { return nil }
            return (String(name.dropFirst(7)), json)
        }
    }

    @Test func openAIClientsGetTextStreamedAndNotWithSignedRequests() async throws {
        let fake = try FakeBedrock()
        try await withTestApplication(configure: Self.configure(fake)) { app, logs in
            let r = try await P.post(app.port, "/v1/chat/completions", #"{"model":"sonnet","max_tokens":100,"temperature":0.2,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}"#)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "aws/\(Self.claude)")
            let body = try JSONValue(parsing: r.body)
            #expect(body["object"] == "chat.completion")
            #expect(body["model"] == "sonnet")
            #expect(body["choices"]?[0]?["message"]?["content"]?.stringValue == "Hello, world!")
            #expect(body["choices"]?[0]?["finish_reason"] == "stop")
            #expect(body["usage"]?["prompt_tokens"] == 18)
            #expect(body["usage"]?["completion_tokens"] == 4)
            #expect(body["usage"]?["prompt_tokens_details"]?["cached_tokens"] == 6)
            let sent = try #require(fake.requests.last)
            #expect(sent.operation == "converse" && sent.modelID == Self.claude)
            #expect(sent.signatureVerified)
            #expect(sent.body["system"] == [["text": "Be brief."]])
            #expect(sent.body["messages"] == [["role": "user", "content": [["text": "hi"]]]])
            #expect(sent.body["inferenceConfig"] == ["maxTokens": 100, "temperature": 0.2])
            #expect(sent.headers.first("authorization")?.contains(P.key) == false)

            let s = try await P.post(app.port, "/v1/chat/completions", #"{"model":"sonnet","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(s.status == 200)
            #expect(fake.requests.last?.operation == "converse-stream")
            #expect(fake.requests.last?.signatureVerified == true)
            let (chunks, done) = Self.chunks(s)
            #expect(done)
            #expect(chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined() == "Hello, world!")
            #expect(chunks.contains { $0["choices"]?[0]?["finish_reason"] == "stop" })
            #expect(chunks.last?["usage"]?["prompt_tokens"] == 18)
            #expect(chunks.last?["choices"] == [])

            let plain = try await P.post(app.port, "/v1/chat/completions", #"{"model":"sonnet","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(!plain.bodyText.contains("\"prompt_tokens\""))
            #expect(Self.chunks(plain).done)

            let entries = try await P.logged(app, atLeast: 3)
            #expect(entries.count == 3)
            #expect(entries.allSatisfy {
                $0.status == 200 && $0.provider == "aws" && $0.upstreamModel == Self.claude && $0.model == "sonnet"
                    && $0.inputTokens == 18 && $0.outputTokens == 4 && $0.cachedInputTokens == 6
            })
            #expect(entries.filter(\.stream).allSatisfy { $0.timeToFirstTokenMs != nil })
            #expect(!logs().joined().contains(fake.credentials.secretAccessKey.reveal()))
        }
        #expect(fake.rejectedCount == 0)
        await fake.stop()
    }

    @Test func openAIClientsGetTwoToolCallsStreamedAndNotAndSendResultsBack() async throws {
        let fake = try FakeBedrock()
        fake.reply(with: Self.twoCalls)
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let ask = #"{"model":"sonnet",\#(Self.tools),"tool_choice":"required","messages":[{"role":"user","content":"Weather in Paris and Berlin?"}]"#
            let r = try await P.post(app.port, "/v1/chat/completions", ask + "}")
            #expect(r.status == 200)
            let message = try JSONValue(parsing: r.body)["choices"]?[0]
            #expect(message?["finish_reason"] == "tool_calls")
            let calls = try #require(message?["message"]?["tool_calls"]?.arrayValue)
            #expect(calls.map { $0["id"]?.stringValue } == ["tooluse_Paris01", "tooluse_Berlin2"])
            #expect(calls[1]["function"]?["arguments"] == #"{"city":"Berlin","unit":"celsius"}"#)
            #expect(fake.requests.last?.body["toolConfig"]?["toolChoice"] == ["any": [:]])
            #expect(fake.requests.last?.body["toolConfig"]?["tools"]?[0]?["toolSpec"]?["name"] == "get_weather")

            let s = try await P.post(app.port, "/v1/chat/completions", ask + #","stream":true}"#)
            let (chunks, done) = Self.chunks(s)
            #expect(done)
            var arguments: [Int: String] = [:]
            var ids: [Int: String] = [:]
            for chunk in chunks {
                for call in chunk["choices"]?[0]?["delta"]?["tool_calls"]?.arrayValue ?? [] {
                    let index = try #require(call["index"]?.intValue)
                    if let id = call["id"]?.stringValue { ids[index] = id }
                    arguments[index, default: ""] += call["function"]?["arguments"]?.stringValue ?? ""
                }
            }
            #expect(ids == [0: "tooluse_Paris01", 1: "tooluse_Berlin2"])
            #expect(arguments == [0: #"{"city":"Paris","unit":"celsius"}"#, 1: #"{"city":"Berlin","unit":"celsius"}"#])
            #expect(chunks.contains { $0["choices"]?[0]?["finish_reason"] == "tool_calls" })

            // The results go back as toolResult blocks in one user message.
            fake.reply(with: .text)
            let answer = try await P.post(app.port, "/v1/chat/completions", #"""
            {"model":"sonnet",\#(Self.tools),"messages":[
              {"role":"user","content":"Weather in Paris and Berlin?"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"tooluse_Paris01","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"celsius\"}"}},
                {"id":"tooluse_Berlin2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Berlin\",\"unit\":\"celsius\"}"}}]},
              {"role":"tool","tool_call_id":"tooluse_Paris01","content":"21"},
              {"role":"tool","tool_call_id":"tooluse_Berlin2","content":"17"}]}
            """#)
            #expect(answer.status == 200)
            let sent = try #require(fake.requests.last?.body["messages"]?.arrayValue)
            #expect(sent.count == 3)
            #expect(sent[1]["content"]?[1] == ["toolUse": ["toolUseId": "tooluse_Berlin2", "name": "get_weather", "input": ["city": "Berlin", "unit": "celsius"]]])
            #expect(sent[2] == ["role": "user", "content": [
                ["toolResult": ["toolUseId": "tooluse_Paris01", "content": [["text": "21"]]]],
                ["toolResult": ["toolUseId": "tooluse_Berlin2", "content": [["text": "17"]]]],
            ]])
            #expect(fake.requests.allSatisfy { $0.signatureVerified })
        }
        await fake.stop()
    }

    @Test func anthropicClientsGetTheFullEventSequence() async throws {
        let fake = try FakeBedrock()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let r = try await P.post(app.port, "/v1/messages", #"{"model":"sonnet","max_tokens":64,"system":"Be brief.","messages":[{"role":"user","content":"hi"}]}"#, headers: Self.anthropicHeaders)
            #expect(r.status == 200)
            let body = try JSONValue(parsing: r.body)
            #expect(body["type"] == "message" && body["model"] == "sonnet")
            #expect(body["content"] == [["type": "text", "text": "Hello, world!"]])
            #expect(body["stop_reason"] == "end_turn")
            #expect(body["usage"] == ["input_tokens": 10, "cache_creation_input_tokens": 2, "cache_read_input_tokens": 6, "output_tokens": 4])

            let s = try await P.post(app.port, "/v1/messages", #"{"model":"sonnet","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#, headers: Self.anthropicHeaders)
            let events = Self.events(s)
            #expect(events.map(\.name) == ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"])
            #expect(events.compactMap { $0.data["delta"]?["text"]?.stringValue }.joined() == "Hello, world!")
            #expect(events[8].data["delta"]?["stop_reason"] == "end_turn")
            #expect(events[8].data["usage"]?["output_tokens"] == 4)

            fake.reply(with: .tools(text: "Checking.", calls: [(id: "tooluse_Paris01", name: "get_weather", input: #"{"city":"Paris"}"#), (id: "tooluse_Berlin2", name: "get_weather", input: #"{"city":"Berlin"}"#)]))
            let t = try await P.post(app.port, "/v1/messages", #"{"model":"sonnet","max_tokens":64,"stream":true,\#(Self.anthropicTools),"messages":[{"role":"user","content":"Weather?"}]}"#, headers: Self.anthropicHeaders)
            let toolEvents = Self.events(t)
            #expect(toolEvents.map(\.name) == [
                "message_start", "ping",
                "content_block_start", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop",
            ])
            #expect(toolEvents[5].data["content_block"] == ["type": "tool_use", "id": "tooluse_Paris01", "name": "get_weather", "input": [:]])
            let input = toolEvents.filter { $0.data["index"] == 2 }.compactMap { $0.data["delta"]?["partial_json"]?.stringValue }.joined()
            #expect(input == #"{"city":"Berlin"}"#)
            #expect(toolEvents[15].data["delta"]?["stop_reason"] == "tool_use")

            let n = try await P.post(app.port, "/v1/messages", #"{"model":"sonnet","max_tokens":64,\#(Self.anthropicTools),"messages":[{"role":"user","content":"Weather?"}]}"#, headers: Self.anthropicHeaders)
            let content = try #require(try JSONValue(parsing: n.body)["content"]?.arrayValue)
            #expect(content.map { $0["type"]?.stringValue } == ["text", "tool_use", "tool_use"])
            #expect(content[2]["input"] == ["city": "Berlin"])

            // The tool results of an Anthropic client go back to Bedrock.
            fake.reply(with: .text)
            let back = try await P.post(app.port, "/v1/messages", #"""
            {"model":"sonnet","max_tokens":64,\#(Self.anthropicTools),"messages":[
              {"role":"user","content":"Weather?"},
              {"role":"assistant","content":[{"type":"tool_use","id":"tooluse_Paris01","name":"get_weather","input":{"city":"Paris"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"tooluse_Paris01","content":"timeout","is_error":true},{"type":"text","text":"Try again?"}]}]}
            """#, headers: Self.anthropicHeaders)
            #expect(back.status == 200)
            #expect(fake.requests.last?.body["messages"]?[2]?["content"] == [
                ["toolResult": ["toolUseId": "tooluse_Paris01", "content": [["text": "timeout"]], "status": "error"]],
                ["text": "Try again?"],
            ])
            let entries = try await P.logged(app, atLeast: 5)
            #expect(entries.count == 5)
            #expect(entries.allSatisfy { $0.status == 200 && $0.inboundAPI == "anthropic.messages" && $0.inputTokens == 18 && $0.cachedInputTokens == 6 && $0.outputTokens == 4 })
        }
        await fake.stop()
    }

    @Test func upstreamErrorsKeepTheirMeaningAndTheClientsShape() async throws {
        let fake = try FakeBedrock()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let ask = #"{"model":"sonnet","messages":[{"role":"user","content":"hi"}]}"#
            fake.fail(with: .status(429, type: "ThrottlingException", message: "Too many requests, please wait before trying again.", headers: ["retry-after": "2"]))
            let limited = try await P.post(app.port, "/v1/chat/completions", ask)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "2")
            #expect(limited.bodyText.contains("Too many requests"))

            fake.fail(with: .status(400, type: "ValidationException", message: "A conversation must start with a user message."))
            let invalid = try await P.post(app.port, "/v1/messages", #"{"model":"sonnet","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#, headers: Self.anthropicHeaders)
            #expect(invalid.status == 400)
            #expect(invalid.bodyText.hasPrefix(#"{"type":"error","error":{"type":"invalid_request_error","message":"A conversation must start with a user message."#))

            fake.fail(with: .status(404, type: "ResourceNotFoundException", message: "Could not resolve the foundation model from the provided model identifier."))
            let missing = try await P.post(app.port, "/v1/chat/completions", ask)
            #expect(missing.status == 404)
            #expect(missing.bodyText.contains("model_not_found"))

            fake.fail(with: .status(408, type: "ModelTimeoutException", message: "Model has timed out in processing the request."))
            #expect(try await P.post(app.port, "/v1/chat/completions", ask).status == 504)
            fake.fail(with: nil)

            // Keel's AWS secret is wrong: the fake refuses the signature; the client's key was fine.
            let refused = try await P.post(app.port, "/v1/chat/completions", #"{"model":"misconfigured","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(refused.status == 502)
            #expect(refused.bodyText.contains("upstream_authentication_failed"))
            #expect(fake.rejectedCount == 1)

            // Refused before anything is sent: image links and n > 1.
            let link = try await P.post(app.port, "/v1/chat/completions", #"{"model":"sonnet","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}"#)
            #expect(link.status == 400)
            #expect(try await P.post(app.port, "/v1/chat/completions", #"{"model":"sonnet","n":2,"messages":[{"role":"user","content":"hi"}]}"#).status == 400)

            let entries = try await P.logged(app)
            #expect(entries.map(\.status).sorted() == [400, 400, 400, 404, 429, 502, 504])
            #expect(fake.requests.count == 4)
        }
        await fake.stop()
    }

    @Test func failuresInsideAStreamBecomeTheClientsErrorEvent() async throws {
        let fake = try FakeBedrock()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            fake.fail(with: .exceptionMidStream(type: "throttlingException", message: "Too many tokens, please wait before trying again."))
            let openAI = try await P.post(app.port, "/v1/chat/completions", #"{"model":"sonnet","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(openAI.status == 200)
            let (chunks, done) = Self.chunks(openAI)
            #expect(!done)
            #expect(chunks.first?["choices"]?[0]?["delta"]?["role"] == "assistant")
            #expect(chunks.contains { $0["choices"]?[0]?["delta"]?["content"] == "Hello" })
            #expect(chunks.last?["error"]?["message"] == "Too many tokens, please wait before trying again.")

            fake.fail(with: .exceptionMidStream(type: "modelStreamErrorException", message: "Model stream error"))
            let anthropic = try await P.post(app.port, "/v1/messages", #"{"model":"sonnet","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#, headers: Self.anthropicHeaders)
            let events = Self.events(anthropic)
            #expect(events.last?.name == "error")
            #expect(events.last?.data["error"]?["message"]?.stringValue?.contains("Model stream error") == true)
            #expect(!events.contains { $0.name == "message_stop" })

            fake.fail(with: .corruptStream)
            let corrupt = try await P.post(app.port, "/v1/chat/completions", #"{"model":"sonnet","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(Self.chunks(corrupt).chunks.last?["error"]?["message"]?.stringValue?.contains("CRC") == true)

            fake.fail(with: .truncateStream)
            let cut = try await P.post(app.port, "/v1/chat/completions", #"{"model":"sonnet","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(Self.chunks(cut).chunks.last?["error"] != nil)
            #expect(!Self.chunks(cut).done)

            let entries = try await P.logged(app)
            #expect(entries.map(\.status).sorted() == [429, 502, 502, 502])
            #expect(entries.allSatisfy { $0.stream && $0.errorMessage != nil })
        }
        await fake.stop()
    }

    @Test func aBedrockAPIKeyIsSentAsABearerToken() async throws {
        let fake = try FakeBedrock()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let r = try await P.post(app.port, "/v1/chat/completions", #"{"model":"nova","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(r.status == 200)
            let sent = try #require(fake.requests.last)
            #expect(!sent.signatureVerified)
            #expect(sent.headers.first("authorization") == "Bearer \(fake.apiKey)")
            #expect(sent.headers.first("x-amz-date") == nil)
            #expect(sent.modelID == "us.amazon.nova-pro-v1:0")
        }
        await fake.stop()
    }
}
