import KeelCore
import KeelHTTP
import Testing

@testable import KeelGateway

@Suite("OpenAI chat codec: responses and errors")
struct OpenAIChatResponseTests {
    @Test("decodes a chat.completion with tool calls and cached-token usage")
    func decodeToolCalls() throws {
        let body = try json(#"""
        {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741570283,"model":"gpt-4o-2024-08-06",
         "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
            {"id":"call_9pw1qnYScqvGrCH58HWCvFH6","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}},
            {"id":"call_oUDfzRUtmbsNNCVCTfpw5vTO","type":"function","function":{"name":"get_time","arguments":"{\"tz\":\"CET\"}"}}],
          "refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
          "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},
          "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
         "service_tier":"default","system_fingerprint":"fp_fc9f1d7035"}
        """#)
        let r = try OpenAIChatCodec.decodeResponse(body)
        #expect(r.id == "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG")
        #expect(r.model == "gpt-4o-2024-08-06")
        #expect(r.created == 1741570283)
        #expect(r.content == [
            .toolCall(id: "call_9pw1qnYScqvGrCH58HWCvFH6", name: "get_weather", arguments: #"{"location":"Paris"}"#),
            .toolCall(id: "call_oUDfzRUtmbsNNCVCTfpw5vTO", name: "get_time", arguments: #"{"tz":"CET"}"#),
        ])
        #expect(r.stopReason == .toolUse)
        #expect(r.usage == ChatUsage(inputTokens: 2006, outputTokens: 300, cachedInputTokens: 1920, reasoningTokens: 0))
        #expect(r.alternatives.isEmpty)
    }

    @Test("maps every finish_reason", arguments: [
        ("stop", ChatStopReason.endTurn), ("length", .maxTokens), ("tool_calls", .toolUse),
        ("function_call", .toolUse), ("content_filter", .contentFilter), ("eos", .other("eos")),
    ])
    func finishReasons(reason: String, expected: ChatStopReason) throws {
        let r = try OpenAIChatCodec.decodeResponse(try json(#"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"\#(reason)"}]}"#))
        #expect(r.stopReason == expected)
        #expect(r.content == [.text("hi")])
        #expect(r.usage == ChatUsage())
    }

    @Test("tool calls with finish_reason stop read as tool use; a refusal reads as a content filter")
    func lenientStops() throws {
        let tools = try OpenAIChatCodec.decodeResponse(try json(#"{"id":"x","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"a":1}}}]},"finish_reason":"stop"}]}"#))
        #expect(tools.stopReason == .toolUse)
        #expect(tools.content == [.toolCall(id: "c", name: "f", arguments: #"{"a":1}"#)])
        let refusal = try OpenAIChatCodec.decodeResponse(try json(#"{"id":"x","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I'm sorry, I can't assist with that request."},"logprobs":null,"finish_reason":"stop"}]}"#))
        #expect(refusal.stopReason == .contentFilter)
        #expect(refusal.content == [.text("I'm sorry, I can't assist with that request.")])
        let legacy = try OpenAIChatCodec.decodeResponse(try json(#"{"id":"x","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},"finish_reason":"function_call"}]}"#))
        guard case .toolCall(let id, "f", "{}") = try #require(legacy.content.first) else {
            Issue.record("expected a tool call")
            return
        }
        #expect(id.hasPrefix("call_"))
        #expect(legacy.stopReason == .toolUse)
    }

    @Test("several choices become alternatives in index order; DeepSeek cache hits and reasoning tokens count")
    func multipleChoices() throws {
        let r = try OpenAIChatCodec.decodeResponse(try json(#"""
        {"id":"x","object":"chat.completion","created":5,"model":"m","choices":[
          {"index":1,"message":{"role":"assistant","content":"B"},"finish_reason":"length"},
          {"index":0,"message":{"role":"assistant","content":"A"},"finish_reason":"stop"},
          {"index":2,"message":{"role":"assistant","content":"C"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":10,"completion_tokens":30,"total_tokens":40,"prompt_cache_hit_tokens":8,"prompt_cache_miss_tokens":2,
          "completion_tokens_details":{"reasoning_tokens":12}}}
        """#))
        #expect(r.content == [.text("A")])
        #expect(r.alternatives.map(\.content) == [[.text("B")], [.text("C")]])
        #expect(r.alternatives.map(\.stopReason) == [.maxTokens, .endTurn])
        #expect(r.usage == ChatUsage(inputTokens: 10, outputTokens: 30, cachedInputTokens: 8, reasoningTokens: 12))
    }

    @Test("malformed upstream answers are protocol errors; an error object is an upstream error")
    func malformed() throws {
        for text in [#"[]"#, #"{"id":"x","choices":[]}"#, #"{"id":"x"}"#, #"{"choices":[{"index":0}]}"#,
                     #"{"choices":[{"index":0,"message":{"tool_calls":[{"id":"c","function":{}}]}}]}"#] {
            let value = try json(text)
            let error = try #require(gatewayError { _ = try OpenAIChatCodec.decodeResponse(value) })
            #expect(error.kind == .upstreamProtocol)
            #expect(error.status == 502)
        }
        let value = try json(#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#)
        let error = try #require(gatewayError { _ = try OpenAIChatCodec.decodeResponse(value) })
        #expect(error.kind == .upstream)
        #expect(error.status == 429)
    }

    @Test("encodes a chat.completion for OpenAI clients")
    func encode() throws {
        let response = ChatResponse(
            id: "msg_01XFDUDYJgAACzvnptvVoYEL", model: "claude-sonnet-4-5",
            content: [.text("Let me check "), .text("the weather."), .toolCall(id: "toolu_01", name: "get_weather", arguments: #"{"city":"Paris"}"#)],
            stopReason: .toolUse,
            usage: ChatUsage(inputTokens: 120, outputTokens: 40, cachedInputTokens: 100, cacheWriteTokens: 5),
            created: 1_700_000_000)
        let body = OpenAIChatCodec.encodeResponse(response, model: "my-model")
        let expected = try json(#"""
        {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","object":"chat.completion","created":1700000000,"model":"my-model",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Let me check the weather.","refusal":null,
           "tool_calls":[{"id":"toolu_01","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
           "logprobs":null,"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":120,"completion_tokens":40,"total_tokens":160,"prompt_tokens_details":{"cached_tokens":100},
           "completion_tokens_details":{"reasoning_tokens":0}}}
        """#)
        #expect(body == expected)
        #expect(body.serializedString() == expected.serializedString(), "member order as OpenAI sends it")
    }

    @Test("encoded stop reasons and tool-only content", arguments: [
        (ChatStopReason.endTurn, "stop"), (.maxTokens, "length"), (.stopSequence("END"), "stop"), (.toolUse, "tool_calls"),
        (.contentFilter, "content_filter"), (.other("pause"), "stop"),
    ])
    func encodeStops(reason: ChatStopReason, finish: String) throws {
        let response = ChatResponse(id: "i", model: "m", content: [.toolCall(id: "c", name: "f", arguments: "{}")], stopReason: reason, usage: ChatUsage(), created: 1)
        let body = OpenAIChatCodec.encodeResponse(response, model: "m")
        #expect(body["choices"]?[0]?["finish_reason"] == .string(finish))
        #expect(body["choices"]?[0]?["message"]?["content"] == .null)
    }

    @Test("encode then decode keeps the response, alternatives included")
    func roundTrip() throws {
        let response = ChatResponse(
            id: "chatcmpl-1", model: "gpt-4o", content: [.text("A"), .toolCall(id: "c", name: "f", arguments: "{\"x\":[1,2]}")], stopReason: .toolUse,
            usage: ChatUsage(inputTokens: 3, outputTokens: 4, cachedInputTokens: 1, reasoningTokens: 2),
            alternatives: [(content: [.text("B")], stopReason: .maxTokens)], created: 99)
        let decoded = try OpenAIChatCodec.decodeResponse(OpenAIChatCodec.encodeResponse(response, model: "gpt-4o"))
        #expect(decoded == response)
    }

    // MARK: Errors

    func decode(_ status: Int, _ body: String, headers: HTTPHeaders = [:]) -> GatewayError {
        OpenAIChatCodec.decodeError(status: status, body: Array(body.utf8), headers: headers)
    }

    @Test("maps upstream statuses for clients")
    func errorStatuses() {
        let context = decode(400, #"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#)
        #expect(context.status == 400)
        #expect(context.code == "context_length_exceeded")
        #expect(context.param == "messages")
        #expect(context.type == "invalid_request_error")
        #expect(context.message.hasPrefix("This model's maximum context length is 128000 tokens."))

        let auth = decode(401, #"{"error":{"message":"Incorrect API key provided: sk-proj-********************************************abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
                          headers: ["www-authenticate": "Bearer", "set-cookie": "x=y"])
        #expect(auth.status == 502)
        #expect(auth.kind == .upstream)
        #expect(auth.code == "upstream_authentication_failed")
        #expect(!auth.message.contains("sk-"))
        #expect(auth.headers.isEmpty)

        #expect(decode(402, #"{"error":{"message":"Insufficient Balance","type":"unknown_error"}}"#).status == 502)

        let forbidden = decode(403, #"{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}"#)
        #expect(forbidden.status == 403)
        #expect(forbidden.message == "Country, region, or territory not supported")

        let missing = decode(404, #"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#)
        #expect(missing.status == 404)
        #expect(missing.code == "model_not_found")

        for status in [408, 504, 524] {
            let timeout = decode(status, "<html>Gateway Timeout</html>")
            #expect(timeout.status == 504)
            #expect(timeout.kind == .upstreamUnavailable)
        }
        #expect(decode(413, "").status == 413)
        #expect(decode(422, #"{"detail":[{"loc":["body","messages"],"msg":"field required","type":"value_error.missing"}]}"#).message == "field required")
        #expect(decode(409, #"{"error":{"message":"conflict"}}"#).status == 409)

        let limited = decode(429, #"{"error":{"message":"Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#,
                             headers: ["Retry-After": "2", "retry-after-ms": "1800", "authorization": "Bearer sk-secret", "x-ratelimit-limit-tokens": "30000"])
        #expect(limited.status == 429)
        #expect(limited.code == "rate_limit_exceeded")
        #expect(limited.headers == ["retry-after": "2", "retry-after-ms": "1800"])

        for status in [500, 502, 503] {
            let failed = decode(status, #"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#,
                                headers: ["retry-after": "5"])
            #expect(failed.status == 502)
            #expect(failed.message.contains("The server had an error"))
            #expect(failed.headers == (status == 503 ? ["retry-after": "5"] : [:]))
        }
        let html = decode(502, "<html><body>Bad gateway</body></html>")
        #expect(html.status == 502)
        #expect(html.message == "The upstream failed (HTTP 502).")
        #expect(decode(500, #"{"error":"internal"}"#).message == "The upstream failed (HTTP 500): internal")
        let plain = decode(503, "upstream connect error or disconnect/reset before headers\n")
        #expect(plain.message == "The upstream failed (HTTP 503): upstream connect error or disconnect/reset before headers")
        #expect(decode(400, "invalid api key sk-live-0123456789abcdef").message == "invalid api key [redacted]")
    }

    @Test("Azure content-filter errors become 400 content_filter")
    func azureContentFilter() {
        let error = decode(400, #"""
        {"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400,
          "innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"filtered":true,"detected":true},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}}}
        """#)
        #expect(error.status == 400)
        #expect(error.code == "content_filter")
        #expect(error.type == "invalid_request_error")
        #expect(error.param == "prompt")
        #expect(error.message.hasPrefix("The response was filtered"))
    }

    @Test("scrubs key-like words from messages", arguments: [
        ("Invalid key sk-proj-abcdef123456.", "Invalid key [redacted]."),
        ("Header was 'Bearer abc.def' here", "Header was 'Bearer [redacted] here"),
        ("token (gsk_1234567890abc) bad", "token ([redacted]) bad"),
        ("id 0123456789abcdef0123456789abcdef01 leaked", "id [redacted] leaked"),
        ("Please reduce the length of the messages.", "Please reduce the length of the messages."),
        ("rejected api_key=sk-abc1234567890 for org", "rejected api_key=[redacted] for org"),
        ("key:AIzaSyA1234567890abcdefghij,", "key:[redacted],"),
    ])
    func scrub(input: String, expected: String) {
        #expect(OpenAIChatCodec.scrubSecrets(input) == expected)
    }
}
