import KeelCore
import KeelHTTP
@testable import KeelGateway
import Testing

@Suite("Bedrock Converse codec: responses and errors")
struct BedrockConverseResponseTests {
    /// A Converse answer of Claude 3.5 Sonnet calling a tool after some text, with prompt caching.
    static let toolUseResponse = #"""
    {"metrics":{"latencyMs":1523},"output":{"message":{"content":[{"text":"I'll look that up."},{"toolUse":{"input":{"city":"Paris","unit":"celsius"},"name":"get_weather","toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"}}],"role":"assistant"}},"stopReason":"tool_use","usage":{"cacheReadInputTokens":1024,"cacheWriteInputTokens":0,"inputTokens":415,"outputTokens":83,"totalTokens":1522}}
    """#

    @Test func aToolUseAnswerDecodes() throws {
        let response = try BedrockConverseCodec.decodeResponse(json(Self.toolUseResponse), model: "anthropic.claude-3-5-sonnet-20240620-v1:0", created: 1_720_000_000)
        #expect(response.content == [
            .text("I'll look that up."),
            .toolCall(id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "get_weather", arguments: #"{"city":"Paris","unit":"celsius"}"#),
        ])
        #expect(response.stopReason == .toolUse)
        #expect(response.usage == ChatUsage(inputTokens: 1439, outputTokens: 83, cachedInputTokens: 1024, cacheWriteTokens: 0))
        #expect(response.id.hasPrefix("bedrock-"))
        #expect(response.model == "anthropic.claude-3-5-sonnet-20240620-v1:0")
        #expect(response.created == 1_720_000_000)

        // Re-encoded for both kinds of clients.
        let openAI = OpenAIChatCodec.encodeResponse(response, model: "sonnet")
        #expect(openAI["choices"]?[0]?["finish_reason"] == "tool_calls")
        #expect(openAI["choices"]?[0]?["message"]?["tool_calls"]?[0]?["function"]?["arguments"] == #"{"city":"Paris","unit":"celsius"}"#)
        #expect(openAI["usage"]?["prompt_tokens"] == 1439)
        let anthropic = AnthropicMessagesCodec.encodeResponse(response, model: "sonnet")
        #expect(anthropic["usage"]?["input_tokens"] == 415)
        #expect(anthropic["usage"]?["cache_read_input_tokens"] == 1024)
        #expect(anthropic["content"]?[1]?["input"] == ["city": "Paris", "unit": "celsius"])
    }

    @Test func reasoningIsSkippedAndStopReasonsMap() throws {
        let body = try json(#"""
        {"output":{"message":{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"Let me think.","signature":"sig"}}},{"text":"42"}]}},"stopReason":"stop_sequence","additionalModelResponseFields":{"stop_sequence":"###"},"usage":{"inputTokens":10,"outputTokens":2,"totalTokens":12},"metrics":{"latencyMs":100}}
        """#)
        let response = try BedrockConverseCodec.decodeResponse(body)
        #expect(response.content == [.text("42")])
        #expect(response.stopReason == .stopSequence("###"))
        #expect(response.usage == ChatUsage(inputTokens: 10, outputTokens: 2))

        let reasons: [(String, ChatStopReason)] = [
            ("end_turn", .endTurn), ("tool_use", .toolUse), ("max_tokens", .maxTokens), ("stop_sequence", .stopSequence(nil)),
            ("guardrail_intervened", .contentFilter), ("content_filtered", .contentFilter),
            ("model_context_window_exceeded", .maxTokens), ("malformed_tool_use", .other("malformed_tool_use")),
        ]
        for (bedrock, keel) in reasons {
            #expect(BedrockConverseCodec.stopReason(bedrock) == keel)
        }
    }

    @Test func malformedAnswersAre502s() throws {
        for text in [#"[]"#, #"{"output":{}}"#, #"{"output":{"message":{"content":[{"toolUse":{"input":{}}}]}}}"#] {
            let error = #expect(throws: GatewayError.self) { try BedrockConverseCodec.decodeResponse(json(text)) }
            #expect(error?.status == 502)
        }
    }

    static func error(_ status: Int, _ type: String?, _ message: String, headers: HTTPHeaders = [:]) -> GatewayError {
        var h = headers
        if let type { h.add(name: "x-amzn-errortype", value: "\(type):http://internal.amazon.com/coral/com.amazon.bedrock/") }
        return BedrockConverseCodec.decodeError(status: status, body: Array(#"{"message":"\#(message)"}"#.utf8), headers: h)
    }

    @Test func errorsMapToFittingStatuses() {
        let validation = Self.error(400, "ValidationException", "The model returned the following errors: messages: roles must alternate", headers: ["x-amzn-requestid": "5e0f-1a2b"])
        #expect(validation.status == 400)
        #expect(validation.message == "The model returned the following errors: messages: roles must alternate (upstream request id 5e0f-1a2b)")

        let throttled = Self.error(429, "ThrottlingException", "Too many requests, please wait before trying again.", headers: ["retry-after": "3"])
        #expect(throttled.status == 429)
        #expect(throttled.headers["retry-after"] == "3")

        #expect(Self.error(403, "AccessDeniedException", "You don't have access to the model with the specified model ID.").status == 403)
        let notFound = Self.error(404, "ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier.")
        #expect(notFound.status == 404 && notFound.code == "model_not_found")
        #expect(Self.error(429, "ModelNotReadyException", "Model is not ready for inference.").code == "model_not_ready")
        #expect(Self.error(400, "ServiceQuotaExceededException", "Quota exceeded").status == 429)
        #expect(Self.error(408, "ModelTimeoutException", "Model has timed out in processing the request.").status == 504)
        #expect(Self.error(503, "ServiceUnavailableException", "Bedrock is unable to process your request.").status == 502)
        #expect(Self.error(500, "InternalServerException", "Internal failure").status == 502)
        #expect(Self.error(424, "ModelErrorException", "The model failed").code == "upstream_model_error")

        // Keel's AWS credentials are at fault, never the client's key.
        for type in ["InvalidSignatureException", "UnrecognizedClientException", "ExpiredTokenException"] {
            let auth = Self.error(403, type, "The security token included in the request is invalid.")
            #expect(auth.status == 502)
            #expect(auth.code == "upstream_authentication_failed")
        }
        // Without the header, the status decides.
        #expect(Self.error(413, nil, "too big").status == 413)
        #expect(BedrockConverseCodec.decodeError(status: 502, body: Array("<html>bad gateway</html>".utf8), headers: [:]).status == 502)
    }

    @Test func errorMessagesAreScrubbed() {
        let error = Self.error(400, "ValidationException", "Invalid key sk-ant-api03-abcdefghijklmnop in header")
        #expect(!error.message.contains("sk-ant-api03"))
        #expect(error.message.contains("[redacted]"))
    }
}
