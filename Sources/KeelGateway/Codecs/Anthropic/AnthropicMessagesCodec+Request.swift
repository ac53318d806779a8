import KeelCore

// MARK: - Decoding client requests

extension AnthropicMessagesCodec {
    /// Content block types Anthropic accepts that no other provider can carry.
    static let untranslatableBlockTypes: Set<String> = [
        "document", "search_result", "server_tool_use", "web_search_tool_result", "web_fetch_tool_result",
        "code_execution_tool_result", "bash_code_execution_tool_result", "text_editor_code_execution_tool_result",
        "mcp_tool_use", "mcp_tool_result", "container_upload", "tool_reference",
    ]

    /// Decodes an Anthropic Messages request body into a ``ChatRequest``.
    ///
    /// Strict about the members it knows (a wrong type is a 400 naming the member, e.g.
    /// `messages[2].content[0].text: Input should be a valid string`), lenient about the rest
    /// (ignored, see ``AnthropicMessagesCodec``). `max_tokens` is required, as Anthropic requires it.
    public static func decodeRequest(_ body: JSONValue) throws(GatewayError) -> ChatRequest {
        guard case .object(let root) = body else {
            throw GatewayError.invalid("The request body must be a JSON object.")
        }
        let model = try required(root, "model", .string)
        let maxTokens = try required(root, "max_tokens", .int)
        guard maxTokens >= 1 else { throw invalid("max_tokens", "Input should be greater than or equal to 1") }

        var request = ChatRequest(model: model, maxTokens: maxTokens)
        request.messages = try decodeMessages(root["messages"])
        request.system = try decodeSystem(root["system"])
        for (i, tool) in (try optional(root, "tools", .array) ?? []).enumerated() {
            request.tools.append(try decodeTool(tool, path: "tools[\(i)]"))
        }
        if let object = try optional(root, "tool_choice", .object) {
            switch try required(object, "type", .string, in: "tool_choice") {
            case "auto": request.toolChoice = .auto
            case "any": request.toolChoice = .required
            case "none": request.toolChoice = ChatToolChoice.none
            case "tool": request.toolChoice = .tool(try required(object, "name", .string, in: "tool_choice"))
            case let other:
                throw invalid("tool_choice.type", "Input tag '\(other)' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'")
            }
            if let disable = try optional(object, "disable_parallel_tool_use", .bool, in: "tool_choice") {
                request.parallelToolCalls = !disable
            }
        }
        for (i, stop) in (try optional(root, "stop_sequences", .array) ?? []).enumerated() {
            request.stop.append(try required(stop, at: "stop_sequences[\(i)]", .string))
        }
        request.temperature = try optional(root, "temperature", .double)
        request.topP = try optional(root, "top_p", .double)
        request.topK = try optional(root, "top_k", .int)
        request.stream = try optional(root, "stream", .bool) ?? false
        if let metadata = try optional(root, "metadata", .object) {
            request.user = try optional(metadata, "user_id", .string, in: "metadata")
        }
        return request
    }

    static func decodeMessages(_ value: JSONValue?) throws(GatewayError) -> [ChatMessage] {
        let array = try required(value, at: "messages", .array)
        guard !array.isEmpty else { throw invalid("messages", "at least one message is required") }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(array.count)
        for (i, element) in array.enumerated() {
            let path = "messages[\(i)]"
            let object = try required(element, at: path, .object)
            let role: ChatRole
            switch try required(object, "role", .string, in: path) {
            case "user": role = .user
            case "assistant": role = .assistant
            case let other:
                throw invalid("\(path).role", "Input should be 'user' or 'assistant', not '\(other)' (system instructions go in the top-level 'system' parameter)")
            }
            let content = try required(object["content"], at: "\(path).content")
            messages.append(ChatMessage(role: role, content: try decodeContent(content, role: role, path: "\(path).content")))
        }
        return messages
    }

    static func decodeContent(_ value: JSONValue, role: ChatRole, path: String) throws(GatewayError) -> [ChatContent] {
        switch value {
        case .string(let text):
            return [.text(text)]
        case .array(let blocks):
            var content: [ChatContent] = []
            content.reserveCapacity(blocks.count)
            for (i, block) in blocks.enumerated() {
                if let part = try decodeBlock(block, role: role, path: "\(path)[\(i)]") {
                    content.append(part)
                }
            }
            return content
        default:
            throw invalid(path, "Input should be a valid string or a list of content blocks")
        }
    }

    /// One content block of a message; nil for blocks that are dropped (thinking).
    static func decodeBlock(_ value: JSONValue, role: ChatRole, path: String) throws(GatewayError) -> ChatContent? {
        guard case .object(let block) = value else { throw invalid(path, "Input should be a valid dictionary") }
        let type = try required(block, "type", .string, in: path)
        switch type {
        case "text":
            return .text(try required(block, "text", .string, in: path))
        case "image":
            return .image(try decodeImage(block["source"], path: "\(path).source"))
        case "tool_use":
            guard role == .assistant else { throw invalid(path, "tool_use blocks are only allowed in assistant messages") }
            let id = try required(block, "id", .string, in: path)
            let name = try required(block, "name", .string, in: path)
            let input = try required(block, "input", .object, in: path)
            return .toolCall(id: id, name: name, arguments: JSONValue.object(input).serializedString())
        case "tool_result":
            guard role == .user else { throw invalid(path, "tool_result blocks are only allowed in user messages") }
            let id = try required(block, "tool_use_id", .string, in: path)
            let isError = try optional(block, "is_error", .bool, in: path) ?? false
            var content: [ChatContent] = []
            switch block["content"] {
            case nil, .null?:
                break
            case .string(let text)?:
                content = [.text(text)]
            case .array(let parts)?:
                for (i, part) in parts.enumerated() {
                    let partPath = "\(path).content[\(i)]"
                    guard case .object(let partObject) = part else { throw invalid(partPath, "Input should be a valid dictionary") }
                    switch try required(partObject, "type", .string, in: partPath) {
                    case "text": content.append(.text(try required(partObject, "text", .string, in: partPath)))
                    case "image": content.append(.image(try decodeImage(partObject["source"], path: "\(partPath).source")))
                    case let other: throw untranslatable(other, path: partPath)
                    }
                }
            default:
                throw invalid("\(path).content", "Input should be a valid string or a list of content blocks")
            }
            return .toolResult(toolCallID: id, content: content, isError: isError)
        case "thinking", "redacted_thinking":
            return nil
        default:
            throw untranslatable(type, path: path)
        }
    }

    static func untranslatable(_ type: String, path: String) -> GatewayError {
        if untranslatableBlockTypes.contains(type) {
            return invalid("\(path).type", "content blocks of type '\(type)' cannot be translated for this model's provider", code: "unsupported_content")
        }
        return invalid("\(path).type", "Input tag '\(type)' found using 'type' does not match any of the expected tags: 'text', 'image', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'")
    }

    static func decodeImage(_ value: JSONValue?, path: String) throws(GatewayError) -> ChatImage {
        let source = try required(value, at: path, .object)
        switch try required(source, "type", .string, in: path) {
        case "base64":
            let mediaType = try required(source, "media_type", .string, in: path)
            return .base64(mediaType: mediaType, data: try required(source, "data", .string, in: path))
        case "url":
            return .url(try required(source, "url", .string, in: path), detail: nil)
        case "file":
            throw invalid("\(path).type", "images from the Files API cannot be translated for this model's provider", code: "unsupported_content")
        case let other:
            throw invalid("\(path).type", "Input tag '\(other)' found using 'type' does not match any of the expected tags: 'base64', 'url'")
        }
    }

    static func decodeSystem(_ value: JSONValue?) throws(GatewayError) -> [ChatContent] {
        switch value {
        case nil, .null?:
            return []
        case .string(let text)?:
            return text.isEmpty ? [] : [.text(text)]
        case .array(let blocks)?:
            var system: [ChatContent] = []
            for (i, block) in blocks.enumerated() {
                let path = "system[\(i)]"
                guard case .object(let object) = block else { throw invalid(path, "Input should be a valid dictionary") }
                let type = try required(object, "type", .string, in: path)
                guard type == "text" else { throw invalid("\(path).type", "Input tag '\(type)' found using 'type' does not match any of the expected tags: 'text'") }
                system.append(.text(try required(object, "text", .string, in: path)))
            }
            return system
        default:
            throw invalid("system", "Input should be a valid string or a list of text blocks")
        }
    }

    static func decodeTool(_ value: JSONValue, path: String) throws(GatewayError) -> ChatTool {
        guard case .object(let tool) = value else { throw invalid(path, "Input should be a valid dictionary") }
        if let type = try optional(tool, "type", .string, in: path), type != "custom" {
            throw invalid("\(path).type", "the server tool '\(type)' runs on Anthropic's platform and is not supported for this model's provider", code: "unsupported_tool")
        }
        let name = try required(tool, "name", .string, in: path)
        let description = try optional(tool, "description", .string, in: path)
        let schema = try required(tool, "input_schema", .object, in: path)
        let strict = try optional(tool, "strict", .bool, in: path)
        return ChatTool(name: name, description: description, parameters: .object(schema), strict: strict)
    }
}

// MARK: - Encoding upstream requests

extension AnthropicMessagesCodec {
    /// Encodes `request` as an Anthropic Messages request for `upstreamModel`.
    ///
    /// Tool results (``ChatRole/tool`` messages) become `tool_result` blocks in user messages;
    /// adjacent messages of the same Anthropic role are merged (Anthropic requires user and
    /// assistant to alternate), with tool results first in each user message. Empty text blocks
    /// and messages left without content are dropped (Anthropic rejects them).
    ///
    /// - Throws: a 400 for `n > 1` and for tool-call arguments that are not a JSON object.
    public static func encodeRequest(_ request: ChatRequest, upstreamModel: String, stream: Bool) throws(GatewayError) -> JSONValue {
        if let n = request.n, n > 1 {
            throw GatewayError.invalid("n: Anthropic models return one choice per request; n must be 1.", param: "n", code: "unsupported_parameter")
        }
        var out = JSONObject()
        out["model"] = .string(upstreamModel)
        out["max_tokens"] = JSONValue(request.maxTokens ?? defaultMaxTokens)

        var system: [String] = []
        for part in request.system {
            if case .text(let text) = part, !text.isEmpty { system.append(text) }
        }
        if let instruction = responseFormatInstruction(request.responseFormat) { system.append(instruction) }
        if system.count == 1 {
            out["system"] = .string(system[0])
        } else if system.count > 1 {
            out["system"] = .array(system.map { ["type": "text", "text": .string($0)] })
        }

        out["messages"] = .array(try nonEmptyConversation(encodeMessages(request.messages), provider: "Anthropic"))

        if !request.tools.isEmpty {
            out["tools"] = .array(request.tools.map { tool in
                var object = JSONObject()
                object["name"] = .string(tool.name)
                if let description = tool.description { object["description"] = .string(description) }
                object["input_schema"] = tool.parameters
                return .object(object)
            })
            var choice = JSONObject()
            switch request.toolChoice {
            case .auto?: choice["type"] = "auto"
            case .none?: choice["type"] = "none"
            case .required?: choice["type"] = "any"
            case .tool(let name)?:
                choice["type"] = "tool"
                choice["name"] = .string(name)
            case nil:
                if request.parallelToolCalls == false { choice["type"] = "auto" }
            }
            if request.parallelToolCalls == false, request.toolChoice != ChatToolChoice.none {
                choice["disable_parallel_tool_use"] = true
            }
            if !choice.isEmpty { out["tool_choice"] = .object(choice) }
        }
        if !request.stop.isEmpty { out["stop_sequences"] = .array(request.stop.map { .string($0) }) }
        if let temperature = request.temperature { out["temperature"] = JSONValue(min(max(temperature, 0), 1)) }
        if let topP = request.topP { out["top_p"] = JSONValue(topP) }
        if let topK = request.topK { out["top_k"] = JSONValue(topK) }
        if let user = request.user { out["metadata"] = ["user_id": .string(user)] }
        if stream { out["stream"] = true }
        return .object(out)
    }

    /// The system instruction that stands in for a JSON response format, or nil.
    static func responseFormatInstruction(_ format: ChatResponseFormat?) -> String? {
        switch format {
        case nil, .text?:
            return nil
        case .jsonObject?:
            return "Respond with a single valid JSON object and nothing else: no prose before or after it and no Markdown code fences."
        case .jsonSchema(let name, let schema, _, let description)?:
            var text = "Respond with a single valid JSON object and nothing else (no prose before or after it and no Markdown code fences). "
            text += "The object must conform to the JSON Schema named \"\(name)\""
            if let description, !description.isEmpty { text += " (\(description))" }
            text += ":\n" + schema.serializedString()
            return text
        }
    }

    static func encodeMessages(_ messages: [ChatMessage]) throws(GatewayError) -> [JSONValue] {
        var turns: [(role: String, blocks: [JSONValue])] = []
        for (i, message) in messages.enumerated() {
            var blocks: [JSONValue] = []
            for part in message.content {
                if let block = try encodeBlock(part, path: "messages[\(i)]") { blocks.append(block) }
            }
            turns.append((message.role == .assistant ? "assistant" : "user", blocks))
        }
        return alternatingTurns(turns, toolResultsFirst: { $0["type"] == "tool_result" }).map { message in
            ["role": .string(message.role), "content": .array(message.blocks)]
        }
    }

    static func encodeBlock(_ content: ChatContent, path: String) throws(GatewayError) -> JSONValue? {
        switch content {
        case .text(let text):
            return text.isEmpty ? nil : ["type": "text", "text": .string(text)]
        case .image(let image):
            return ["type": "image", "source": encodeImageSource(image)]
        case .toolCall(let id, let name, let arguments):
            guard let input = argumentsObject(arguments) else {
                throw GatewayError.invalid(
                    "\(path): the arguments of tool call '\(id)' are not a JSON object; Anthropic models need an object as tool input.",
                    param: path, code: "invalid_tool_arguments")
            }
            return ["type": "tool_use", "id": .string(toolUseID(id)), "name": .string(name), "input": .object(input)]
        case .toolResult(let id, let parts, let isError):
            var block: JSONObject = ["type": "tool_result", "tool_use_id": .string(toolUseID(id))]
            var blocks: [JSONValue] = []
            for part in parts {
                switch part {
                case .text(let text) where !text.isEmpty: blocks.append(["type": "text", "text": .string(text)])
                case .image(let image): blocks.append(["type": "image", "source": encodeImageSource(image)])
                default: break
                }
            }
            if blocks.count == 1, case .string(let text)? = blocks[0]["text"] {
                block["content"] = .string(text)
            } else if !blocks.isEmpty {
                block["content"] = .array(blocks)
            }
            if isError { block["is_error"] = true }
            return .object(block)
        }
    }

    static func encodeImageSource(_ image: ChatImage) -> JSONValue {
        switch image {
        case .base64(let mediaType, let data):
            return ["type": "base64", "media_type": .string(mediaType), "data": .string(data)]
        case .url(let url, _):
            if let inline = image.inlineData {
                return ["type": "base64", "media_type": .string(inline.mediaType), "data": .string(inline.data)]
            }
            return ["type": "url", "url": .string(url)]
        }
    }

    /// A tool-call id as Anthropic accepts it (`^[a-zA-Z0-9_-]+$`): other characters become `_`.
    static func toolUseID(_ id: String) -> String {
        func allowed(_ s: Unicode.Scalar) -> Bool {
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "_" || s == "-"
        }
        if id.isEmpty { return "toolu_" }
        if id.unicodeScalars.allSatisfy(allowed) { return id }
        var out = String.UnicodeScalarView()
        for s in id.unicodeScalars { out.append(allowed(s) ? s : "_") }
        return String(out)
    }
}
