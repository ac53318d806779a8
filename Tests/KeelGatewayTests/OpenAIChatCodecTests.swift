import KeelCore
import Testing

@testable import KeelGateway

/// Parses JSON text written in a test.
func json(_ text: String) throws -> JSONValue {
    try JSONValue(parsing: text)
}

/// The `GatewayError` `body` throws, or nil when it throws nothing (or something else).
func gatewayError(_ body: () throws -> Void) -> GatewayError? {
    do {
        try body()
        return nil
    } catch {
        return error as? GatewayError
    }
}

@Suite("OpenAI chat codec: requests")
struct OpenAIChatCodecTests {
    @Test("decodes a full request as the OpenAI SDK sends it")
    func decodeFullRequest() throws {
        let body = try json(#"""
        {"model":"gpt-4o","messages":[
          {"role":"system","content":"You are terse."},
          {"role":"user","name":"ana","content":[{"type":"text","text":"What is in this image?"},
            {"type":"image_url","image_url":{"url":"https://example.com/cat.png","detail":"low"}},
            {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
          {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
          {"role":"assistant","content":null,"tool_calls":[
            {"id":"call_abc","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"cat\"}"}},
            {"id":"call_def","type":"function","function":{"name":"clock","arguments":"{}"}}]},
          {"role":"tool","tool_call_id":"call_abc","content":"a cat"},
          {"role":"tool","tool_call_id":"call_def","content":[{"type":"text","text":"12:00"},{"type":"text","text":"UTC"}]}],
         "tools":[{"type":"function","function":{"name":"lookup","description":"Search","parameters":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]},"strict":true}},
                  {"type":"function","function":{"name":"clock"}}],
         "tool_choice":{"type":"function","function":{"name":"lookup"}},
         "parallel_tool_calls":false,
         "response_format":{"type":"json_schema","json_schema":{"name":"answer","description":"d","schema":{"type":"object"},"strict":true}},
         "stream":true,"stream_options":{"include_usage":true},"n":2,"stop":["END","STOP"],
         "max_tokens":50,"max_completion_tokens":100,"temperature":0.2,"top_p":1,"seed":12345678901234567890,
         "user":"u-1","metadata":{"team":"a"},
         "logprobs":true,"top_logprobs":2,"presence_penalty":0.5,"frequency_penalty":0,"logit_bias":{"50256":-100},
         "reasoning_effort":"low","service_tier":"auto","store":false,"prediction":{"type":"content","content":"x"},"modalities":["text"]}
        """#)
        let r = try OpenAIChatCodec.decodeRequest(body)
        #expect(r.model == "gpt-4o")
        #expect(r.system == [.text("You are terse."), .text("Answer in French.")])
        #expect(r.messages.count == 4)
        #expect(r.messages[0] == ChatMessage(role: .user, content: [
            .text("What is in this image?"),
            .image(.url("https://example.com/cat.png", detail: "low")),
            .image(.url("data:image/png;base64,iVBORw0KGgo=", detail: nil)),
        ], name: "ana"))
        #expect(r.messages[0].content[2] == .image(.url("data:image/png;base64,iVBORw0KGgo=", detail: nil)))
        #expect(r.messages[1] == ChatMessage(role: .assistant, content: [
            .toolCall(id: "call_abc", name: "lookup", arguments: #"{"q":"cat"}"#),
            .toolCall(id: "call_def", name: "clock", arguments: "{}"),
        ]))
        #expect(r.messages[2] == ChatMessage(role: .tool, content: [.toolResult(toolCallID: "call_abc", content: [.text("a cat")], isError: false)]))
        #expect(r.messages[3] == ChatMessage(role: .tool, content: [.toolResult(toolCallID: "call_def", content: [.text("12:00"), .text("UTC")], isError: false)]))
        #expect(r.tools.count == 2)
        #expect(r.tools[0] == ChatTool(name: "lookup", description: "Search", parameters: try json(#"{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}"#), strict: true))
        #expect(r.tools[1] == ChatTool(name: "clock"))
        #expect(r.toolChoice == .tool("lookup"))
        #expect(r.parallelToolCalls == false)
        #expect(r.responseFormat == .jsonSchema(name: "answer", schema: ["type": "object"], strict: true, description: "d"))
        #expect(r.stream && r.streamIncludeUsage)
        #expect(r.n == 2)
        #expect(r.stop == ["END", "STOP"])
        #expect(r.maxTokens == 100)
        #expect(r.temperature == 0.2)
        #expect(r.topP == 1)
        #expect(r.seed?.text == "12345678901234567890")
        #expect(r.user == "u-1")
        #expect(r.metadata == ["team": "a"])
        #expect(r.extra.keys == ["logprobs", "top_logprobs", "presence_penalty", "frequency_penalty", "logit_bias",
                                 "reasoning_effort", "service_tier", "store", "prediction", "modalities"])
        #expect(r.extra["logit_bias"] == ["50256": -100])
        #expect(r.extra["frequency_penalty"]?.numberValue?.text == "0")
    }

    @Test("decodes the simple forms: string content, string tool_choice, string stop, max_tokens alone")
    func decodeSimpleForms() throws {
        for (choice, expected) in [("auto", ChatToolChoice.auto), ("none", .none), ("required", .required)] {
            let r = try OpenAIChatCodec.decodeRequest(try json(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"\#(choice)","stop":"\n","max_tokens":7,"stream":null,"temperature":null}"#))
            #expect(r.toolChoice == expected)
            #expect(r.stop == ["\n"])
            #expect(r.maxTokens == 7)
            #expect(r.stream == false && r.temperature == nil)
            #expect(r.messages == [ChatMessage(role: .user, content: [.text("hi")])])
        }
        let text = try OpenAIChatCodec.decodeRequest(try json(#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}}"#))
        #expect(text.responseFormat == .text)
        let object = try OpenAIChatCodec.decodeRequest(try json(#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}"#))
        #expect(object.responseFormat == .jsonObject)
        #expect(object.extra.isEmpty)
    }

    @Test("system and developer messages mid-conversation keep their order in system")
    func systemMidConversation() throws {
        let r = try OpenAIChatCodec.decodeRequest(try json(#"""
        {"model":"m","messages":[{"role":"user","content":"a"},{"role":"system","content":"one"},
         {"role":"assistant","content":"b"},{"role":"developer","content":"two"},{"role":"user","content":"c"}]}
        """#))
        #expect(r.system == [.text("one"), .text("two")])
        #expect(r.messages.map(\.role) == [.user, .assistant, .user])
        #expect(r.messages.map(\.text) == ["a", "b", "c"])
    }

    @Test("assistant forms: content parts, refusal, legacy function_call")
    func assistantForms() throws {
        let r = try OpenAIChatCodec.decodeRequest(try json(#"""
        {"model":"m","messages":[
          {"role":"assistant","content":[{"type":"text","text":"x"},{"type":"refusal","refusal":"no"}]},
          {"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{\"a\":1}"}},
          {"role":"assistant","refusal":"I can't help with that."}]}
        """#))
        #expect(r.messages[0].content == [.text("x"), .text("no")])
        #expect(r.messages[1].content == [.toolCall(id: "call_legacy_1", name: "f", arguments: #"{"a":1}"#)])
        #expect(r.messages[2].content == [.text("I can't help with that.")])
    }

    @Test("rejects wrong types with the exact parameter path", arguments: [
        (#"[1]"#, "", "invalid_type"),
        (#"{"messages":[{"role":"user","content":"x"}]}"#, "model", "missing_required_parameter"),
        (#"{"model":3,"messages":[{"role":"user","content":"x"}]}"#, "model", "invalid_type"),
        (#"{"model":"m"}"#, "messages", "missing_required_parameter"),
        (#"{"model":"m","messages":[]}"#, "messages", "empty_array"),
        (#"{"model":"m","messages":{}}"#, "messages", "invalid_type"),
        (#"{"model":"m","messages":["hi"]}"#, "messages[0]", "invalid_type"),
        (#"{"model":"m","messages":[{"content":"x"}]}"#, "messages[0].role", "missing_required_parameter"),
        (#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#, "messages[0].role", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":"y"},{"role":"user","content":5}]}"#, "messages[2].content", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user"}]}"#, "messages[0].content", "missing_required_parameter"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":1}]}]}"#, "messages[0].content[0].text", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]}"#, "messages[0].content[0].type", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":"https://x"}]}]}"#, "messages[0].content[0].image_url", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"u","detail":"max"}}]}]}"#, "messages[0].content[0].image_url.detail", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}}]}]}"#, "messages[0].content[0].type", "unsupported_value"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}"#, "messages[0].content[0].type", "unsupported_value"),
        (#"{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"u"}}]}]}"#, "messages[0].content[0].type", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"function","name":"f","content":"x"}]}"#, "messages[0].role", "unsupported_value"),
        (#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#, "messages[0].tool_call_id", "missing_required_parameter"),
        (#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{}}}]}]}"#, "messages[0].tool_calls[0].function.arguments", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"custom","custom":{}}]}]}"#, "messages[0].tool_calls[0].type", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"description":"d"}}]}"#, "tools[0].function.name", "missing_required_parameter"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":"{}"}}]}"#, "tools[0].function.parameters", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"any"}"#, "tool_choice", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{}}}"#, "tool_choice.function.name", "missing_required_parameter"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}}"#, "response_format.type", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"schema":{}}}}"#, "response_format.json_schema.name", "missing_required_parameter"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]}"#, "stop", "array_above_max_length"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]}"#, "stop[0]", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}"#, "stream", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":1}}"#, "stream_options.include_usage", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"n":0}"#, "n", "integer_below_min_value"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1.5}"#, "max_tokens", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-100}"#, "max_tokens", "integer_below_min_value"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}"#, "max_completion_tokens", "integer_below_min_value"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_completion_tokens":"9"}"#, "max_completion_tokens", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#, "temperature", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"seed":1.5}"#, "seed", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"user":7}"#, "user", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":[]}"#, "metadata", "invalid_type"),
    ])
    func rejects(body: String, param: String, code: String) throws {
        let value = try json(body)
        let error = try #require(gatewayError { _ = try OpenAIChatCodec.decodeRequest(value) })
        #expect(error.status == 400)
        #expect(error.kind == .invalidRequest)
        #expect(error.type == "invalid_request_error")
        #expect(error.param == (param.isEmpty ? nil : param))
        #expect(error.code == code)
    }

    @Test("type errors read like OpenAI's")
    func errorMessages() throws {
        let value = try json(#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":"y"},{"role":"user","content":5}]}"#)
        let error = try #require(gatewayError { _ = try OpenAIChatCodec.decodeRequest(value) })
        #expect(error.message == "Invalid type for 'messages[2].content': expected one of a string or array of objects, but got an integer instead.")
        let role = try #require(gatewayError { _ = try OpenAIChatCodec.decodeRequest(try! json(#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#)) })
        #expect(role.message == "Invalid value: 'robot'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'.")
    }

    // MARK: Encoding

    @Test("encodes a request from an Anthropic-style conversation")
    func encodeFromAnthropicShape() throws {
        var request = ChatRequest(
            model: "claude-alias",
            system: [.text("Be brief."), .text("Use tools.")],
            messages: [
                ChatMessage(role: .user, content: [.text("Weather in Paris and time?"), .image(.base64(mediaType: "image/jpeg", data: "/9j/4AAQ"))]),
                ChatMessage(role: .assistant, content: [
                    .text("Checking."),
                    .toolCall(id: "toolu_1", name: "weather", arguments: #"{"city":"Paris"}"#),
                    .toolCall(id: "toolu_2", name: "clock", arguments: "{}"),
                ]),
                ChatMessage(role: .user, content: [
                    .toolResult(toolCallID: "toolu_1", content: [.text("18C")], isError: false),
                    .toolResult(toolCallID: "toolu_2", content: [.text("failed"), .image(.url("https://x/err.png", detail: nil))], isError: true),
                    .text("Thanks"),
                ]),
            ],
            tools: [ChatTool(name: "weather", description: "Weather", parameters: ["type": "object", "properties": ["city": ["type": "string"]]])],
            toolChoice: .required, parallelToolCalls: true, maxTokens: 1024, temperature: 0.5, topP: 0.9, topK: 40,
            stop: ["\n\nHuman:"], stream: true, user: "user-7")
        request.extra = ["model": "evil", "stream": false, "logprobs": true]
        let body = OpenAIChatCodec.encodeRequest(request, upstreamModel: "gpt-4o-mini", stream: true)
        let expected = try json(#"""
        {"model":"gpt-4o-mini","messages":[
          {"role":"system","content":"Be brief.\n\nUse tools."},
          {"role":"user","content":[{"type":"text","text":"Weather in Paris and time?"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]},
          {"role":"assistant","content":"Checking.","tool_calls":[
            {"id":"toolu_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},
            {"id":"toolu_2","type":"function","function":{"name":"clock","arguments":"{}"}}]},
          {"role":"tool","tool_call_id":"toolu_1","content":"18C"},
          {"role":"tool","tool_call_id":"toolu_2","content":"failed"},
          {"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/err.png"}},{"type":"text","text":"Thanks"}]}],
         "tools":[{"type":"function","function":{"name":"weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
         "tool_choice":"required","parallel_tool_calls":true,"max_completion_tokens":1024,"temperature":0.5,"top_p":0.9,
         "stop":["\n\nHuman:"],"user":"user-7","stream":true,"stream_options":{"include_usage":true},"logprobs":true}
        """#)
        #expect(body == expected)
        #expect(body.objectValue?.keys == expected.objectValue?.keys)
        #expect(body["top_k"] == nil)
    }

    @Test("encodes tool-only assistant turns with null content, max_tokens on request, no stream members when not streaming")
    func encodeDetails() throws {
        let request = ChatRequest(
            model: "m",
            messages: [
                ChatMessage(role: .assistant, content: [.toolCall(id: "c1", name: "f", arguments: "{")]),
                ChatMessage(role: .tool, content: [.toolResult(toolCallID: "c1", content: [], isError: false)]),
            ],
            toolChoice: .tool("f"), parallelToolCalls: false, maxTokens: 5, responseFormat: .jsonObject)
        let body = OpenAIChatCodec.encodeRequest(request, upstreamModel: "up", stream: false, maxTokensParameter: .maxTokens)
        #expect(body == (try json(#"""
        {"model":"up","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{"}}]},
          {"role":"tool","tool_call_id":"c1","content":""}],
         "tool_choice":{"type":"function","function":{"name":"f"}},"response_format":{"type":"json_object"},"max_tokens":5}
        """#)))
        #expect(body["parallel_tool_calls"] == nil, "parallel_tool_calls is only valid with tools")
        #expect(body["stream"] == nil && body["stream_options"] == nil)
    }

    @Test("decode then encode reproduces an OpenAI request")
    func roundTrip() throws {
        let original = try json(#"""
        {"model":"gpt-4o","messages":[
          {"role":"system","content":"S"},
          {"role":"user","name":"bob","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://e/x.png","detail":"high"}}]},
          {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"ok"},
          {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
          {"role":"assistant","content":"done"},
          {"role":"user","content":"thanks"}],
         "tools":[{"type":"function","function":{"name":"f","description":"F","parameters":{"type":"object","properties":{}},"strict":false}}],
         "tool_choice":"auto","parallel_tool_calls":false,
         "response_format":{"type":"json_schema","json_schema":{"name":"n","description":"d","schema":{"type":"object"},"strict":true}},
         "max_completion_tokens":64,"temperature":0.7,"top_p":0.95,"stop":["x"],"n":3,"seed":42,"user":"u","metadata":{"k":"v"},
         "stream":true,"stream_options":{"include_usage":true},"presence_penalty":0.1,"reasoning_effort":"high"}
        """#)
        let decoded = try OpenAIChatCodec.decodeRequest(original)
        let encoded = OpenAIChatCodec.encodeRequest(decoded, upstreamModel: "gpt-4o", stream: true)
        #expect(encoded == original)
        #expect(try OpenAIChatCodec.decodeRequest(encoded) == decoded)
    }
}
