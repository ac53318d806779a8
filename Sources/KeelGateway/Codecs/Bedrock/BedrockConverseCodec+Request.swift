import KeelCore

// MARK: - Encoding upstream requests

extension BedrockConverseCodec {
    /// Encodes `request` as a Converse (or ConverseStream) request body.
    ///
    /// The model id and the choice between `converse` and `converse-stream` are in the URL (see
    /// `ProviderEndpoint`), so `upstreamModel` only selects model-family spellings (`top_k`) and
    /// `stream` changes nothing in the body. See ``BedrockConverseCodec`` for every mapping decision.
    ///
    /// - Throws: a 400 for `n > 1`, image URLs, unsupported image types, tool-call arguments that
    ///   are not a JSON object, and `tool_choice: none` in a conversation that contains tool calls.
    public static func encodeRequest(_ request: ChatRequest, upstreamModel: String, stream: Bool) throws(GatewayError) -> JSONValue {
        if let n = request.n, n > 1 {
            throw GatewayError.invalid("n: Bedrock models return one choice per request; n must be 1.", param: "n", code: "unsupported_parameter")
        }
        var out = JSONObject()
        let messages = try nonEmptyConversation(encodeMessages(request.messages), provider: "Bedrock")
        out["messages"] = .array(messages)

        var system: [JSONValue] = []
        for part in request.system {
            if case .text(let text) = part, !isBlank(text) { system.append(["text": .string(text)]) }
        }
        if case .jsonObject? = request.responseFormat, let instruction = AnthropicMessagesCodec.responseFormatInstruction(.jsonObject) {
            system.append(["text": .string(instruction)])
        }
        if !system.isEmpty { out["system"] = .array(system) }

        var inference = JSONObject()
        if let maxTokens = request.maxTokens { inference["maxTokens"] = JSONValue(maxTokens) }
        if let temperature = request.temperature { inference["temperature"] = JSONValue(min(max(temperature, 0), 1)) }
        if let topP = request.topP { inference["topP"] = JSONValue(topP) }
        let stops = request.stop.filter { !$0.isEmpty }
        if !stops.isEmpty { inference["stopSequences"] = .array(stops.map { .string($0) }) }
        if !inference.isEmpty { out["inferenceConfig"] = .object(inference) }

        if let toolConfig = try encodeToolConfig(request, historyHasToolBlocks: containsToolBlocks(messages)) {
            out["toolConfig"] = toolConfig
        }
        if let topK = request.topK {
            out["additionalModelRequestFields"] = isNova(upstreamModel)
                ? ["inferenceConfig": ["topK": JSONValue(topK)]]
                : ["top_k": JSONValue(topK)]
        }
        if case .jsonSchema(let name, let schema, _, let description)? = request.responseFormat {
            var definition: JSONObject = ["schema": .string(schema.serializedString()), "name": .string(name)]
            if let description, !description.isEmpty { definition["description"] = .string(description) }
            out["outputConfig"] = ["textFormat": ["type": "json_schema", "structure": ["jsonSchema": .object(definition)]]]
        }
        return .object(out)
    }

    /// Whether `model` (an id, an inference profile such as `us.amazon.nova-pro-v1:0`, or an ARN)
    /// is an Amazon Nova model.
    static func isNova(_ model: String) -> Bool {
        model.contains("amazon.nova")
    }

    static func isBlank(_ text: String) -> Bool {
        text.allSatisfy(\.isWhitespace)
    }

    /// The `toolConfig`, or nil when no tools are offered.
    static func encodeToolConfig(_ request: ChatRequest, historyHasToolBlocks: Bool) throws(GatewayError) -> JSONValue? {
        if request.toolChoice == ChatToolChoice.none {
            if historyHasToolBlocks {
                throw GatewayError.invalid(
                    "tool_choice: Bedrock has no way to forbid tool calls while the conversation contains tool calls or results (it then requires the tools to be offered); use 'auto' instead of 'none'.",
                    param: "tool_choice", code: "unsupported_parameter")
            }
            return nil
        }
        guard !request.tools.isEmpty else {
            if case .tool(let name)? = request.toolChoice {
                throw GatewayError.invalid("tool_choice: the tool '\(name)' is not among the request's tools.", param: "tool_choice")
            }
            return nil
        }
        let tools: [JSONValue] = request.tools.map { tool in
            var spec = JSONObject()
            spec["name"] = .string(tool.name)
            if let description = tool.description, !description.isEmpty { spec["description"] = .string(description) }
            spec["inputSchema"] = ["json": tool.parameters]
            if let strict = tool.strict { spec["strict"] = .bool(strict) }
            return ["toolSpec": .object(spec)]
        }
        var config: JSONObject = ["tools": .array(tools)]
        switch request.toolChoice {
        case .auto?: config["toolChoice"] = ["auto": [:]]
        case .required?: config["toolChoice"] = ["any": [:]]
        case .tool(let name)?: config["toolChoice"] = ["tool": ["name": .string(name)]]
        case .none?, nil: break
        }
        return .object(config)
    }

    static func containsToolBlocks(_ messages: [JSONValue]) -> Bool {
        messages.contains { message in
            message["content"]?.arrayValue?.contains { $0["toolUse"] != nil || $0["toolResult"] != nil } ?? false
        }
    }

    /// The conversation as alternating Bedrock messages.
    static func encodeMessages(_ messages: [ChatMessage]) throws(GatewayError) -> [JSONValue] {
        var turns: [(role: String, blocks: [JSONValue])] = []
        for (i, message) in messages.enumerated() {
            var blocks: [JSONValue] = []
            for (j, part) in message.content.enumerated() {
                if let block = try encodeBlock(part, path: "messages[\(i)].content[\(j)]") { blocks.append(block) }
            }
            turns.append((message.role == .assistant ? "assistant" : "user", blocks))
        }
        return alternatingTurns(turns, toolResultsFirst: { $0["toolResult"] != nil }).map { message in
            ["role": .string(message.role), "content": .array(message.blocks)]
        }
    }

    static func encodeBlock(_ content: ChatContent, path: String) throws(GatewayError) -> JSONValue? {
        switch content {
        case .text(let text):
            return isBlank(text) ? nil : ["text": .string(text)]
        case .image(let image):
            return ["image": try encodeImage(image, path: path)]
        case .toolCall(let id, let name, let arguments):
            guard let input = AnthropicMessagesCodec.argumentsObject(arguments) else {
                throw GatewayError.invalid(
                    "\(path): the arguments of tool call '\(id)' are not a JSON object; Bedrock models need an object as tool input.",
                    param: path, code: "invalid_tool_arguments")
            }
            return ["toolUse": ["toolUseId": .string(toolUseID(id)), "name": .string(name), "input": .object(input)]]
        case .toolResult(let id, let parts, let isError):
            var blocks: [JSONValue] = []
            for (k, part) in parts.enumerated() {
                switch part {
                case .text(let text) where !text.isEmpty: blocks.append(["text": .string(text)])
                case .image(let image): blocks.append(["image": try encodeImage(image, path: "\(path).content[\(k)]")])
                default: break
                }
            }
            var result: JSONObject = ["toolUseId": .string(toolUseID(id)), "content": .array(blocks)]
            if isError { result["status"] = "error" }
            return ["toolResult": .object(result)]
        }
    }

    /// An `ImageBlock`: `{"format", "source": {"bytes": base64}}`.
    static func encodeImage(_ image: ChatImage, path: String) throws(GatewayError) -> JSONValue {
        guard let inline = image.inlineData else {
            throw GatewayError.invalid(
                "\(path): Bedrock accepts images only as inline data; send the image as base64 (a data: URL) instead of a link. Keel does not fetch image URLs.",
                param: path, code: "unsupported_content")
        }
        let format: String
        switch inline.mediaType.lowercased() {
        case "image/png": format = "png"
        case "image/jpeg", "image/jpg": format = "jpeg"
        case "image/gif": format = "gif"
        case "image/webp": format = "webp"
        default:
            throw GatewayError.invalid("\(path): Bedrock accepts png, jpeg, gif and webp images, not '\(inline.mediaType)'.", param: path, code: "unsupported_content")
        }
        return ["format": .string(format), "source": ["bytes": .string(inline.data)]]
    }

    /// A tool-use id as Bedrock accepts it (`[a-zA-Z0-9_.:-]+`, at most 64 characters): other
    /// characters become `_`; a longer id keeps its first 47 characters and a 16-digit hash of the whole.
    static func toolUseID(_ id: String) -> String {
        func allowed(_ s: Unicode.Scalar) -> Bool {
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "_" || s == "-" || s == "." || s == ":"
        }
        if id.isEmpty { return "tooluse_" }
        var cleaned = id
        if !id.unicodeScalars.allSatisfy(allowed) {
            var out = String.UnicodeScalarView()
            for s in id.unicodeScalars { out.append(allowed(s) ? s : "_") }
            cleaned = String(out)
        }
        guard cleaned.utf8.count > maxToolUseIDLength else { return cleaned }
        return String(cleaned.prefix(47)) + "_" + Digest.hex(Digest.sha256(id).prefix(8))
    }
}
