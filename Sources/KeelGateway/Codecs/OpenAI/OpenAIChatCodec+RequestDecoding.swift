import KeelCore

extension OpenAIChatCodec {
    /// Members of a Chat Completions request that Keel reads; all others go to ``ChatRequest/extra``.
    static let knownRequestMembers: Set<String> = [
        "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "response_format", "stream",
        "stream_options", "n", "stop", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed",
        "user", "metadata",
    ]

    /// Decodes a client's Chat Completions request body.
    ///
    /// Strict about the types of the members it reads (a wrong type is a 400 naming the parameter,
    /// e.g. `messages[2].content`); members it does not read (`logprobs`, `presence_penalty`,
    /// `reasoning_effort`, `service_tier`, …) are kept untouched in ``ChatRequest/extra``.
    /// Audio and file content parts and the deprecated `function` role are rejected with a 400.
    public static func decodeRequest(_ body: JSONValue) throws(GatewayError) -> ChatRequest {
        guard case .object(let root) = body else {
            throw GatewayError.invalid("The request body must be a JSON object.", code: "invalid_type")
        }
        guard let model = try optional(root, "model", .string) else {
            throw GatewayError.invalid("You must provide a model parameter.", param: "model", code: "missing_required_parameter")
        }
        var request = ChatRequest(model: model)

        let messages = try required(root, "messages", .array)
        guard !messages.isEmpty else {
            throw GatewayError.invalid(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                param: "messages", code: "empty_array")
        }
        for (i, value) in messages.enumerated() {
            try decodeMessage(value, param: "messages[\(i)]", index: i, into: &request)
        }

        for (i, tool) in (try optional(root, "tools", .array) ?? []).enumerated() {
            request.tools.append(try decodeTool(tool, param: "tools[\(i)]"))
        }
        if let choice = root["tool_choice"], !choice.isNull {
            request.toolChoice = try decodeToolChoice(choice)
        }
        request.parallelToolCalls = try optional(root, "parallel_tool_calls", .bool)
        if let format = try optional(root, "response_format", .object) {
            request.responseFormat = try decodeResponseFormat(format)
        }
        request.stream = try optional(root, "stream", .bool) ?? false
        if let options = try optional(root, "stream_options", .object) {
            request.streamIncludeUsage = try optional(options, "include_usage", .bool, in: "stream_options") ?? false
        }
        request.n = try atLeastOne(optional(root, "n", .int), "n")
        if let stop = root["stop"], !stop.isNull { request.stop = try decodeStop(stop) }
        let maxTokens = try atLeastOne(optional(root, "max_tokens", .int), "max_tokens")
        request.maxTokens = try atLeastOne(optional(root, "max_completion_tokens", .int), "max_completion_tokens") ?? maxTokens
        request.temperature = try optional(root, "temperature", .double)
        request.topP = try optional(root, "top_p", .double)
        if let seed = root["seed"], !seed.isNull {
            // Integers beyond Int's range are accepted too; the exact text is forwarded.
            guard case .number(let n) = seed, n.int != nil || n.text.drop(while: { $0 == "-" }).allSatisfy(\.isNumber) else {
                throw invalidType("seed", expected: .integer, got: seed)
            }
            request.seed = n
        }
        request.user = try optional(root, "user", .string)
        request.metadata = try optional(root, "metadata", .object)

        for member in root where !knownRequestMembers.contains(member.key) {
            request.extra[member.key] = member.value
        }
        return request
    }

    /// `value` (nil when absent), or OpenAI's error for an integer parameter below its minimum of 1.
    private static func atLeastOne(_ value: Int?, _ param: String) throws(GatewayError) -> Int? {
        guard let value else { return nil }
        guard value >= 1 else {
            throw GatewayError.invalid("Invalid '\(param)': integer below minimum value. Expected a value >= 1, but got \(value) instead.",
                                       param: param, code: "integer_below_min_value")
        }
        return value
    }

    // MARK: Messages

    static let roles = ["system", "developer", "user", "assistant", "tool"]

    static func decodeMessage(_ value: JSONValue, param: String, index: Int, into request: inout ChatRequest) throws(GatewayError) {
        let message = try read(value, at: param, .object)
        let role = try required(message, "role", .string, in: param)
        let name = try optional(message, "name", .string, in: param)

        switch role {
        case "system", "developer":
            let content = try required(message["content"], at: "\(param).content")
            request.system += try decodeTextContent(content, param: "\(param).content")

        case "user":
            let content = try required(message["content"], at: "\(param).content")
            request.messages.append(ChatMessage(role: .user, content: try decodeUserContent(content, param: "\(param).content"), name: name))

        case "assistant":
            var content: [ChatContent] = []
            if let v = message["content"], !v.isNull {
                content = try decodeAssistantContent(v, param: "\(param).content")
            }
            if let refusal = try optional(message, "refusal", .string, in: param) {
                content.append(.text(refusal))
            }
            if let audio = message["audio"], !audio.isNull {
                throw unsupported("\(param).audio", "Referring to a previous audio response")
            }
            for (j, call) in (try optional(message, "tool_calls", .array, in: param) ?? []).enumerated() {
                content.append(try decodeToolCall(call, param: "\(param).tool_calls[\(j)]"))
            }
            if let call = try optional(message, "function_call", .object, in: param) {
                let callName = try required(call, "name", .string, in: "\(param).function_call")
                let arguments = try required(call, "arguments", .string, in: "\(param).function_call")
                content.append(.toolCall(id: "call_legacy_\(index)", name: callName, arguments: arguments))
            }
            request.messages.append(ChatMessage(role: .assistant, content: content, name: name))

        case "tool":
            let id = try required(message, "tool_call_id", .string, in: param)
            let content = try required(message["content"], at: "\(param).content")
            let parts = try decodeTextContent(content, param: "\(param).content")
            request.messages.append(ChatMessage(role: .tool, content: [.toolResult(toolCallID: id, content: parts, isError: false)]))

        case "function":
            throw GatewayError.invalid(
                "The 'function' role is deprecated and not supported; send tool results as 'tool' messages with a 'tool_call_id'.",
                param: "\(param).role", code: "unsupported_value")

        default:
            throw invalidValue("\(param).role", role, supported: roles)
        }
    }

    /// System, developer and tool content: a string or an array of `text` parts.
    static func decodeTextContent(_ value: JSONValue, param: String) throws(GatewayError) -> [ChatContent] {
        switch value {
        case .string(let s):
            return [.text(s)]
        case .array(let parts):
            var out: [ChatContent] = []
            for (i, part) in parts.enumerated() {
                let p = "\(param)[\(i)]"
                let o = try read(part, at: p, .object)
                let type = try required(o, "type", .string, in: p)
                guard type == "text" else { throw invalidValue("\(p).type", type, supported: ["text"]) }
                out.append(.text(try required(o, "text", .string, in: p)))
            }
            return out
        default:
            throw invalidType(param, expected: "one of a string or array of objects", got: value)
        }
    }

    static func decodeUserContent(_ value: JSONValue, param: String) throws(GatewayError) -> [ChatContent] {
        switch value {
        case .string(let s):
            return [.text(s)]
        case .array(let parts):
            var out: [ChatContent] = []
            for (i, part) in parts.enumerated() {
                let p = "\(param)[\(i)]"
                let o = try read(part, at: p, .object)
                let type = try required(o, "type", .string, in: p)
                switch type {
                case "text":
                    out.append(.text(try required(o, "text", .string, in: p)))
                case "image_url":
                    let image = try required(o, "image_url", .object, in: p)
                    let url = try required(image, "url", .string, in: "\(p).image_url")
                    let detail = try optional(image, "detail", .string, in: "\(p).image_url")
                    if let detail, !["auto", "low", "high"].contains(detail) {
                        throw invalidValue("\(p).image_url.detail", detail, supported: ["auto", "low", "high"])
                    }
                    out.append(.image(.url(url, detail: detail)))
                case "input_audio":
                    throw unsupported("\(p).type", "Audio input ('input_audio' content parts)")
                case "file":
                    throw unsupported("\(p).type", "File input ('file' content parts)")
                default:
                    throw invalidValue("\(p).type", type, supported: ["text", "image_url", "input_audio", "file"])
                }
            }
            return out
        default:
            throw invalidType(param, expected: "one of a string or array of objects", got: value)
        }
    }

    /// Assistant content: a string or an array of `text` and `refusal` parts (a refusal is kept as text).
    static func decodeAssistantContent(_ value: JSONValue, param: String) throws(GatewayError) -> [ChatContent] {
        switch value {
        case .string(let s):
            return s.isEmpty ? [] : [.text(s)]
        case .array(let parts):
            var out: [ChatContent] = []
            for (i, part) in parts.enumerated() {
                let p = "\(param)[\(i)]"
                let o = try read(part, at: p, .object)
                let type = try required(o, "type", .string, in: p)
                switch type {
                case "text": out.append(.text(try required(o, "text", .string, in: p)))
                case "refusal": out.append(.text(try required(o, "refusal", .string, in: p)))
                default: throw invalidValue("\(p).type", type, supported: ["text", "refusal"])
                }
            }
            return out
        default:
            throw invalidType(param, expected: "one of a string or array of objects", got: value)
        }
    }

    static func decodeToolCall(_ value: JSONValue, param: String) throws(GatewayError) -> ChatContent {
        let call = try read(value, at: param, .object)
        let id = try required(call, "id", .string, in: param)
        let type = try required(call, "type", .string, in: param)
        guard type == "function" else { throw invalidValue("\(param).type", type, supported: ["function"]) }
        let function = try required(call, "function", .object, in: param)
        let name = try required(function, "name", .string, in: "\(param).function")
        let arguments = try required(function, "arguments", .string, in: "\(param).function")
        return .toolCall(id: id, name: name, arguments: arguments)
    }

    // MARK: Tools and options

    static func decodeTool(_ value: JSONValue, param: String) throws(GatewayError) -> ChatTool {
        let tool = try read(value, at: param, .object)
        let type = try required(tool, "type", .string, in: param)
        guard type == "function" else { throw invalidValue("\(param).type", type, supported: ["function"]) }
        let function = try required(tool, "function", .object, in: param)
        var out = ChatTool(name: try required(function, "name", .string, in: "\(param).function"))
        out.description = try optional(function, "description", .string, in: "\(param).function")
        if let parameters = try optional(function, "parameters", .object, in: "\(param).function") {
            out.parameters = .object(parameters)
        }
        out.strict = try optional(function, "strict", .bool, in: "\(param).function")
        return out
    }

    static func decodeToolChoice(_ value: JSONValue) throws(GatewayError) -> ChatToolChoice {
        switch value {
        case .string(let s):
            switch s {
            case "auto": return .auto
            case "none": return .none
            case "required": return .required
            default: throw invalidValue("tool_choice", s, supported: ["none", "auto", "required"])
            }
        case .object(let o):
            let type = try required(o, "type", .string, in: "tool_choice")
            guard type == "function" else { throw invalidValue("tool_choice.type", type, supported: ["function"]) }
            let function = try required(o, "function", .object, in: "tool_choice")
            return .tool(try required(function, "name", .string, in: "tool_choice.function"))
        default:
            throw invalidType("tool_choice", expected: "one of a string or an object", got: value)
        }
    }

    static func decodeResponseFormat(_ format: JSONObject) throws(GatewayError) -> ChatResponseFormat {
        let type = try required(format, "type", .string, in: "response_format")
        switch type {
        case "text":
            return .text
        case "json_object":
            return .jsonObject
        case "json_schema":
            let p = "response_format.json_schema"
            let schema = try required(format, "json_schema", .object, in: "response_format")
            return .jsonSchema(
                name: try required(schema, "name", .string, in: p),
                schema: .object(try optional(schema, "schema", .object, in: p) ?? [:]),
                strict: try optional(schema, "strict", .bool, in: p),
                description: try optional(schema, "description", .string, in: p))
        default:
            throw invalidValue("response_format.type", type, supported: ["text", "json_object", "json_schema"])
        }
    }

    static func decodeStop(_ value: JSONValue) throws(GatewayError) -> [String] {
        switch value {
        case .string(let s):
            return [s]
        case .array(let items):
            guard items.count <= 4 else {
                throw GatewayError.invalid(
                    "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length \(items.count) instead.",
                    param: "stop", code: "array_above_max_length")
            }
            var out: [String] = []
            for (i, item) in items.enumerated() { out.append(try read(item, at: "stop[\(i)]", .string)) }
            return out
        default:
            throw invalidType("stop", expected: "one of a string or array of strings", got: value)
        }
    }
}
