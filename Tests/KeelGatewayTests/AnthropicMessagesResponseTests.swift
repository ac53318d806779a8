import KeelCore
import KeelGateway
import KeelHTTP
import Testing


@Suite("Anthropic Messages codec: responses")
struct AnthropicMessagesResponseTests {
    /// A response as the API sends it: a thinking block, text, a tool call, cache usage.
    static let recorded = #"""
    {"model":"claude-sonnet-4-5-20250929","id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant",
     "content":[
       {"type":"thinking","thinking":"Need the weather.","signature":"EuYBCkQYAiJAgCs"},
       {"type":"text","text":"I'll check the weather in San Francisco."},
       {"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"San Francisco, CA","unit":"celsius"}}],
     "stop_reason":"tool_use","stop_sequence":null,
     "usage":{"input_tokens":472,"cache_creation_input_tokens":1200,"cache_read_input_tokens":24000,"cache_creation":{"ephemeral_5m_input_tokens":1200,"ephemeral_1h_input_tokens":0},"output_tokens":89,"service_tier":"standard"}}
    """#

    @Test func decodesARecordedResponse() throws {
        let response = try AnthropicMessagesCodec.decodeResponse(try json(Self.recorded), created: 1_700_000_000)
        #expect(response.id == "msg_01Aq9w938a90dw8q")
        #expect(response.model == "claude-sonnet-4-5-20250929")
        #expect(response.created == 1_700_000_000)
        #expect(response.content == [
            .text("I'll check the weather in San Francisco."),
            .toolCall(id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", arguments: #"{"location":"San Francisco, CA","unit":"celsius"}"#),
        ])
        #expect(response.stopReason == .toolUse)
        #expect(response.usage == ChatUsage(inputTokens: 472 + 24000 + 1200, outputTokens: 89, cachedInputTokens: 24000, cacheWriteTokens: 1200))
        #expect(response.usage.uncachedInputTokens == 472)
    }

    @Test(arguments: [
        ("end_turn", JSONValue.null, ChatStopReason.endTurn),
        ("max_tokens", .null, .maxTokens),
        ("stop_sequence", "\n\nHuman:", .stopSequence("\n\nHuman:")),
        ("tool_use", .null, .toolUse),
        ("refusal", .null, .contentFilter),
        ("pause_turn", .null, .endTurn),
        ("model_context_window_exceeded", .null, .maxTokens),
        ("something_new", .null, .other("something_new")),
    ])
    func everyStopReason(reason: String, sequence: JSONValue, expected: ChatStopReason) throws {
        var body = try json(#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"Hi"}],"usage":{"input_tokens":3,"output_tokens":1}}"#)
        body.withObject {
            $0["stop_reason"] = .string(reason)
            $0["stop_sequence"] = sequence
        }
        let response = try AnthropicMessagesCodec.decodeResponse(body)
        #expect(response.stopReason == expected)
        #expect(response.usage == ChatUsage(inputTokens: 3, outputTokens: 1))
    }

    @Test func encodesAResponseForAnthropicClients() throws {
        let response = ChatResponse(
            id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", model: "gpt-4o-2024-08-06",
            content: [
                .text(""),
                .text("Let me look that up."),
                .toolCall(id: "call_Vx1", name: "search", arguments: #"{"q": "swift 6.3"}"#),
                .toolCall(id: "call_Vx2", name: "search", arguments: #"{"q": "trunc"#),
            ],
            stopReason: .toolUse,
            usage: ChatUsage(inputTokens: 2006, outputTokens: 300, cachedInputTokens: 1920, cacheWriteTokens: 0, reasoningTokens: 10),
            created: 1_727_000_000)
        let body = AnthropicMessagesCodec.encodeResponse(response, model: "my-gpt")
        let expected = try json(#"""
        {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","type":"message","role":"assistant","model":"my-gpt",
         "content":[{"type":"text","text":"Let me look that up."},
                    {"type":"tool_use","id":"call_Vx1","name":"search","input":{"q":"swift 6.3"}},
                    {"type":"tool_use","id":"call_Vx2","name":"search","input":{}}],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":86,"cache_creation_input_tokens":0,"cache_read_input_tokens":1920,"output_tokens":300}}
        """#)
        #expect(body.serializedString() == expected.serializedString())
    }

    @Test(arguments: [
        (ChatStopReason.endTurn, "end_turn", JSONValue.null),
        (.maxTokens, "max_tokens", .null),
        (.stopSequence("END"), "stop_sequence", "END"),
        (.stopSequence(nil), "stop_sequence", .null),
        (.toolUse, "tool_use", .null),
        (.contentFilter, "refusal", .null),
        (.other("recitation"), "end_turn", .null),
    ])
    func encodesEveryStopReason(reason: ChatStopReason, expected: String, sequence: JSONValue) {
        let response = ChatResponse(id: "msg_1", model: "x", content: [.text("a")], stopReason: reason, usage: ChatUsage(), created: 0)
        let body = AnthropicMessagesCodec.encodeResponse(response, model: "x")
        #expect(body["stop_reason"] == .string(expected))
        #expect(body["stop_sequence"] == sequence)
    }

    @Test func responseRoundTrips() throws {
        let response = ChatResponse(
            id: "msg_013Zva2CMHLNnXjNJJKqJ2EF", model: "claude-opus-4-1",
            content: [.text("Part one. "), .text("Part two."), .toolCall(id: "toolu_1", name: "f", arguments: #"{"a":[1,2.50,{"b":null}]}"#)],
            stopReason: .stopSequence("###"),
            usage: ChatUsage(inputTokens: 1000, outputTokens: 20, cachedInputTokens: 600, cacheWriteTokens: 300),
            created: 42)
        let encoded = AnthropicMessagesCodec.encodeResponse(response, model: "claude-opus-4-1")
        #expect(encoded["usage"] == ["input_tokens": 100, "cache_creation_input_tokens": 300, "cache_read_input_tokens": 600, "output_tokens": 20])
        let decoded = try AnthropicMessagesCodec.decodeResponse(encoded, created: 42)
        #expect(decoded == response)
    }

    private func responseError(_ text: String) throws -> GatewayError? {
        let body = try json(text)
        do {
            _ = try AnthropicMessagesCodec.decodeResponse(body)
            return nil
        } catch {
            return error
        }
    }

    @Test func malformedResponsesAre502s() throws {
        for text in ["[]", #"{"id":"msg_1","type":"message"}"#, #"{"content":[{"type":"text"}]}"#, #"{"content":[{"type":"tool_use","name":"f"}]}"#] {
            let error = try #require(try responseError(text))
            #expect(error.status == 502)
            #expect(error.kind == .upstreamProtocol)
        }
        let overloaded = try #require(try responseError(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#))
        #expect(overloaded.status == 529)
        #expect(overloaded.kind == .upstream)
    }
}

@Suite("Anthropic Messages codec: upstream errors")
struct AnthropicMessagesErrorTests {
    private static func body(_ type: String, _ message: String) -> [UInt8] {
        Array(#"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#.utf8)
    }

    @Test(arguments: [
        (400, "invalid_request_error", "messages.1.content.0.tool_use.input: Field required", 400, "invalid_request_error"),
        (401, "authentication_error", "invalid x-api-key", 502, "api_error"),
        (402, "billing_error", "Your credit balance is too low", 502, "api_error"),
        (403, "permission_error", "Your API key does not have permission to use the specified resource.", 403, "permission_error"),
        (404, "not_found_error", "model: claude-3-opus-99999999", 404, "not_found_error"),
        (408, "timeout_error", "Request timed out", 504, "api_error"),
        (413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", 413, "request_too_large"),
        (429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", 429, "rate_limit_error"),
        (500, "api_error", "Internal server error", 502, "api_error"),
        (503, "api_error", "Service unavailable", 502, "api_error"),
        (504, "timeout_error", "Stream timed out", 504, "api_error"),
        (529, "overloaded_error", "Overloaded", 529, "overloaded_error"),
    ])
    func mapsStatusAndType(status: Int, type: String, message: String, expectedStatus: Int, expectedType: String) {
        let error = AnthropicMessagesCodec.decodeError(status: status, body: Self.body(type, message), headers: ["request-id": "req_1", "x-api-key": "sk-ant-secret"])
        #expect(error.status == expectedStatus)
        #expect(HTTPError.defaultType(status: error.status, format: .anthropic) == expectedType)
        #expect(error.message.contains("req_011CSHoEeqs5C35K2UUqR7Fy"))
        #expect(!error.message.contains("sk-ant-secret"))
        #expect(error.headers.isEmpty)
        if expectedStatus == 502 && status < 500 {
            #expect(error.code == "upstream_authentication_failed")
            #expect(error.message.hasPrefix("Upstream authentication failed"))
            #expect(!error.message.contains(message))
        } else {
            #expect(error.message.contains(message))
        }
        #expect(error.kind == (expectedStatus == 504 ? .upstreamUnavailable : .upstream))
    }

    @Test func notFoundModelHasACode() {
        let error = AnthropicMessagesCodec.decodeError(status: 404, body: Self.body("not_found_error", "model: claude-nope"), headers: [:])
        #expect(error.code == "model_not_found")
    }

    @Test func retryAfterIsKept() {
        let headers: HTTPHeaders = ["retry-after": "17", "anthropic-ratelimit-requests-remaining": "0", "x-api-key": "sk-ant-secret"]
        let limited = AnthropicMessagesCodec.decodeError(status: 429, body: Self.body("rate_limit_error", "slow down"), headers: headers)
        #expect(limited.headers == ["retry-after": "17"])
        let overloaded = AnthropicMessagesCodec.decodeError(status: 529, body: Self.body("overloaded_error", "Overloaded"), headers: headers)
        #expect(overloaded.headers == ["retry-after": "17"])
        let bad = AnthropicMessagesCodec.decodeError(status: 400, body: Self.body("invalid_request_error", "x"), headers: headers)
        #expect(bad.headers.isEmpty)
    }

    @Test func nonJSONBodies() {
        let html = AnthropicMessagesCodec.decodeError(status: 502, body: Array("<html><body><h1>502 Bad Gateway</h1></body></html>".utf8), headers: [:])
        #expect(html.status == 502)
        #expect(html.message == "The upstream failed: HTTP 502")
        let text = AnthropicMessagesCodec.decodeError(status: 503, body: Array("upstream connect error\nor disconnect/reset before headers".utf8), headers: [:])
        #expect(text.status == 502)
        #expect(text.message == "The upstream failed: upstream connect error or disconnect/reset before headers")
        let empty = AnthropicMessagesCodec.decodeError(status: 429, body: [], headers: ["Retry-After": "3"])
        #expect(empty.status == 429)
        #expect(empty.headers == ["retry-after": "3"])
        let binary = AnthropicMessagesCodec.decodeError(status: 500, body: [0xFF, 0xFE, 0x00], headers: [:])
        #expect(binary.message == "The upstream failed: HTTP 500")
    }

    @Test func echoedKeysAreScrubbed() {
        let rejected = AnthropicMessagesCodec.decodeError(
            status: 400, body: Self.body("invalid_request_error", "x-api-key sk-ant-api03-Abc123def456 is not valid for this workspace"), headers: [:])
        #expect(rejected.message.hasPrefix("x-api-key [redacted] is not valid for this workspace"))
        let plain = AnthropicMessagesCodec.decodeError(status: 500, body: Array("proxy refused Bearer eyJhbGciOi.abc".utf8), headers: [:])
        #expect(plain.message == "The upstream failed: proxy refused Bearer [redacted]")
        let streamed = gatewayError {
            var decoder = AnthropicMessagesCodec.StreamDecoder()
            _ = try decoder.decode(event: "error", data: #"{"type":"error","error":{"type":"api_error","message":"bad key sk-ant-api03-Abc123def456"}}"#)
        }
        #expect(streamed?.message == "The upstream failed: bad key [redacted]")
    }

    @Test func errorRendersInBothClientFormats() {
        let error = AnthropicMessagesCodec.decodeError(status: 529, body: Self.body("overloaded_error", "Overloaded"), headers: [:])
        let anthropic = HTTPError(error.status, error.message, type: error.type).body(format: .anthropic)
        #expect(anthropic.hasPrefix(#"{"type":"error","error":{"type":"overloaded_error","message":"The upstream is overloaded: Overloaded"#))
    }
}
