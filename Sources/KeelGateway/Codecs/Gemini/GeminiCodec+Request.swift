import KeelCore

extension GeminiCodec {
    /// Encodes `request` as a Gemini `GenerateContentRequest` (the model is in the URL, so
    /// `upstreamModel` is not part of the body; `stream` only matters for the checks).
    ///
    /// See ``GeminiCodec`` for every mapping decision.
    ///
    /// - Throws: a 400 for `n > 1` on a stream, tool-call arguments that are not a JSON object, a
    ///   tool result whose call is not in the conversation, and images that are neither base64
    ///   data nor http(s) URLs.
    public static func encodeRequest(_ request: ChatRequest, upstreamModel: String, stream: Bool) throws(GatewayError) -> JSONValue {
        if stream, let n = request.n, n > 1 {
            throw GatewayError.invalid("n: streamed Gemini answers carry one choice; n must be 1 when streaming.", param: "n", code: "unsupported_parameter")
        }
        var out = JSONObject()
        out["contents"] = .array(try nonEmptyConversation(encodeContents(request.messages), provider: "Gemini"))

        let system = request.system.compactMap { part -> JSONValue? in
            if case .text(let text) = part, !text.isEmpty { return ["text": .string(text)] }
            return nil
        }
        if !system.isEmpty { out["systemInstruction"] = ["parts": .array(system)] }

        if !request.tools.isEmpty {
            let declarations: [JSONValue] = request.tools.map { tool in
                var declaration = JSONObject()
                declaration["name"] = .string(tool.name)
                if let description = tool.description { declaration["description"] = .string(description) }
                declaration["parametersJsonSchema"] = tool.parameters
                return .object(declaration)
            }
            out["tools"] = [["functionDeclarations": .array(declarations)]]
            if let choice = request.toolChoice {
                var config: JSONObject
                switch choice {
                case .auto: config = ["mode": "AUTO"]
                case .none: config = ["mode": "NONE"]
                case .required: config = ["mode": "ANY"]
                case .tool(let name): config = ["mode": "ANY", "allowedFunctionNames": [.string(name)]]
                }
                out["toolConfig"] = ["functionCallingConfig": .object(config)]
            }
        }

        var generation = JSONObject()
        if let maxTokens = request.maxTokens { generation["maxOutputTokens"] = JSONValue(maxTokens) }
        if let temperature = request.temperature { generation["temperature"] = JSONValue(temperature) }
        if let topP = request.topP { generation["topP"] = JSONValue(topP) }
        if let topK = request.topK { generation["topK"] = JSONValue(topK) }
        if !request.stop.isEmpty { generation["stopSequences"] = .array(request.stop.map { .string($0) }) }
        if let n = request.n { generation["candidateCount"] = JSONValue(n) }
        if let seed = request.seed { generation["seed"] = .number(seed) }
        if case .number(let penalty)? = request.extra["presence_penalty"] { generation["presencePenalty"] = .number(penalty) }
        if case .number(let penalty)? = request.extra["frequency_penalty"] { generation["frequencyPenalty"] = .number(penalty) }
        switch request.responseFormat {
        case nil, .text?:
            break
        case .jsonObject?:
            generation["responseMimeType"] = "application/json"
        case .jsonSchema(_, let schema, _, _)?:
            generation["responseMimeType"] = "application/json"
            generation["responseJsonSchema"] = schema
        }
        if !generation.isEmpty { out["generationConfig"] = .object(generation) }
        return .object(out)
    }

    /// The conversation as Gemini `contents`: merged by role, function responses first in user turns.
    static func encodeContents(_ messages: [ChatMessage]) throws(GatewayError) -> [JSONValue] {
        // Tool results carry only the call id; Gemini's functionResponse needs the function name.
        var names: [String: String] = [:]
        var turns: [(role: String, blocks: [JSONValue])] = []
        for (i, message) in messages.enumerated() {
            let path = "messages[\(i)]"
            let role = message.role == .assistant ? "model" : "user"
            var parts: [JSONValue] = []
            var responses: [JSONValue] = []
            for part in message.content {
                switch part {
                case .text(let text):
                    if !text.isEmpty { parts.append(["text": .string(text)]) }
                case .image(let image):
                    parts.append(try encodeImage(image, path: path))
                case .toolCall(let id, let name, let arguments):
                    guard let args = argumentsObject(arguments) else {
                        throw GatewayError.invalid(
                            "\(path): the arguments of tool call '\(id)' are not a JSON object; Gemini models need an object as function call arguments.",
                            param: path, code: "invalid_tool_arguments")
                    }
                    names[id] = name
                    parts.append(["functionCall": ["id": .string(id), "name": .string(name), "args": .object(args)]])
                case .toolResult(let id, let content, let isError):
                    guard let name = names[id] else {
                        throw GatewayError.invalid(
                            "\(path): the tool result for call '\(id)' does not follow an assistant tool call with that id; Gemini needs the function's name, which only that call gives.",
                            param: path, code: "invalid_tool_result")
                    }
                    var text = ""
                    var images: [JSONValue] = []
                    for item in content {
                        switch item {
                        case .text(let t): text += t
                        case .image(let image): images.append(try encodeImage(image, path: path))
                        default: break
                        }
                    }
                    let response: JSONValue = isError ? ["error": .string(text)] : ["output": .string(text)]
                    responses.append(["functionResponse": ["id": .string(id), "name": .string(name), "response": response]])
                    parts += images
                }
            }
            turns.append((role, responses + parts))
        }
        return alternatingTurns(turns, toolResultsFirst: { $0["functionResponse"] != nil }).map { turn in
            var parts = turn.blocks
            if turn.role == "model", let first = parts.firstIndex(where: { $0["functionCall"] != nil }) {
                parts[first].withObject { $0["thoughtSignature"] = .string(placeholderThoughtSignature) }
            }
            return ["role": .string(turn.role), "parts": .array(parts)]
        }
    }

    /// An image as an `inlineData` part (base64) or a `fileData` part (http(s) URL).
    static func encodeImage(_ image: ChatImage, path: String) throws(GatewayError) -> JSONValue {
        if let inline = image.inlineData {
            return ["inlineData": ["mimeType": .string(inline.mediaType), "data": .string(inline.data)]]
        }
        guard case .url(let url, _) = image else {
            throw GatewayError.invalid("\(path): this image cannot be sent to Gemini.", param: path, code: "unsupported_content")
        }
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            throw GatewayError.invalid(
                "\(path): Gemini accepts images as base64 data or http(s) URLs; this image URL is neither.",
                param: path, code: "unsupported_content")
        }
        var file: JSONObject = [:]
        if let mimeType = imageMimeType(url) { file["mimeType"] = .string(mimeType) }
        file["fileUri"] = .string(url)
        return ["fileData": .object(file)]
    }

    /// The image media type implied by a URL's file extension (query and fragment ignored), or nil.
    static func imageMimeType(_ url: String) -> String? {
        let pathPart = url.split(whereSeparator: { $0 == "?" || $0 == "#" }).first ?? ""
        guard let dot = pathPart.lastIndex(of: "."), !pathPart[dot...].contains("/") else { return nil }
        switch pathPart[pathPart.index(after: dot)...].lowercased() {
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "webp": return "image/webp"
        case "gif": return "image/gif"
        case "heic": return "image/heic"
        case "heif": return "image/heif"
        default: return nil
        }
    }

    /// Tool-call arguments as the object Gemini's `args` needs: empty text is `{}`, anything that
    /// does not parse to a JSON object is nil.
    static func argumentsObject(_ arguments: String) -> JSONObject? {
        if arguments.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) { return JSONObject() }
        guard let parsed = try? JSONValue(parsing: arguments), case .object(let object) = parsed else { return nil }
        return object
    }
}
