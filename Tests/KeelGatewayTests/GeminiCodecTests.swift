import KeelCore
import Testing

@testable import KeelGateway

@Suite("Gemini codec: requests")
struct GeminiCodecRequestTests {
    /// An OpenAI SDK conversation with everything Gemini can carry: system prompt, text and two
    /// kinds of images, two tool calls in one assistant turn and their results, tools, tool choice,
    /// a JSON schema response format and sampling parameters.
    @Test func encodesAFullOpenAIConversation() throws {
        let openAI = try json(#"""
        {"model":"gemini","max_completion_tokens":256,"temperature":0.2,"top_p":0.9,"n":2,"seed":42,"stop":["END"],
         "presence_penalty":0.5,"frequency_penalty":-0.25,"user":"u-1","logprobs":true,
         "response_format":{"type":"json_schema","json_schema":{"name":"weather","strict":true,"schema":{"type":"object","properties":{"summary":{"type":"string"}},"required":["summary"],"additionalProperties":false}}},
         "tools":[
           {"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"enum":["c","f"]}},"required":["city"],"additionalProperties":false},"strict":true}},
           {"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"tz":{"type":["string","null"]}}}}}],
         "tool_choice":"required",
         "messages":[
           {"role":"system","content":"You are terse."},
           {"role":"user","content":[{"type":"text","text":"Weather and time in Paris? See"},
             {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
             {"type":"image_url","image_url":{"url":"https://example.com/photos/paris.JPG?size=large","detail":"low"}}]},
           {"role":"assistant","content":null,"tool_calls":[
             {"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
             {"id":"call_def","type":"function","function":{"name":"get_time","arguments":""}}]},
           {"role":"tool","tool_call_id":"call_abc","content":"18C, sunny"},
           {"role":"tool","tool_call_id":"call_def","content":"14:05"},
           {"role":"user","content":"Thanks!"}]}
        """#)
        let request = try OpenAIChatCodec.decodeRequest(openAI)
        let encoded = try GeminiCodec.encodeRequest(request, upstreamModel: "gemini-2.5-flash", stream: false)
        let expected = try json(#"""
        {"contents":[
          {"role":"user","parts":[{"text":"Weather and time in Paris? See"},
            {"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},
            {"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/photos/paris.JPG?size=large"}}]},
          {"role":"model","parts":[
            {"functionCall":{"id":"call_abc","name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"skip_thought_signature_validator"},
            {"functionCall":{"id":"call_def","name":"get_time","args":{}}}]},
          {"role":"user","parts":[
            {"functionResponse":{"id":"call_abc","name":"get_weather","response":{"output":"18C, sunny"}}},
            {"functionResponse":{"id":"call_def","name":"get_time","response":{"output":"14:05"}}},
            {"text":"Thanks!"}]}],
         "systemInstruction":{"parts":[{"text":"You are terse."}]},
         "tools":[{"functionDeclarations":[
           {"name":"get_weather","description":"Weather for a city","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"},"unit":{"enum":["c","f"]}},"required":["city"],"additionalProperties":false}},
           {"name":"get_time","parametersJsonSchema":{"type":"object","properties":{"tz":{"type":["string","null"]}}}}]}],
         "toolConfig":{"functionCallingConfig":{"mode":"ANY"}},
         "generationConfig":{"maxOutputTokens":256,"temperature":0.2,"topP":0.9,"stopSequences":["END"],"candidateCount":2,"seed":42,
           "presencePenalty":0.5,"frequencyPenalty":-0.25,"responseMimeType":"application/json",
           "responseJsonSchema":{"type":"object","properties":{"summary":{"type":"string"}},"required":["summary"],"additionalProperties":false}}}
        """#)
        #expect(encoded == expected, "\(encoded)")
        // The model is in the URL, never in the body; nothing of OpenAI's own members leaks through.
        #expect(encoded["model"] == nil && encoded["user"] == nil && encoded["logprobs"] == nil)
    }

    /// Anthropic clients send tool results inside user turns, with `is_error`, images, and
    /// top_k; the function name comes from the earlier `tool_use` block.
    @Test func encodesAnAnthropicToolRoundTrip() throws {
        let anthropic = try json(#"""
        {"model":"gemini","max_tokens":1024,"top_k":40,"system":[{"type":"text","text":"Use tools."},{"type":"text","text":"Be kind."}],
         "tools":[{"name":"lookup","description":"Look up","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}],
         "tool_choice":{"type":"tool","name":"lookup","disable_parallel_tool_use":true},
         "messages":[
           {"role":"user","content":"Find cats"},
           {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"text","text":"Looking."},{"type":"tool_use","id":"toolu_01A","name":"lookup","input":{"q":"cats"}}]},
           {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01A","is_error":true,"content":[{"type":"text","text":"timeout"},{"type":"image","source":{"type":"base64","media_type":"image/webp","data":"UklGRg=="}}]},{"type":"text","text":"Try again"}]}]}
        """#)
        let request = try AnthropicMessagesCodec.decodeRequest(anthropic)
        let encoded = try GeminiCodec.encodeRequest(request, upstreamModel: "gemini-3-pro-preview", stream: true)
        let expected = try json(#"""
        {"contents":[
          {"role":"user","parts":[{"text":"Find cats"}]},
          {"role":"model","parts":[{"text":"Looking."},{"functionCall":{"id":"toolu_01A","name":"lookup","args":{"q":"cats"}},"thoughtSignature":"skip_thought_signature_validator"}]},
          {"role":"user","parts":[
            {"functionResponse":{"id":"toolu_01A","name":"lookup","response":{"error":"timeout"}}},
            {"inlineData":{"mimeType":"image/webp","data":"UklGRg=="}},
            {"text":"Try again"}]}],
         "systemInstruction":{"parts":[{"text":"Use tools."},{"text":"Be kind."}]},
         "tools":[{"functionDeclarations":[{"name":"lookup","description":"Look up","parametersJsonSchema":{"type":"object","properties":{"q":{"type":"string"}}}}]}],
         "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["lookup"]}},
         "generationConfig":{"maxOutputTokens":1024,"topK":40}}
        """#)
        #expect(encoded == expected, "\(encoded)")
    }

    @Test func mergesConsecutiveTurnsAndDropsEmptyOnes() throws {
        let request = ChatRequest(model: "m", messages: [
            ChatMessage(role: .user, content: [.text("one")]),
            ChatMessage(role: .user, content: [.text("")]),
            ChatMessage(role: .user, content: [.text("two")]),
            ChatMessage(role: .assistant, content: [.text("a")]),
            ChatMessage(role: .assistant, content: [.text("b")]),
        ], toolChoice: .auto)
        let encoded = try GeminiCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        #expect(encoded == (try json(#"{"contents":[{"role":"user","parts":[{"text":"one"},{"text":"two"}]},{"role":"model","parts":[{"text":"a"},{"text":"b"}]}]}"#)))
        // No tools: no toolConfig either, and no empty generationConfig.
        #expect(encoded["toolConfig"] == nil && encoded["generationConfig"] == nil)
    }

    @Test func mapsToolChoicesAndJSONMode() throws {
        var request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], tools: [ChatTool(name: "f")])
        request.toolChoice = ChatToolChoice.none
        request.responseFormat = .jsonObject
        var encoded = try GeminiCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        #expect(encoded["toolConfig"] == (try json(#"{"functionCallingConfig":{"mode":"NONE"}}"#)))
        #expect(encoded["generationConfig"] == (try json(#"{"responseMimeType":"application/json"}"#)))
        request.toolChoice = .auto
        request.responseFormat = .text
        encoded = try GeminiCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        #expect(encoded["toolConfig"]?["functionCallingConfig"]?["mode"]?.stringValue == "AUTO")
        #expect(encoded["generationConfig"] == nil)
        // A seed too large for a double is sent exactly as the client wrote it.
        request.seed = JSONNumber(text: "12345678901234567890")
        encoded = try GeminiCodec.encodeRequest(request, upstreamModel: "m", stream: false)
        #expect(encoded["generationConfig"]?["seed"]?.numberValue?.text == "12345678901234567890")
    }

    @Test func refusesWhatGeminiCannotExpress() throws {
        let user = ChatMessage(role: .user, content: [.text("hi")])
        // Several candidates cannot be streamed through the translation.
        let streamed = gatewayError { _ = try GeminiCodec.encodeRequest(ChatRequest(model: "m", messages: [user], n: 3), upstreamModel: "m", stream: true) }
        #expect(streamed?.status == 400 && streamed?.param == "n")
        #expect((try? GeminiCodec.encodeRequest(ChatRequest(model: "m", messages: [user], n: 3), upstreamModel: "m", stream: false)) != nil)

        // A tool result whose call is not in the conversation: Gemini needs the function name.
        let orphan = ChatMessage(role: .tool, content: [.toolResult(toolCallID: "call_gone", content: [.text("x")], isError: false)])
        let missing = gatewayError { _ = try GeminiCodec.encodeRequest(ChatRequest(model: "m", messages: [user, orphan]), upstreamModel: "m", stream: false) }
        #expect(missing?.status == 400)
        #expect(missing?.message.contains("call_gone") == true)

        let badArguments = ChatMessage(role: .assistant, content: [.toolCall(id: "c1", name: "f", arguments: "[1,2]")])
        let arguments = gatewayError { _ = try GeminiCodec.encodeRequest(ChatRequest(model: "m", messages: [user, badArguments]), upstreamModel: "m", stream: false) }
        #expect(arguments?.status == 400 && arguments?.code == "invalid_tool_arguments")

        let ftp = ChatMessage(role: .user, content: [.image(.url("ftp://example.com/a.png", detail: nil))])
        let image = gatewayError { _ = try GeminiCodec.encodeRequest(ChatRequest(model: "m", messages: [ftp]), upstreamModel: "m", stream: false) }
        #expect(image?.status == 400 && image?.code == "unsupported_content")
    }

    @Test func guessesImageTypesFromURLs() {
        #expect(GeminiCodec.imageMimeType("https://x.test/a/b.png") == "image/png")
        #expect(GeminiCodec.imageMimeType("https://x.test/b.jpeg#frag") == "image/jpeg")
        #expect(GeminiCodec.imageMimeType("https://x.test/img?id=3.webp") == nil)
        #expect(GeminiCodec.imageMimeType("https://x.test/v1.2/image") == nil)
        let encoded = try? GeminiCodec.encodeImage(.url("https://x.test/photo", detail: "high"), path: "p")
        #expect(encoded == ["fileData": ["fileUri": "https://x.test/photo"]])
    }
}
