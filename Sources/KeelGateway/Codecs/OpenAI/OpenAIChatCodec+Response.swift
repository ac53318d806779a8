import KeelCore

extension OpenAIChatCodec {
    /// Decodes an upstream `chat.completion` object.
    ///
    /// Choice 0 (by `index`) becomes the response; further choices become
    /// ``ChatResponse/alternatives``. A `refusal` is read as text with stop reason
    /// ``ChatStopReason/contentFilter``. Tool calls with `finish_reason` `stop` or `null` read as
    /// ``ChatStopReason/toolUse``. Legacy `function_call` answers become a tool call with a made-up id.
    /// Usage reads `prompt_tokens_details.cached_tokens` (or DeepSeek's `prompt_cache_hit_tokens`)
    /// and `completion_tokens_details.reasoning_tokens`.
    public static func decodeResponse(_ body: JSONValue) throws(GatewayError) -> ChatResponse {
        guard case .object(let root) = body else { throw protocolError("the response body is not a JSON object") }
        if let error = root["error"], !error.isNull {
            throw streamError(error, fallbackStatus: 502)
        }
        guard case .array(let choiceValues)? = root["choices"], !choiceValues.isEmpty else {
            throw protocolError("the response has no choices")
        }
        var choices: [(index: Int, content: [ChatContent], stop: ChatStopReason)] = []
        for (position, value) in choiceValues.enumerated() {
            guard case .object(let choice) = value else { throw protocolError("choices[\(position)] is not an object") }
            let index = choice["index"]?.intValue ?? position
            guard case .object(let message)? = choice["message"] else { throw protocolError("choices[\(position)] has no message") }
            let (content, refused) = try decodeResponseMessage(message, position: position)
            let stop = stopReason(finish: choice["finish_reason"]?.stringValue, refused: refused,
                                  hasToolCalls: content.contains { if case .toolCall = $0 { true } else { false } })
            choices.append((index, content, stop))
        }
        choices.sort { $0.index < $1.index }
        let first = choices.removeFirst()
        return ChatResponse(
            id: root["id"]?.stringValue ?? makeID(prefix: "chatcmpl-"),
            model: root["model"]?.stringValue ?? "",
            content: first.content,
            stopReason: first.stop,
            usage: root["usage"].map(decodeUsage) ?? ChatUsage(),
            alternatives: choices.map { ($0.content, $0.stop) },
            created: root["created"]?.intValue ?? currentUnixTime())
    }

    static func protocolError(_ what: String) -> GatewayError {
        GatewayError(.upstreamProtocol, status: 502, message: "The upstream answered with an invalid chat completion: \(what).")
    }

    /// The neutral stop reason for an OpenAI `finish_reason`, given what the choice contained.
    static func stopReason(finish: String?, refused: Bool, hasToolCalls: Bool) -> ChatStopReason {
        if refused { return .contentFilter }
        guard let finish else { return hasToolCalls ? .toolUse : .endTurn }
        let reason = ChatStopReason(openAI: finish)
        if reason == .endTurn, hasToolCalls { return .toolUse }
        return reason
    }

    static func decodeResponseMessage(_ message: JSONObject, position: Int) throws(GatewayError) -> ([ChatContent], refused: Bool) {
        var content: [ChatContent] = []
        switch message["content"] {
        case .string(let s)?:
            if !s.isEmpty { content.append(.text(s)) }
        case .array(let parts)?:
            // Some compatible servers answer with content parts; keep their text.
            for part in parts {
                if let t = part["text"]?.stringValue, part["type"]?.stringValue ?? "text" == "text" { content.append(.text(t)) }
            }
        default:
            break
        }
        var refused = false
        if let refusal = message["refusal"]?.stringValue {
            content.append(.text(refusal))
            refused = true
        }
        if case .array(let calls)? = message["tool_calls"] {
            for (j, value) in calls.enumerated() {
                guard case .object(let call) = value, case .object(let function)? = call["function"],
                      let name = function["name"]?.stringValue
                else { throw protocolError("choices[\(position)].message.tool_calls[\(j)] is not a function call") }
                let id = call["id"]?.stringValue ?? "call_\(position)_\(j)"
                content.append(.toolCall(id: id, name: name, arguments: argumentsText(function["arguments"])))
            }
        }
        if case .object(let function)? = message["function_call"], let name = function["name"]?.stringValue {
            content.append(.toolCall(id: makeID(prefix: "call_"), name: name, arguments: argumentsText(function["arguments"])))
        }
        return (content, refused)
    }

    /// Tool-call arguments as JSON text (a few compatible servers send an object instead of a string).
    static func argumentsText(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s)?: s
        case nil, .null?: ""
        case let other?: other.serializedString()
        }
    }

    static func decodeUsage(_ value: JSONValue) -> ChatUsage {
        var usage = ChatUsage(inputTokens: value["prompt_tokens"]?.intValue ?? 0, outputTokens: value["completion_tokens"]?.intValue ?? 0)
        if let cached = value["prompt_tokens_details"]?["cached_tokens"]?.intValue {
            usage.cachedInputTokens = cached
        } else if let hit = value["prompt_cache_hit_tokens"]?.intValue {
            usage.cachedInputTokens = hit
        }
        usage.reasoningTokens = value["completion_tokens_details"]?["reasoning_tokens"]?.intValue
        return usage
    }

    static func encodeUsage(_ usage: ChatUsage) -> JSONValue {
        [
            "prompt_tokens": JSONValue(usage.inputTokens),
            "completion_tokens": JSONValue(usage.outputTokens),
            "total_tokens": JSONValue(usage.totalTokens),
            "prompt_tokens_details": ["cached_tokens": JSONValue(usage.cachedInputTokens)],
            "completion_tokens_details": ["reasoning_tokens": JSONValue(usage.reasoningTokens ?? 0)],
        ]
    }

    /// Encodes a `chat.completion` object for an OpenAI client.
    ///
    /// Text parts are concatenated into `content` (`null` when the answer is only tool calls);
    /// ``ChatResponse/alternatives`` become choices 1…n. `model` is the name the client asked for.
    public static func encodeResponse(_ response: ChatResponse, model: String) -> JSONValue {
        var choices: [JSONValue] = [encodeChoice(index: 0, content: response.content, stop: response.stopReason)]
        for (i, alternative) in response.alternatives.enumerated() {
            choices.append(encodeChoice(index: i + 1, content: alternative.content, stop: alternative.stopReason))
        }
        return [
            "id": .string(response.id),
            "object": "chat.completion",
            "created": JSONValue(response.created),
            "model": .string(model),
            "choices": .array(choices),
            "usage": encodeUsage(response.usage),
        ]
    }

    static func encodeChoice(index: Int, content: [ChatContent], stop: ChatStopReason) -> JSONValue {
        let assistant = encodeAssistant(ChatMessage(role: .assistant, content: content))
        var message: JSONObject = ["role": "assistant", "content": assistant["content"] ?? .null, "refusal": .null]
        if let calls = assistant["tool_calls"] { message["tool_calls"] = calls }
        return [
            "index": JSONValue(index),
            "message": .object(message),
            "logprobs": .null,
            "finish_reason": .string(stop.openAI),
        ]
    }
}
