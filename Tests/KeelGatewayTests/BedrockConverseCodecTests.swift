import KeelCore
@testable import KeelGateway
import Testing

private func encode(_ request: ChatRequest, model: String = "anthropic.claude-3-5-sonnet-20240620-v1:0") throws -> JSONValue {
    try BedrockConverseCodec.encodeRequest(request, upstreamModel: model, stream: false)
}

private func encodeError(_ request: ChatRequest) -> GatewayError? {
    do {
        _ = try encode(request)
        return nil
    } catch {
        return error as? GatewayError
    }
}

@Suite("Bedrock Converse codec: requests")
struct BedrockConverseRequestTests {
    /// An OpenAI tool-using turn: system and developer prompts, an image, two parallel tool calls, their
    /// results (one failed), tools with a forced choice, sampling parameters and stop sequences.
    static let openAIToolTurn = #"""
    {
      "model": "claude-on-bedrock",
      "messages": [
        {"role": "system", "content": "You are a weather assistant."},
        {"role": "developer", "content": "Answer in metric units."},
        {"role": "user", "content": [
          {"type": "text", "text": "What is the weather in Paris and Berlin? Here is a map."},
          {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "detail": "low"}}
        ]},
        {"role": "assistant", "content": null, "tool_calls": [
          {"id": "call_8xKq2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
          {"id": "call_9yLr3", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Berlin\"}"}}
        ]},
        {"role": "tool", "tool_call_id": "call_8xKq2", "content": "18°C, sunny"},
        {"role": "tool", "tool_call_id": "call_9yLr3", "content": "service unavailable"},
        {"role": "user", "content": "And tomorrow?"}
      ],
      "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
      "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
      "max_completion_tokens": 512,
      "temperature": 0.3,
      "top_p": 0.9,
      "stop": ["END", ""],
      "seed": 42,
      "user": "u-123"
    }
    """#

    @Test func anOpenAIToolTurnBecomesAConverseRequest() throws {
        var request = try OpenAIChatCodec.decodeRequest(json(Self.openAIToolTurn))
        // OpenAI clients have no way to mark a tool result as failed; mark one to check `status`.
        if case .toolResult(let id, let content, _) = request.messages[2].content[0] {
            request.messages[2].content[0] = .toolResult(toolCallID: id, content: content, isError: true)
        }
        let body = try encode(request)
        #expect(body["modelId"] == nil && body["model"] == nil && body["stream"] == nil)
        #expect(body["system"] == [["text": "You are a weather assistant."], ["text": "Answer in metric units."]])
        let messages = try #require(body["messages"]?.arrayValue)
        #expect(messages.map { $0["role"]?.stringValue } == ["user", "assistant", "user"])
        #expect(messages[0]["content"] == [
            ["text": "What is the weather in Paris and Berlin? Here is a map."],
            ["image": ["format": "png", "source": ["bytes": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="]]],
        ])
        #expect(messages[1]["content"] == [
            ["toolUse": ["toolUseId": "call_8xKq2", "name": "get_weather", "input": ["city": "Paris"]]],
            ["toolUse": ["toolUseId": "call_9yLr3", "name": "get_weather", "input": ["city": "Berlin"]]],
        ])
        // Both results and the next question share one user message, results first.
        #expect(messages[2]["content"] == [
            ["toolResult": ["toolUseId": "call_8xKq2", "content": [["text": "18°C, sunny"]], "status": "error"]],
            ["toolResult": ["toolUseId": "call_9yLr3", "content": [["text": "service unavailable"]]]],
            ["text": "And tomorrow?"],
        ])
        #expect(body["inferenceConfig"] == ["maxTokens": 512, "temperature": 0.3, "topP": 0.9, "stopSequences": ["END"]])
        #expect(body["toolConfig"] == [
            "tools": [["toolSpec": [
                "name": "get_weather", "description": "Current weather for a city.",
                "inputSchema": ["json": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]],
            ]]],
            "toolChoice": ["tool": ["name": "get_weather"]],
        ])
        #expect(body["additionalModelRequestFields"] == nil)
        #expect(body["outputConfig"] == nil)
    }

    @Test func toolChoicesMapToTheConverseUnion() throws {
        var request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], tools: [ChatTool(name: "lookup")])
        request.toolChoice = .auto
        #expect(try encode(request)["toolConfig"]?["toolChoice"] == ["auto": [:]])
        request.toolChoice = .required
        #expect(try encode(request)["toolConfig"]?["toolChoice"] == ["any": [:]])
        request.toolChoice = nil
        #expect(try encode(request)["toolConfig"]?["toolChoice"] == nil)
        #expect(try encode(request)["toolConfig"]?["tools"]?[0]?["toolSpec"]?["name"] == "lookup")
        // `none`: the tools are withheld so the model cannot call them.
        request.toolChoice = ChatToolChoice.none
        #expect(try encode(request)["toolConfig"] == nil)
    }

    @Test func toolChoiceNoneWithToolHistoryIsRefused() throws {
        let request = ChatRequest(model: "m", messages: [
            ChatMessage(role: .user, content: [.text("weather?")]),
            ChatMessage(role: .assistant, content: [.toolCall(id: "c1", name: "w", arguments: "{}")]),
            ChatMessage(role: .tool, content: [.toolResult(toolCallID: "c1", content: [.text("sunny")], isError: false)]),
        ], tools: [ChatTool(name: "w")], toolChoice: ChatToolChoice.none)
        let error = try #require(encodeError(request))
        #expect(error.status == 400)
        #expect(error.param == "tool_choice")
        #expect(error.message.contains("'auto'"))
    }

    @Test func whatBedrockCannotExpressIsRefused() throws {
        let hi = [ChatMessage(role: .user, content: [.text("hi")])]
        let n = try #require(encodeError(ChatRequest(model: "m", messages: hi, n: 2)))
        #expect(n.status == 400 && n.param == "n")

        let link = try #require(encodeError(ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.image(.url("https://example.com/cat.png", detail: nil))])])))
        #expect(link.status == 400)
        #expect(link.message.contains("inline"))
        #expect(link.code == "unsupported_content")

        let bmp = try #require(encodeError(ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.image(.base64(mediaType: "image/bmp", data: "Qk0="))])])))
        #expect(bmp.status == 400)

        let arguments = try #require(encodeError(ChatRequest(model: "m", messages: hi + [ChatMessage(role: .assistant, content: [.toolCall(id: "c", name: "f", arguments: "[1,2]")])])))
        #expect(arguments.code == "invalid_tool_arguments")
    }

    @Test func sameRoleMessagesMergeAndBlankTextIsDropped() throws {
        let request = ChatRequest(model: "m", system: [.text(""), .text("sys")], messages: [
            ChatMessage(role: .user, content: [.text("one")]),
            ChatMessage(role: .user, content: [.text("  ")]),
            ChatMessage(role: .user, content: [.text("two")]),
            ChatMessage(role: .assistant, content: [.text("")]),
            ChatMessage(role: .assistant, content: [.text("three"), .toolCall(id: "c", name: "f", arguments: "")]),
        ], tools: [ChatTool(name: "f")])
        let body = try encode(request)
        #expect(body["messages"] == [
            ["role": "user", "content": [["text": "one"], ["text": "two"]]],
            ["role": "assistant", "content": [["text": "three"], ["toolUse": ["toolUseId": "c", "name": "f", "input": [:]]]]],
        ])
        #expect(body["system"] == [["text": "sys"]])
    }

    @Test func topKUsesTheModelFamilysSpelling() throws {
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], temperature: 1.7, topK: 40)
        #expect(try encode(request)["additionalModelRequestFields"] == ["top_k": 40])
        #expect(try encode(request, model: "us.amazon.nova-pro-v1:0")["additionalModelRequestFields"] == ["inferenceConfig": ["topK": 40]])
        // Bedrock's temperature range is 0…1.
        #expect(try encode(request)["inferenceConfig"]?["temperature"]?.doubleValue == 1)
    }

    @Test func responseFormats() throws {
        let schema: JSONValue = ["type": "object", "properties": ["answer": ["type": "string"]], "required": ["answer"]]
        var request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])])
        request.responseFormat = .jsonSchema(name: "reply", schema: schema, strict: true, description: "The reply")
        let body = try encode(request)
        let definition = try #require(body["outputConfig"]?["textFormat"]?["structure"]?["jsonSchema"])
        #expect(body["outputConfig"]?["textFormat"]?["type"] == "json_schema")
        #expect(definition["name"] == "reply" && definition["description"] == "The reply")
        // The schema travels as JSON text.
        #expect(try JSONValue(parsing: #require(definition["schema"]?.stringValue)) == schema)
        #expect(body["system"] == nil)

        request.responseFormat = .jsonObject
        let json = try encode(request)
        #expect(json["outputConfig"] == nil)
        #expect(json["system"]?[0]?["text"]?.stringValue?.contains("JSON object") == true)

        request.responseFormat = .text
        #expect(try encode(request)["system"] == nil)
    }

    @Test func toolUseIDsAreMadeAcceptableConsistently() {
        #expect(BedrockConverseCodec.toolUseID("call_abc-1.2:3") == "call_abc-1.2:3")
        #expect(BedrockConverseCodec.toolUseID("call abc/1") == "call_abc_1")
        let long = String(repeating: "x", count: 80)
        let shortened = BedrockConverseCodec.toolUseID(long)
        #expect(shortened.count <= 64)
        #expect(shortened == BedrockConverseCodec.toolUseID(long))
        #expect(shortened != BedrockConverseCodec.toolUseID(long + "y"))
    }

    @Test func anthropicClientRequestsTranslate() throws {
        let request = try AnthropicMessagesCodec.decodeRequest(json(#"""
        {"model": "m", "max_tokens": 300, "system": "Be brief.", "top_k": 5, "stop_sequences": ["###"],
         "messages": [
           {"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}}, {"type": "text", "text": "what is this?"}]},
           {"role": "assistant", "content": [{"type": "text", "text": "Checking."}, {"type": "tool_use", "id": "toolu_01", "name": "vision", "input": {"detail": "high"}}]},
           {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": [{"type": "text", "text": "a cat"}, {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": "UklGR"}}]}]}
         ],
         "tools": [{"name": "vision", "input_schema": {"type": "object"}}], "tool_choice": {"type": "any"}}
        """#))
        let body = try encode(request)
        #expect(body["messages"]?[0]?["content"]?[0] == ["image": ["format": "jpeg", "source": ["bytes": "/9j/4AAQ"]]])
        #expect(body["messages"]?[2]?["content"] == [["toolResult": ["toolUseId": "toolu_01", "content": [
            ["text": "a cat"], ["image": ["format": "webp", "source": ["bytes": "UklGR"]]],
        ]]]])
        #expect(body["inferenceConfig"] == ["maxTokens": 300, "stopSequences": ["###"]])
        #expect(body["toolConfig"]?["toolChoice"] == ["any": [:]])
        #expect(body["additionalModelRequestFields"] == ["top_k": 5])
    }
}
