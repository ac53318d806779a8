import KeelCore
import KeelHTTP
import Testing

@testable import KeelGateway

@Suite("Gemini codec: responses and errors")
struct GeminiCodecResponseTests {
    @Test func decodesATextAnswerWithThinkingAndCachedUsage() throws {
        let body = try json(#"""
        {"candidates":[{"content":{"parts":[{"text":"**Planning the reply**\nShort.","thought":true},{"text":"Hello! How can I help?","thoughtSignature":"CtUBAdHtim9"}],"role":"model"},"finishReason":"STOP","index":0}],
         "usageMetadata":{"promptTokenCount":2051,"candidatesTokenCount":7,"totalTokenCount":2100,"cachedContentTokenCount":2048,"thoughtsTokenCount":42,
           "promptTokensDetails":[{"modality":"TEXT","tokenCount":2051}],"cacheTokensDetails":[{"modality":"TEXT","tokenCount":2048}]},
         "modelVersion":"gemini-2.5-flash","responseId":"yJ3aaKWzJ9u-1e8PuLmF4Qo"}
        """#)
        let response = try GeminiCodec.decodeResponse(body, created: 1_700_000_000)
        #expect(response == ChatResponse(
            id: "yJ3aaKWzJ9u-1e8PuLmF4Qo", model: "gemini-2.5-flash", content: [.text("Hello! How can I help?")], stopReason: .endTurn,
            usage: ChatUsage(inputTokens: 2051, outputTokens: 49, cachedInputTokens: 2048, reasoningTokens: 42), created: 1_700_000_000))
        // Re-encoded for an Anthropic client: input excludes the cache reads.
        let anthropic = AnthropicMessagesCodec.encodeResponse(response, model: "gemini")
        #expect(anthropic["usage"]?["input_tokens"]?.intValue == 3)
        #expect(anthropic["usage"]?["cache_read_input_tokens"]?.intValue == 2048)
    }

    @Test func decodesParallelFunctionCallsAsToolUse() throws {
        let body = try json(#"""
        {"candidates":[{"content":{"parts":[
            {"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"EpwCCpkCAdHtim"},
            {"functionCall":{"name":"get_weather","args":{"city":"Tokyo","unit":"c"}}},
            {"functionCall":{"id":"fc-7","name":"get_time"}}],"role":"model"},
          "finishReason":"STOP","index":0,"finishMessage":"Model generated function call(s)."}],
         "usageMetadata":{"promptTokenCount":80,"candidatesTokenCount":30,"totalTokenCount":110},"modelVersion":"gemini-3-pro-preview","responseId":"r1"}
        """#)
        let response = try GeminiCodec.decodeResponse(body)
        #expect(response.stopReason == .toolUse)
        #expect(response.content.count == 3)
        guard case .toolCall(let id0, let name0, let args0) = response.content[0],
              case .toolCall(let id1, _, let args1) = response.content[1],
              case .toolCall(let id2, let name2, let args2) = response.content[2] else {
            Issue.record("expected three tool calls")
            return
        }
        #expect(id0.hasPrefix("call_") && id1.hasPrefix("call_") && id0 != id1)
        #expect(name0 == "get_weather" && args0 == #"{"city":"Paris"}"#)
        #expect(try json(args1) == json(#"{"city":"Tokyo","unit":"c"}"#))
        #expect(id2 == "fc-7" && name2 == "get_time" && args2 == "{}")
        #expect(response.usage == ChatUsage(inputTokens: 80, outputTokens: 30))
        // An OpenAI client sees tool_calls with the same ids.
        let openAI = OpenAIChatCodec.encodeResponse(response, model: "gemini")
        #expect(openAI["choices"]?[0]?["finish_reason"]?.stringValue == "tool_calls")
        #expect(openAI["choices"]?[0]?["message"]?["tool_calls"]?[2]?["id"]?.stringValue == "fc-7")
    }

    @Test func mapsFinishReasons() {
        #expect(GeminiCodec.stopReason(finishReason: "STOP", hasToolCalls: false) == .endTurn)
        #expect(GeminiCodec.stopReason(finishReason: "STOP", hasToolCalls: true) == .toolUse)
        #expect(GeminiCodec.stopReason(finishReason: "MAX_TOKENS", hasToolCalls: true) == .maxTokens)
        for reason in ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"] {
            #expect(GeminiCodec.stopReason(finishReason: reason, hasToolCalls: false) == .contentFilter)
        }
        #expect(GeminiCodec.stopReason(finishReason: "MALFORMED_FUNCTION_CALL", hasToolCalls: false) == .other("MALFORMED_FUNCTION_CALL"))
        #expect(GeminiCodec.stopReason(finishReason: "LANGUAGE", hasToolCalls: false).openAI == "stop")
    }

    @Test func candidatesBecomeChoicesInIndexOrder() throws {
        let body = try json(#"""
        {"candidates":[
          {"content":{"parts":[{"text":"B"}],"role":"model"},"finishReason":"MAX_TOKENS","index":1},
          {"content":{"parts":[{"text":"A"}],"role":"model"},"finishReason":"STOP","index":0},
          {"finishReason":"SAFETY","index":2,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH","blocked":true}]}],
         "usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2,"totalTokenCount":7}}
        """#)
        let response = try GeminiCodec.decodeResponse(body)
        #expect(response.content == [.text("A")] && response.stopReason == .endTurn)
        #expect(response.alternatives.count == 2)
        #expect(response.alternatives[0].content == [.text("B")] && response.alternatives[0].stopReason == .maxTokens)
        #expect(response.alternatives[1].content.isEmpty && response.alternatives[1].stopReason == .contentFilter)
        #expect(response.id.hasPrefix("chatcmpl-"))
    }

    @Test func aBlockedPromptIsAContentFilterStop() throws {
        let body = try json(#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-2.5-pro","responseId":"b1"}"#)
        let response = try GeminiCodec.decodeResponse(body)
        #expect(response.content.isEmpty && response.stopReason == .contentFilter)
        #expect(response.usage.inputTokens == 9)
        #expect(OpenAIChatCodec.encodeResponse(response, model: "g")["choices"]?[0]?["finish_reason"]?.stringValue == "content_filter")
    }

    @Test func rejectsBodiesThatAreNotResponses() throws {
        #expect(gatewayError { _ = try GeminiCodec.decodeResponse(try json("[1]")) }?.status == 502)
        #expect(gatewayError { _ = try GeminiCodec.decodeResponse(try json(#"{"foo":1}"#)) }?.status == 502)
        let inBody = gatewayError { _ = try GeminiCodec.decodeResponse(try json(#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#)) }
        #expect(inBody?.status == 429)
    }

    // MARK: Errors

    static func decode(_ status: Int, _ body: String, headers: HTTPHeaders = [:]) -> GatewayError {
        GeminiCodec.decodeError(status: status, body: Array(body.utf8), headers: headers)
    }

    @Test func anInvalidKeyIsKeelsProblemAndNeverEchoed() {
        let error = Self.decode(400, #"""
        {"error":{"code":400,"message":"API key not valid. Please pass a valid API key. (key AIzaSyD-leaked-key-0123456789abcdef)","status":"INVALID_ARGUMENT",
          "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}
        """#)
        #expect(error.status == 502)
        #expect(error.code == "upstream_authentication_failed")
        #expect(!error.message.contains("AIza"))
        #expect(Self.decode(401, #"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#).status == 502)
        let denied = Self.decode(403, #"{"error":{"code":403,"message":"Permission denied: Consumer 'api_key:AIzaSyBxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' has been suspended.","status":"PERMISSION_DENIED"}}"#)
        #expect(denied.status == 502 && denied.code == "upstream_permission_denied")
        #expect(!denied.message.contains("AIzaSy") && denied.message.contains("[redacted]"))
    }

    @Test func mapsGoogleStatuses() {
        let invalid = Self.decode(400, #"{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified\n","status":"INVALID_ARGUMENT"}}"#)
        #expect(invalid.status == 400 && invalid.code == "invalid_argument")
        #expect(invalid.message.contains("contents is not specified"))
        #expect(Self.decode(400, #"{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}"#).code == "failed_precondition")

        let notFound = Self.decode(404, #"{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.","status":"NOT_FOUND"}}"#)
        #expect(notFound.status == 404 && notFound.code == "model_not_found")

        let limited = Self.decode(429, #"""
        {"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED",
          "details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
                     {"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},
                     {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"36.5s"}]}}
        """#)
        #expect(limited.status == 429 && limited.headers["retry-after"] == "37")
        #expect(Self.decode(429, #"{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}"#, headers: ["Retry-After": "5"]).headers["retry-after"] == "5")

        let overloaded = Self.decode(503, #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#, headers: ["retry-after": "2"])
        #expect(overloaded.status == 502 && overloaded.headers["retry-after"] == "2")
        #expect(Self.decode(500, #"{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}"#).status == 502)
        #expect(Self.decode(504, #"{"error":{"code":504,"message":"Deadline expired before operation could complete.","status":"DEADLINE_EXCEEDED"}}"#).status == 504)
        #expect(Self.decode(413, "Request Entity Too Large").status == 413)
        // Some Google front ends wrap the error in an array; HTML pages are not quoted.
        #expect(Self.decode(400, #"[{"error":{"code":400,"message":"Bad thing","status":"INVALID_ARGUMENT"}}]"#).message == "Bad thing")
        let html = Self.decode(502, "<html><body>Bad Gateway</body></html>")
        #expect(html.status == 502 && !html.message.contains("<html>"))
    }
}
