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
        guard let modelValue = optional(root, "model") else {
            throw GatewayError.invalid("You must provide a model parameter.", param: "model", code: "missing_required_parameter")
        }
        var request = ChatRequest(model: try string(modelValue, "model"))

        let messages = try array(try required(root, "messages", "messages"), "messages")
        guard !messages.isEmpty else {
            throw GatewayError.invalid(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                param: "messages", code: "empty_array")
        }
        for (i, value) in messages.enumerated() {
            try decodeMessage(value, param: "messages[\(i)]", index: i, into: &request)
        }

        if let tools = optional(root, "tools") {
            for (i, tool) in try array(tools, "tools").enumerated() {
                request.tools.append(try decodeTool(tool, param: "tools[\(i)]"))
            }
        }
        if let choice = optional(root, "tool_choice") {
            request.toolChoice = try decodeToolChoice(choice)
        }
        if let v = optional(root, "parallel_tool_calls") { request.parallelToolCalls = try bool(v, "parallel_tool_calls") }
        if let v = optional(root, "response_format") { request.responseFormat = try decodeResponseFormat(v) }
        if let v = optional(root, "stream") { request.stream = try bool(v, "stream") }
        if let v = optional(root, "stream_options") {
            let options = try object(v, "stream_options")
            if let u = optional(options, "include_usage") {
                request.streamIncludeUsage = try bool(u, "stream_options.include_usage")
            }
        }
        if let v = optional(root, "n") {
            let n = try int(v, "n")
            guard n >= 1 else {
                throw GatewayError.invalid("Invalid 'n': integer below minimum value. Expected a value >= 1, but got \(n) instead.", param: "n", code: "integer_below_min_value")
            }
            request.n = n
        }
        if let v = optional(root, "stop") { request.stop = try decodeStop(v) }
        if let v = optional(root, "max_tokens") { request.maxTokens = try int(v, "max_tokens") }
        if let v = optional(root, "max_completion_tokens") { request.maxTokens = try int(v, "max_completion_tokens") }
        if let v = optional(root, "temperature") { request.temperature = try double(v, "temperature") }
        if let v = optional(root, "top_p") { request.topP = try double(v, "top_p") }
        if let v = optional(root, "seed") {
            // Integers beyond Int's range are accepted too; the exact text is forwarded.
            guard case .number(let n) = v, n.int != nil || n.text.drop(while: { $0 == "-" }).allSatisfy(\.isNumber) else {
                throw invalidType("seed", expected: "an integer", got: v)
            }
            request.seed = n
        }
        if let v = optional(root, "user") { request.user = try string(v, "user") }
        if let v = optional(root, "metadata") { request.metadata = try object(v, "metadata") }

        for member in root where !knownRequestMembers.contains(member.key) {
            request.extra[member.key] = member.value
        }
        return request
    }

    // MARK: Messages

    static let roles = ["system", "developer", "user", "assistant", "tool"]

    static func decodeMessage(_ value: JSONValue, param: String, index: Int, into request: inout ChatRequest) throws(GatewayError) {
        let message = try object(value, param)
        let role = try string(try required(message, "role", "\(param).role"), "\(param).role")
        var name: String?
        if let v = optional(message, "name") { name = try string(v, "\(param).name") }

        switch role {
        case "system", "developer":
            let content = try required(message, "content", "\(param).content")
            request.system += try decodeTextContent(content, param: "\(param).content")

        case "user":
            let content = try required(message, "content", "\(param).content")
            request.messages.append(ChatMessage(role: .user, content: try decodeUserContent(content, param: "\(param).content"), name: name))

        case "assistant":
            var content: [ChatContent] = []
            if let v = optional(message, "content") {
                content = try decodeAssistantContent(v, param: "\(param).content")
            }
            if let v = optional(message, "refusal") {
                content.append(.text(try string(v, "\(param).refusal")))
            }
            if optional(message, "audio") != nil {
                throw unsupported("\(param).audio", "Referring to a previous audio response")
            }
            if let v = optional(message, "tool_calls") {
                for (j, call) in try array(v, "\(param).tool_calls").enumerated() {
                    content.append(try decodeToolCall(call, param: "\(param).tool_calls[\(j)]"))
                }
            }
            if let v = optional(message, "function_call") {
                let call = try object(v, "\(param).function_call")
                let callName = try string(try required(call, "name", "\(param).function_call.name"), "\(param).function_call.name")
                let arguments = try string(try required(call, "arguments", "\(param).function_call.arguments"), "\(param).function_call.arguments")
                content.append(.toolCall(id: "call_legacy_\(index)", name: callName, arguments: arguments))
            }
            request.messages.append(ChatMessage(role: .assistant, content: content, name: name))

        case "tool":
            let id = try string(try required(message, "tool_call_id", "\(param).tool_call_id"), "\(param).tool_call_id")
            let content = try required(message, "content", "\(param).content")
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
                let o = try object(part, p)
                let type = try string(try required(o, "type", "\(p).type"), "\(p).type")
                guard type == "text" else { throw invalidValue("\(p).type", type, supported: ["text"]) }
                out.append(.text(try string(try required(o, "text", "\(p).text"), "\(p).text")))
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
                let o = try object(part, p)
                let type = try string(try required(o, "type", "\(p).type"), "\(p).type")
                switch type {
                case "text":
                    out.append(.text(try string(try required(o, "text", "\(p).text"), "\(p).text")))
                case "image_url":
                    let image = try object(try required(o, "image_url", "\(p).image_url"), "\(p).image_url")
                    let url = try string(try required(image, "url", "\(p).image_url.url"), "\(p).image_url.url")
                    var detail: String?
                    if let d = optional(image, "detail") {
                        detail = try string(d, "\(p).image_url.detail")
                        guard ["auto", "low", "high"].contains(detail!) else {
                            throw invalidValue("\(p).image_url.detail", detail!, supported: ["auto", "low", "high"])
                        }
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
                let o = try object(part, p)
                let type = try string(try required(o, "type", "\(p).type"), "\(p).type")
                switch type {
                case "text": out.append(.text(try string(try required(o, "text", "\(p).text"), "\(p).text")))
                case "refusal": out.append(.text(try string(try required(o, "refusal", "\(p).refusal"), "\(p).refusal")))
                default: throw invalidValue("\(p).type", type, supported: ["text", "refusal"])
                }
            }
            return out
        default:
            throw invalidType(param, expected: "one of a string or array of objects", got: value)
        }
    }

    static func decodeToolCall(_ value: JSONValue, param: String) throws(GatewayError) -> ChatContent {
        let call = try object(value, param)
        let id = try string(try required(call, "id", "\(param).id"), "\(param).id")
        let type = try string(try required(call, "type", "\(param).type"), "\(param).type")
        guard type == "function" else { throw invalidValue("\(param).type", type, supported: ["function"]) }
        let function = try object(try required(call, "function", "\(param).function"), "\(param).function")
        let name = try string(try required(function, "name", "\(param).function.name"), "\(param).function.name")
        let arguments = try string(try required(function, "arguments", "\(param).function.arguments"), "\(param).function.arguments")
        return .toolCall(id: id, name: name, arguments: arguments)
    }

    // MARK: Tools and options

    static func decodeTool(_ value: JSONValue, param: String) throws(GatewayError) -> ChatTool {
        let tool = try object(value, param)
        let type = try string(try required(tool, "type", "\(param).type"), "\(param).type")
        guard type == "function" else { throw invalidValue("\(param).type", type, supported: ["function"]) }
        let function = try object(try required(tool, "function", "\(param).function"), "\(param).function")
        var out = ChatTool(name: try string(try required(function, "name", "\(param).function.name"), "\(param).function.name"))
        if let v = optional(function, "description") { out.description = try string(v, "\(param).function.description") }
        if let v = optional(function, "parameters") {
            _ = try object(v, "\(param).function.parameters")
            out.parameters = v
        }
        if let v = optional(function, "strict") { out.strict = try bool(v, "\(param).function.strict") }
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
            let type = try string(try required(o, "type", "tool_choice.type"), "tool_choice.type")
            guard type == "function" else { throw invalidValue("tool_choice.type", type, supported: ["function"]) }
            let function = try object(try required(o, "function", "tool_choice.function"), "tool_choice.function")
            return .tool(try string(try required(function, "name", "tool_choice.function.name"), "tool_choice.function.name"))
        default:
            throw invalidType("tool_choice", expected: "one of a string or an object", got: value)
        }
    }

    static func decodeResponseFormat(_ value: JSONValue) throws(GatewayError) -> ChatResponseFormat {
        let format = try object(value, "response_format")
        let type = try string(try required(format, "type", "response_format.type"), "response_format.type")
        switch type {
        case "text":
            return .text
        case "json_object":
            return .jsonObject
        case "json_schema":
            let p = "response_format.json_schema"
            let schema = try object(try required(format, "json_schema", p), p)
            let name = try string(try required(schema, "name", "\(p).name"), "\(p).name")
            var body: JSONValue = [:]
            if let v = optional(schema, "schema") {
                _ = try object(v, "\(p).schema")
                body = v
            }
            var strict: Bool?
            if let v = optional(schema, "strict") { strict = try bool(v, "\(p).strict") }
            var description: String?
            if let v = optional(schema, "description") { description = try string(v, "\(p).description") }
            return .jsonSchema(name: name, schema: body, strict: strict, description: description)
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
            for (i, item) in items.enumerated() { out.append(try string(item, "stop[\(i)]")) }
            return out
        default:
            throw invalidType("stop", expected: "one of a string or array of strings", got: value)
        }
    }
}
