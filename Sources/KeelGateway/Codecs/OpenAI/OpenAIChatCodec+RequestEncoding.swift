import KeelCore

extension OpenAIChatCodec {
    /// Encodes a request for an OpenAI-compatible upstream (used when the client spoke another API).
    ///
    /// - System instructions become one leading `system` message: the text parts joined with
    ///   `"\n\n"` (non-text system content has no OpenAI form and is dropped).
    /// - Tool results become one `tool` message each, in order, before the rest of the canonical
    ///   message they came in; their content is a string (several text parts: an array of text
    ///   parts); an error result is sent as its text (OpenAI has no error flag).
    ///   Images inside tool results cannot go in a `tool` message, so they follow in the user
    ///   message after the tool messages.
    /// - Assistant text parts are joined into `content` (`null` when the turn is only tool calls).
    /// - Inline images become `data:` URLs.
    /// - `stream: true` always asks for usage (`stream_options.include_usage`).
    /// - ``ChatRequest/extra`` is merged in last and never overrides a member set here;
    ///   ``ChatRequest/topK`` has no OpenAI member and is not sent.
    ///
    /// - Parameters:
    ///   - upstreamModel: the provider's model name, sent as `model`.
    ///   - stream: whether to ask for a streamed response.
    ///   - maxTokensParameter: which member carries ``ChatRequest/maxTokens``.
    public static func encodeRequest(
        _ request: ChatRequest, upstreamModel: String, stream: Bool,
        maxTokensParameter: MaxTokensParameter = .maxCompletionTokens
    ) -> JSONValue {
        var body = JSONObject()
        body["model"] = .string(upstreamModel)
        body["messages"] = .array(encodeMessages(request))
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map(encodeTool))
        }
        if let choice = request.toolChoice {
            body["tool_choice"] = encodeToolChoice(choice)
        }
        if let parallel = request.parallelToolCalls, !request.tools.isEmpty {
            body["parallel_tool_calls"] = .bool(parallel)
        }
        if let format = request.responseFormat {
            body["response_format"] = encodeResponseFormat(format)
        }
        if let max = request.maxTokens {
            body[maxTokensParameter == .maxCompletionTokens ? "max_completion_tokens" : "max_tokens"] = JSONValue(max)
        }
        if let t = request.temperature { body["temperature"] = JSONValue(t) }
        if let p = request.topP { body["top_p"] = JSONValue(p) }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map(JSONValue.string)) }
        if let n = request.n { body["n"] = JSONValue(n) }
        if let seed = request.seed { body["seed"] = .number(seed) }
        if let user = request.user { body["user"] = .string(user) }
        if let metadata = request.metadata { body["metadata"] = .object(metadata) }
        if stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        for member in request.extra where !body.contains(key: member.key) && !knownRequestMembers.contains(member.key) {
            body[member.key] = member.value
        }
        return .object(body)
    }

    static func encodeMessages(_ request: ChatRequest) -> [JSONValue] {
        var out: [JSONValue] = []
        let systemText = request.system.compactMap { if case .text(let t) = $0 { t } else { nil } }
        if !systemText.isEmpty {
            out.append(["role": "system", "content": .string(systemText.joined(separator: "\n\n"))])
        }
        for message in request.messages {
            switch message.role {
            case .assistant:
                out.append(encodeAssistant(message))
            case .user, .tool:
                // Tool results first (each its own `tool` message), then whatever else the message held.
                var rest: [ChatContent] = []
                for part in message.content {
                    guard case .toolResult(let id, let content, _) = part else {
                        rest.append(part)
                        continue
                    }
                    let texts = content.compactMap { if case .text(let t) = $0 { t } else { nil } }
                    let body: JSONValue = texts.count > 1
                        ? .array(texts.map { ["type": "text", "text": .string($0)] })
                        : .string(texts.first ?? "")
                    out.append(["role": "tool", "tool_call_id": .string(id), "content": body])
                    rest += content.filter { if case .image = $0 { true } else { false } }
                }
                let userParts = rest.filter { if case .text = $0 { true } else if case .image = $0 { true } else { false } }
                guard !userParts.isEmpty else { continue }
                var user: JSONObject = ["role": "user", "content": encodeUserContent(userParts)]
                if let name = message.name { user["name"] = .string(name) }
                out.append(.object(user))
            }
        }
        return out
    }

    static func encodeUserContent(_ parts: [ChatContent]) -> JSONValue {
        if parts.count == 1, case .text(let t) = parts[0] { return .string(t) }
        var out: [JSONValue] = []
        for part in parts {
            switch part {
            case .text(let t):
                out.append(["type": "text", "text": .string(t)])
            case .image(let image):
                out.append(["type": "image_url", "image_url": encodeImage(image)])
            case .toolCall, .toolResult:
                continue
            }
        }
        return .array(out)
    }

    static func encodeImage(_ image: ChatImage) -> JSONValue {
        switch image {
        case .url(let url, let detail):
            var o: JSONObject = ["url": .string(url)]
            if let detail { o["detail"] = .string(detail) }
            return .object(o)
        case .base64(let mediaType, let data):
            return ["url": .string("data:\(mediaType);base64,\(data)")]
        }
    }

    static func encodeAssistant(_ message: ChatMessage) -> JSONValue {
        var calls: [JSONValue] = []
        var text = ""
        var hasText = false
        for part in message.content {
            switch part {
            case .text(let t):
                text += t
                hasText = true
            case .toolCall(let id, let name, let arguments):
                calls.append(["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]])
            case .image, .toolResult:
                continue
            }
        }
        var o: JSONObject = ["role": "assistant"]
        o["content"] = hasText || calls.isEmpty ? .string(text) : .null
        if let name = message.name { o["name"] = .string(name) }
        if !calls.isEmpty { o["tool_calls"] = .array(calls) }
        return .object(o)
    }

    static func encodeTool(_ tool: ChatTool) -> JSONValue {
        var function: JSONObject = ["name": .string(tool.name)]
        if let d = tool.description { function["description"] = .string(d) }
        function["parameters"] = tool.parameters
        if let s = tool.strict { function["strict"] = .bool(s) }
        return ["type": "function", "function": .object(function)]
    }

    static func encodeToolChoice(_ choice: ChatToolChoice) -> JSONValue {
        switch choice {
        case .auto: "auto"
        case .none: "none"
        case .required: "required"
        case .tool(let name): ["type": "function", "function": ["name": .string(name)]]
        }
    }

    static func encodeResponseFormat(_ format: ChatResponseFormat) -> JSONValue {
        switch format {
        case .text:
            return ["type": "text"]
        case .jsonObject:
            return ["type": "json_object"]
        case .jsonSchema(let name, let schema, let strict, let description):
            var o: JSONObject = ["name": .string(name)]
            if let description { o["description"] = .string(description) }
            o["schema"] = schema
            if let strict { o["strict"] = .bool(strict) }
            return ["type": "json_schema", "json_schema": .object(o)]
        }
    }
}
