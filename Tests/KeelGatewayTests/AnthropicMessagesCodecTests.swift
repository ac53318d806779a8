import KeelCore
import KeelGateway
import Testing


/// Decodes `text` as a request and returns the 400 it must fail with.
private func requestError(_ text: String) throws -> GatewayError {
    let body = try json(text)
    do {
        _ = try AnthropicMessagesCodec.decodeRequest(body)
    } catch {
        return error
    }
    Issue.record("expected a 400 for \(text)")
    return GatewayError.invalid("no error")
}

private func encodeError(_ request: ChatRequest) -> GatewayError? {
    do {
        _ = try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "claude-sonnet-4-5", stream: false)
        return nil
    } catch {
        return error
    }
}

@Suite("Anthropic Messages codec: requests")
struct AnthropicMessagesRequestTests {
    /// A request shaped like Claude Code's: cached system blocks, a thinking block with signature,
    /// tools with draft-07 schemas, a failed tool result, metadata and extended thinking.
    static let claudeCodeRequest = #"""
    {
      "model": "claude-sonnet-4-5-20250929",
      "messages": [
        {"role": "user", "content": [
          {"type": "text", "text": "<system-reminder>\nThis is a reminder.\n</system-reminder>"},
          {"type": "text", "text": "run the tests", "cache_control": {"type": "ephemeral"}}
        ]},
        {"role": "assistant", "content": [
          {"type": "thinking", "thinking": "The user wants the tests run.", "signature": "EqQBCkgIBhABGAIiQL7z"},
          {"type": "text", "text": "I'll run the test suite."},
          {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "Bash", "input": {"command": "swift test", "description": "Run the test suite", "timeout": 120000}}
        ]},
        {"role": "user", "content": [
          {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "error: no such module 'Testing'", "is_error": true, "cache_control": {"type": "ephemeral"}}
        ]}
      ],
      "temperature": 1,
      "system": [
        {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "\nYou are an interactive CLI tool that helps users with software engineering tasks.", "cache_control": {"type": "ephemeral"}}
      ],
      "tools": [
        {"name": "Bash", "description": "Executes a given bash command.", "input_schema": {"type": "object", "properties": {"command": {"type": "string", "description": "The command to execute"}, "timeout": {"type": "number"}, "description": {"type": "string"}}, "required": ["command"], "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}},
        {"name": "Read", "description": "Reads a file.", "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]}, "cache_control": {"type": "ephemeral"}}
      ],
      "metadata": {"user_id": "user_2f1c_account__session_9a7e"},
      "max_tokens": 32000,
      "thinking": {"type": "enabled", "budget_tokens": 31999},
      "stream": true
    }
    """#

    @Test func claudeCodeRequestDecodes() throws {
        let request = try AnthropicMessagesCodec.decodeRequest(try json(Self.claudeCodeRequest))
        #expect(request.model == "claude-sonnet-4-5-20250929")
        #expect(request.maxTokens == 32000)
        #expect(request.temperature == 1)
        #expect(request.stream)
        #expect(request.user == "user_2f1c_account__session_9a7e")
        #expect(request.system == [
            .text("You are Claude Code, Anthropic's official CLI for Claude."),
            .text("\nYou are an interactive CLI tool that helps users with software engineering tasks."),
        ])
        #expect(request.messages == [
            ChatMessage(role: .user, content: [.text("<system-reminder>\nThis is a reminder.\n</system-reminder>"), .text("run the tests")]),
            ChatMessage(role: .assistant, content: [
                .text("I'll run the test suite."),
                .toolCall(id: "toolu_01A09q90qw90lq917835lq9", name: "Bash", arguments: #"{"command":"swift test","description":"Run the test suite","timeout":120000}"#),
            ]),
            ChatMessage(role: .user, content: [
                .toolResult(toolCallID: "toolu_01A09q90qw90lq917835lq9", content: [.text("error: no such module 'Testing'")], isError: true),
            ]),
        ])
        #expect(request.tools.map(\.name) == ["Bash", "Read"])
        #expect(request.tools[0].description == "Executes a given bash command.")
        #expect(request.tools[0].parameters["required"] == ["command"])
        #expect(request.tools[0].parameters["$schema"] == "http://json-schema.org/draft-07/schema#")
        #expect(request.toolChoice == nil)
        #expect(request.parallelToolCalls == nil)
        // Anthropic-only members are not forwarded to other providers.
        #expect(request.extra.isEmpty)
        #expect(request.metadata == nil)
    }

    @Test func claudeCodeRequestTranslatesBackToAValidAnthropicRequest() throws {
        let request = try AnthropicMessagesCodec.decodeRequest(try json(Self.claudeCodeRequest))
        let body = try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "claude-sonnet-4-5", stream: true)
        #expect(body["model"] == "claude-sonnet-4-5")
        #expect(body["stream"] == true)
        #expect(body["system"]?.arrayValue?.count == 2)
        let messages = try #require(body["messages"]?.arrayValue)
        #expect(messages.map { $0["role"]?.stringValue } == ["user", "assistant", "user"])
        #expect(messages[1]["content"]?[1] == [
            "type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "Bash",
            "input": ["command": "swift test", "description": "Run the test suite", "timeout": 120000],
        ])
        #expect(messages[2]["content"] == [[
            "type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "error: no such module 'Testing'", "is_error": true,
        ]])
    }

    @Test func missingMaxTokensIsA400() throws {
        let error = try requestError(#"{"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "Hi"}]}"#)
        #expect(error.status == 400)
        #expect(error.message == "max_tokens: Field required")
        #expect(error.param == "max_tokens")
        #expect(error.type == "invalid_request_error")
    }

    @Test(arguments: [
        (#"{"model": "m", "max_tokens": "10", "messages": [{"role": "user", "content": "Hi"}]}"#, "max_tokens", "Input should be a valid integer"),
        (#"{"model": "m", "max_tokens": 0, "messages": [{"role": "user", "content": "Hi"}]}"#, "max_tokens", "Input should be greater than or equal to 1"),
        (#"{"max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]}"#, "model", "Field required"),
        (#"{"model": 7, "max_tokens": 10, "messages": []}"#, "model", "Input should be a valid string"),
        (#"{"model": "m", "max_tokens": 10}"#, "messages", "Field required"),
        (#"{"model": "m", "max_tokens": 10, "messages": []}"#, "messages", "at least one message is required"),
        (#"{"model": "m", "max_tokens": 10, "messages": {"role": "user"}}"#, "messages", "Input should be a valid list"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user"}]}"#, "messages[0].content", "Field required"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": 5}]}"#, "messages[1].content", "Input should be a valid string or a list of content blocks"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": null}]}]}"#, "messages[0].content[1].text", "Field required"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "text", "text": ["a"]}]}]}"#, "messages[0].content[0].text", "Input should be a valid string"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": ["Hi"]}]}"#, "messages[0].content[0]", "Input should be a valid dictionary"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": "{}"}]}]}"#, "messages[0].content[0].input", "Input should be a valid dictionary"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}], "temperature": "hot"}"#, "temperature", "Input should be a valid number"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}], "top_k": 1.5}"#, "top_k", "Input should be a valid integer"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}], "stream": "yes"}"#, "stream", "Input should be a valid boolean"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}], "stop_sequences": ["x", 1]}"#, "stop_sequences[1]", "Input should be a valid string"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}], "system": [{"type": "image"}]}"#, "system[0].type", "Input tag 'image' found using 'type' does not match any of the expected tags: 'text'"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}], "tools": [{"name": "f"}]}"#, "tools[0].input_schema", "Field required"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}], "tool_choice": {"type": "required"}}"#, "tool_choice.type", "Input tag 'required' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}], "tool_choice": {"type": "tool"}}"#, "tool_choice.name", "Field required"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "a"}], "metadata": {"user_id": 42}}"#, "metadata.user_id", "Input should be a valid string"),
        (#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "data": "AAAA"}}]}]}"#, "messages[0].content[0].source.media_type", "Field required"),
    ])
    func wrongTypesNameTheParameter(body: String, param: String, problem: String) throws {
        let error = try requestError(body)
        #expect(error.status == 400)
        #expect(error.param == param)
        #expect(error.message == "\(param): \(problem)")
    }

    @Test func rolesAndBlockPlacementAreChecked() throws {
        let system = try requestError(#"{"model": "m", "max_tokens": 10, "messages": [{"role": "system", "content": "Be brief."}]}"#)
        #expect(system.param == "messages[0].role")
        #expect(system.message.contains("'system'"))

        let toolUseInUser = try requestError(#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}]}]}"#)
        #expect(toolUseInUser.param == "messages[0].content[0]")
        #expect(toolUseInUser.message.contains("only allowed in assistant messages"))

        let resultInAssistant = try requestError(#"{"model": "m", "max_tokens": 10, "messages": [{"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]}]}"#)
        #expect(resultInAssistant.param == "messages[0].content[0]")
        #expect(resultInAssistant.message.contains("only allowed in user messages"))
    }

    @Test func untranslatableBlocksAndServerToolsAre400s() throws {
        let document = try requestError(#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"}}, {"type": "text", "text": "Summarise"}]}]}"#)
        #expect(document.param == "messages[0].content[0].type")
        #expect(document.code == "unsupported_content")
        #expect(document.message.contains("'document'"))

        let unknown = try requestError(#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "video"}]}]}"#)
        #expect(unknown.param == "messages[0].content[0].type")
        #expect(unknown.message.hasPrefix("messages[0].content[0].type: Input tag 'video' found"))

        let nestedDocument = try requestError(#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "search_result", "source": "s", "title": "t", "content": []}]}]}]}"#)
        #expect(nestedDocument.param == "messages[0].content[0].content[0].type")
        #expect(nestedDocument.code == "unsupported_content")

        let fileImage = try requestError(#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "file_011CNha8iCJcU1wXNR6q4V8w"}}]}]}"#)
        #expect(fileImage.param == "messages[0].content[0].source.type")
        #expect(fileImage.code == "unsupported_content")

        let webSearch = try requestError(#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "news?"}], "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}]}"#)
        #expect(webSearch.param == "tools[0].type")
        #expect(webSearch.code == "unsupported_tool")
        #expect(webSearch.message.contains("web_search_20250305"))

        let custom = try AnthropicMessagesCodec.decodeRequest(try json(#"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "custom", "name": "f", "input_schema": {"type": "object"}, "strict": true}]}"#))
        #expect(custom.tools == [ChatTool(name: "f", parameters: ["type": "object"], strict: true)])
    }

    @Test func imagesAndToolResultContent() throws {
        let request = try AnthropicMessagesCodec.decodeRequest(try json(#"""
        {"model": "m", "max_tokens": 100, "messages": [
          {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "image", "source": {"type": "url", "url": "https://upload.wikimedia.org/cat.jpg"}},
            {"type": "text", "text": "Compare these."}
          ]},
          {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}, {"type": "tool_use", "id": "toolu_1", "name": "screenshot", "input": {}}]},
          {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "Here it is"}, {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}}]},
            {"type": "tool_result", "tool_use_id": "toolu_2"},
            {"type": "text", "text": "What do you see?"}
          ]}
        ]}
        """#))
        #expect(request.messages[0].content == [
            .image(.base64(mediaType: "image/png", data: "iVBORw0KGgo=")),
            .image(.url("https://upload.wikimedia.org/cat.jpg", detail: nil)),
            .text("Compare these."),
        ])
        #expect(request.messages[1].content == [.toolCall(id: "toolu_1", name: "screenshot", arguments: "{}")])
        #expect(request.messages[2].content == [
            .toolResult(toolCallID: "toolu_1", content: [.text("Here it is"), .image(.base64(mediaType: "image/jpeg", data: "/9j/4AAQ"))], isError: false),
            .toolResult(toolCallID: "toolu_2", content: [], isError: false),
            .text("What do you see?"),
        ])
    }

    @Test(arguments: [
        (#"{"type": "auto"}"#, ChatToolChoice.auto, Bool?.none),
        (#"{"type": "any"}"#, ChatToolChoice.required, Bool?.none),
        (#"{"type": "none"}"#, ChatToolChoice.none, Bool?.none),
        (#"{"type": "tool", "name": "get_weather"}"#, ChatToolChoice.tool("get_weather"), Bool?.none),
        (#"{"type": "auto", "disable_parallel_tool_use": true}"#, ChatToolChoice.auto, Bool?.some(false)),
        (#"{"type": "any", "disable_parallel_tool_use": false}"#, ChatToolChoice.required, Bool?.some(true)),
    ])
    func toolChoice(choice: String, expected: ChatToolChoice, parallel: Bool?) throws {
        let body = #"{"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}], "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}], "tool_choice": "# + choice + "}"
        let request = try AnthropicMessagesCodec.decodeRequest(try json(body))
        #expect(request.toolChoice == expected)
        #expect(request.parallelToolCalls == parallel)
    }

    @Test func samplingParametersAndUnknownMembers() throws {
        let request = try AnthropicMessagesCodec.decodeRequest(try json(#"""
        {"model": "claude-opus-4-1", "max_tokens": 1024, "system": "Be terse.", "messages": [{"role": "user", "content": "Hi"}],
         "stop_sequences": ["\n\nHuman:", "END"], "temperature": 0.2, "top_p": 0.9, "top_k": 40, "stream": false,
         "service_tier": "auto", "container": "container_1", "metadata": {"user_id": null}}
        """#))
        #expect(request.system == [.text("Be terse.")])
        #expect(request.stop == ["\n\nHuman:", "END"])
        #expect(request.temperature == 0.2)
        #expect(request.topP == 0.9)
        #expect(request.topK == 40)
        #expect(!request.stream)
        #expect(request.user == nil)
        #expect(request.extra.isEmpty)
    }

    @Test func bodyMustBeAnObject() throws {
        let error = try requestError("[1, 2]")
        #expect(error.status == 400)
        #expect(error.kind == .invalidRequest)
    }
}

@Suite("Anthropic Messages codec: upstream requests")
struct AnthropicMessagesEncodeRequestTests {
    @Test func openAIStyleConversationIsMergedAndReordered() throws {
        // What the OpenAI decoder produces for: system, user, assistant with two parallel tool
        // calls (content ""), two tool messages, then a user message.
        let request = ChatRequest(
            model: "claude",
            system: [.text("You are a weather bot.")],
            messages: [
                ChatMessage(role: .user, content: [.text("Weather in Paris and Berlin?")]),
                ChatMessage(role: .assistant, content: [
                    .text(""),
                    .toolCall(id: "call_abc", name: "get_weather", arguments: #"{"city": "Paris"}"#),
                    .toolCall(id: "call_def", name: "get_weather", arguments: #"{"city":"Berlin"}"#),
                ]),
                ChatMessage(role: .tool, content: [.toolResult(toolCallID: "call_abc", content: [.text("18°C")], isError: false)]),
                ChatMessage(role: .tool, content: [.toolResult(toolCallID: "call_def", content: [.text("15°C")], isError: false)]),
                ChatMessage(role: .user, content: [.text("Thanks. Which is warmer?")]),
            ],
            tools: [ChatTool(name: "get_weather", description: "Current weather", parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]], strict: true)],
            toolChoice: .auto, maxTokens: 300, temperature: 0.5, stream: true, streamIncludeUsage: true,
            seed: 42, user: "user-1234", metadata: ["trace": "x"], extra: ["logprobs": true])
        let body = try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "claude-sonnet-4-5-20250929", stream: true)
        let expected = try json(#"""
        {"model":"claude-sonnet-4-5-20250929","max_tokens":300,"system":"You are a weather bot.","messages":[
          {"role":"user","content":[{"type":"text","text":"Weather in Paris and Berlin?"}]},
          {"role":"assistant","content":[
            {"type":"tool_use","id":"call_abc","name":"get_weather","input":{"city":"Paris"}},
            {"type":"tool_use","id":"call_def","name":"get_weather","input":{"city":"Berlin"}}]},
          {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"call_abc","content":"18°C"},
            {"type":"tool_result","tool_use_id":"call_def","content":"15°C"},
            {"type":"text","text":"Thanks. Which is warmer?"}]}],
         "tools":[{"name":"get_weather","description":"Current weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
         "tool_choice":{"type":"auto"},"temperature":0.5,"metadata":{"user_id":"user-1234"},"stream":true}
        """#)
        #expect(body.serializedString() == expected.serializedString())
    }

    @Test func toolResultsComeFirstInAMergedUserMessage() throws {
        let request = ChatRequest(model: "m", messages: [
            ChatMessage(role: .assistant, content: [.toolCall(id: "toolu_1", name: "f", arguments: "{}")]),
            ChatMessage(role: .user, content: [.text("Also, hurry."), .toolResult(toolCallID: "toolu_1", content: [], isError: true)]),
            ChatMessage(role: .tool, content: [.toolResult(toolCallID: "toolu_2", content: [.text("a"), .image(.url("https://example.com/x.png", detail: "high"))], isError: false)]),
            ChatMessage(role: .user, content: [.text("")]),
            ChatMessage(role: .assistant, content: [.text("One")]),
            ChatMessage(role: .assistant, content: [.text("Two")]),
        ])
        let body = try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        let messages = try #require(body["messages"]?.arrayValue)
        #expect(messages.count == 3)
        #expect(messages[1] == ["role": "user", "content": [
            ["type": "tool_result", "tool_use_id": "toolu_1", "is_error": true],
            ["type": "tool_result", "tool_use_id": "toolu_2", "content": [
                ["type": "text", "text": "a"],
                ["type": "image", "source": ["type": "url", "url": "https://example.com/x.png"]],
            ]],
            ["type": "text", "text": "Also, hurry."],
        ]])
        #expect(messages[2] == ["role": "assistant", "content": [["type": "text", "text": "One"], ["type": "text", "text": "Two"]]])
        #expect(body["stream"] == nil)
        #expect(body["max_tokens"] == JSONValue(AnthropicMessagesCodec.defaultMaxTokens))
        #expect(AnthropicMessagesCodec.defaultMaxTokens == 4096)
    }

    @Test func imagesBecomeBase64OrURLSources() throws {
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [
            .image(.url("data:image/png;base64,iVBORw0KGgo=", detail: "low")),
            .image(.url("https://example.com/cat.jpg", detail: nil)),
            .image(.base64(mediaType: "image/webp", data: "UklGRg==")),
        ])])
        let body = try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        #expect(body["messages"]?[0]?["content"] == [
            ["type": "image", "source": ["type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="]],
            ["type": "image", "source": ["type": "url", "url": "https://example.com/cat.jpg"]],
            ["type": "image", "source": ["type": "base64", "media_type": "image/webp", "data": "UklGRg=="]],
        ])
    }

    @Test func toolArguments() throws {
        let empty = ChatRequest(model: "m", messages: [ChatMessage(role: .assistant, content: [.toolCall(id: "call.1", name: "now", arguments: "")])])
        let body = try AnthropicMessagesCodec.encodeRequest(empty, upstreamModel: "m", stream: false)
        // Empty arguments are an empty object; ids get Anthropic's allowed characters.
        #expect(body["messages"]?[0]?["content"]?[0] == ["type": "tool_use", "id": "call_1", "name": "now", "input": [:]])

        for bad in [#"{"city": "Par"#, "[1, 2]", "\"text\"", "null"] {
            let request = ChatRequest(model: "m", messages: [ChatMessage(role: .assistant, content: [.toolCall(id: "call_9", name: "f", arguments: bad)])])
            let error = try #require(encodeError(request))
            #expect(error.status == 400)
            #expect(error.code == "invalid_tool_arguments")
            #expect(error.message.contains("call_9"))
        }
    }

    @Test func nAboveOneIsRejected() throws {
        let error = try #require(encodeError(ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("x")])], n: 2)))
        #expect(error.status == 400)
        #expect(error.param == "n")
        #expect(encodeError(ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("x")])], n: 1)) == nil)
    }

    @Test(arguments: [
        (ChatToolChoice?.none, Bool?.none, JSONValue?.none),
        (ChatToolChoice?.none, Bool?.some(false), JSONValue?.some(["type": "auto", "disable_parallel_tool_use": true])),
        (ChatToolChoice?.some(.auto), Bool?.some(true), JSONValue?.some(["type": "auto"])),
        (ChatToolChoice?.some(.required), Bool?.some(false), JSONValue?.some(["type": "any", "disable_parallel_tool_use": true])),
        (ChatToolChoice?.some(.tool("f")), Bool?.none, JSONValue?.some(["type": "tool", "name": "f"])),
        (ChatToolChoice?.some(.none), Bool?.some(false), JSONValue?.some(["type": "none"])),
    ])
    func toolChoiceIsEncoded(choice: ChatToolChoice?, parallel: Bool?, expected: JSONValue?) throws {
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("x")])], tools: [ChatTool(name: "f")], toolChoice: choice, parallelToolCalls: parallel)
        let body = try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        #expect(body["tool_choice"] == expected)
        #expect(body["tools"] == [["name": "f", "input_schema": ["type": "object", "properties": [:]]]])
    }

    @Test func toolChoiceWithoutToolsIsLeftOut() throws {
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("x")])], toolChoice: ChatToolChoice.none)
        let body = try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        #expect(body["tools"] == nil)
        #expect(body["tool_choice"] == nil)
    }

    @Test func samplingParameters() throws {
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("x")])], maxTokens: 64, temperature: 1.7, topP: 0.95, topK: 5, stop: ["###"])
        let body = try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        #expect(body["temperature"]?.doubleValue == 1.0)
        #expect(body["top_p"]?.doubleValue == 0.95)
        #expect(body["top_k"] == 5)
        #expect(body["stop_sequences"] == ["###"])
        #expect(body["max_tokens"] == 64)
        #expect(body["metadata"] == nil)
    }

    @Test func jsonResponseFormatsBecomeASystemInstruction() throws {
        let schema: JSONValue = ["type": "object", "properties": ["answer": ["type": "string"]], "required": ["answer"]]
        let request = ChatRequest(model: "m", system: [.text("Be helpful.")], messages: [ChatMessage(role: .user, content: [.text("x")])],
                                  responseFormat: .jsonSchema(name: "answer", schema: schema, strict: true, description: "The final answer"))
        let body = try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        let system = try #require(body["system"]?.arrayValue)
        #expect(system.count == 2)
        #expect(system[0] == ["type": "text", "text": "Be helpful."])
        let instruction = try #require(system[1]["text"]?.stringValue)
        #expect(instruction.contains("\"answer\" (The final answer)"))
        #expect(instruction.hasSuffix(schema.serializedString()))

        let objectOnly = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("x")])], responseFormat: .jsonObject)
        let objectBody = try AnthropicMessagesCodec.encodeRequest(objectOnly, upstreamModel: "m", stream: false)
        #expect(objectBody["system"]?.stringValue?.contains("JSON object") == true)

        let text = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("x")])], responseFormat: .text)
        #expect(try AnthropicMessagesCodec.encodeRequest(text, upstreamModel: "m", stream: false)["system"] == nil)
    }

    @Test func anthropicRequestRoundTrips() throws {
        // In the encoder's canonical form, decoding and encoding again gives the same JSON.
        let original = try json(#"""
        {"model":"claude-haiku-4-5","max_tokens":512,"system":[{"type":"text","text":"A"},{"type":"text","text":"B"}],"messages":[
          {"role":"user","content":[{"type":"text","text":"Look"},{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]},
          {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_01","name":"zoom","input":{"level":2,"region":{"x":0.5,"y":0.25}}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":[{"type":"text","text":"zoomed"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}],"is_error":true}]}],
         "tools":[{"name":"zoom","description":"Zoom in","input_schema":{"type":"object","properties":{"level":{"type":"integer"}}}}],
         "tool_choice":{"type":"any","disable_parallel_tool_use":true},"stop_sequences":["STOP"],"temperature":0.25,"top_p":0.5,"top_k":10,
         "metadata":{"user_id":"u-1"},"stream":true}
        """#)
        let decoded = try AnthropicMessagesCodec.decodeRequest(original)
        let encoded = try AnthropicMessagesCodec.encodeRequest(decoded, upstreamModel: "claude-haiku-4-5", stream: decoded.stream)
        #expect(encoded.serializedString() == original.serializedString())
        #expect(try AnthropicMessagesCodec.decodeRequest(encoded) == decoded)
    }
}
