import KeelCore

/// A chat request in Keel's provider-neutral form.
///
/// Every inbound API (OpenAI Chat Completions, Anthropic Messages) is decoded into this, and every
/// provider's wire format is encoded from it. It is the union of what the supported APIs can
/// express; what one side cannot express is dropped or approximated by the encoder, as documented
/// there. When the inbound format equals the provider's, the gateway forwards the original JSON
/// instead (see `passthrough`), so nothing is lost.
public struct ChatRequest: Sendable, Equatable {
    /// The model name the client asked for (a configured `models[].name`).
    public var model: String
    /// System instructions, in order (OpenAI `system`/`developer` messages, Anthropic `system`).
    public var system: [ChatContent]
    /// The conversation, oldest first. Never contains system instructions.
    public var messages: [ChatMessage]
    /// Tools the model may call.
    public var tools: [ChatTool]
    public var toolChoice: ChatToolChoice?
    /// OpenAI `parallel_tool_calls`; Anthropic `tool_choice.disable_parallel_tool_use` (inverted).
    public var parallelToolCalls: Bool?
    /// The most output tokens (`max_tokens` / `max_completion_tokens`).
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    /// Anthropic and Gemini `top_k`.
    public var topK: Int?
    public var stop: [String]
    public var stream: Bool
    /// OpenAI `stream_options.include_usage` as the client asked (Keel always asks upstream).
    public var streamIncludeUsage: Bool
    public var responseFormat: ChatResponseFormat?
    /// OpenAI `n` (choices per request).
    public var n: Int?
    /// Kept as JSON so large integers are forwarded exactly.
    public var seed: JSONNumber?
    /// OpenAI `user`; Anthropic `metadata.user_id`.
    public var user: String?
    /// OpenAI `metadata`.
    public var metadata: JSONObject?
    /// Members the decoder did not recognise, forwarded as they are to OpenAI-kind upstreams.
    public var extra: JSONObject

    public init(
        model: String, system: [ChatContent] = [], messages: [ChatMessage] = [], tools: [ChatTool] = [],
        toolChoice: ChatToolChoice? = nil, parallelToolCalls: Bool? = nil, maxTokens: Int? = nil,
        temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, stop: [String] = [],
        stream: Bool = false, streamIncludeUsage: Bool = false, responseFormat: ChatResponseFormat? = nil,
        n: Int? = nil, seed: JSONNumber? = nil, user: String? = nil, metadata: JSONObject? = nil, extra: JSONObject = JSONObject()
    ) {
        self.model = model
        self.system = system
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.parallelToolCalls = parallelToolCalls
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.stop = stop
        self.stream = stream
        self.streamIncludeUsage = streamIncludeUsage
        self.responseFormat = responseFormat
        self.n = n
        self.seed = seed
        self.user = user
        self.metadata = metadata
        self.extra = extra
    }
}

/// Who wrote a message. System instructions live in ``ChatRequest/system``.
public enum ChatRole: String, Sendable, Equatable {
    case user
    case assistant
    /// Tool results (OpenAI `role: tool`). Anthropic carries them in user messages; encoders move them.
    case tool
}

/// One message of the conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: ChatRole
    /// Text, images, tool calls (assistant) and tool results (tool/user), in order.
    public var content: [ChatContent]
    /// OpenAI's optional participant `name`.
    public var name: String?

    public init(role: ChatRole, content: [ChatContent], name: String? = nil) {
        self.role = role
        self.content = content
        self.name = name
    }

    /// The concatenated text parts.
    public var text: String {
        content.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
    }
}

/// A piece of message content.
public enum ChatContent: Sendable, Equatable {
    case text(String)
    case image(ChatImage)
    /// A tool call made by the assistant. `arguments` is the JSON text of the arguments object,
    /// exactly as the model produced it (it may be invalid JSON; it is never re-encoded).
    case toolCall(id: String, name: String, arguments: String)
    /// The result of a tool call, returned by the client.
    case toolResult(toolCallID: String, content: [ChatContent], isError: Bool)
}

/// An image in a message: a URL (http(s) or `data:`) or inline base64 data.
public enum ChatImage: Sendable, Equatable {
    case url(String, detail: String?)
    case base64(mediaType: String, data: String)

    /// The image as inline data when it is a `data:` URL.
    public var inlineData: (mediaType: String, data: String)? {
        switch self {
        case .base64(let mediaType, let data):
            return (mediaType, data)
        case .url(let url, _):
            guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ",") else { return nil }
            let header = url[url.index(url.startIndex, offsetBy: 5)..<comma]
            guard header.hasSuffix(";base64") else { return nil }
            return (String(header.dropLast(7)), String(url[url.index(after: comma)...]))
        }
    }
}

/// A tool the model may call (a function with a JSON Schema for its arguments).
public struct ChatTool: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The JSON Schema of the arguments object.
    public var parameters: JSONValue
    /// OpenAI `strict`.
    public var strict: Bool?

    public init(name: String, description: String? = nil, parameters: JSONValue = ["type": "object", "properties": [:]], strict: Bool? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.strict = strict
    }
}

/// How the model should use tools.
public enum ChatToolChoice: Sendable, Equatable {
    /// The model decides (OpenAI `auto`, Anthropic `auto`).
    case auto
    /// No tool calls (OpenAI `none`, Anthropic `none`).
    case none
    /// Some tool must be called (OpenAI `required`, Anthropic `any`).
    case required
    /// This tool must be called.
    case tool(String)
}

/// The shape of the output.
public enum ChatResponseFormat: Sendable, Equatable {
    case text
    case jsonObject
    case jsonSchema(name: String, schema: JSONValue, strict: Bool?, description: String?)
}
