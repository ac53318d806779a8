import KeelCore

/// A complete (non-streamed) chat response in Keel's provider-neutral form.
public struct ChatResponse: Sendable, Equatable {
    /// The provider's response id (`chatcmpl-…`, `msg_…`); Keel makes one up when there is none.
    public var id: String
    /// The model that answered, as the provider reported it.
    public var model: String
    /// Text and tool calls, in order. (For `n > 1`, the other choices are in `alternatives`.)
    public var content: [ChatContent]
    public var stopReason: ChatStopReason
    public var usage: ChatUsage
    /// Further choices when the client asked for `n > 1` (OpenAI-kind upstreams only).
    public var alternatives: [(content: [ChatContent], stopReason: ChatStopReason)]
    /// Unix seconds when the response was created.
    public var created: Int

    public init(id: String, model: String, content: [ChatContent], stopReason: ChatStopReason, usage: ChatUsage, alternatives: [(content: [ChatContent], stopReason: ChatStopReason)] = [], created: Int) {
        self.id = id
        self.model = model
        self.content = content
        self.stopReason = stopReason
        self.usage = usage
        self.alternatives = alternatives
        self.created = created
    }

    public static func == (lhs: ChatResponse, rhs: ChatResponse) -> Bool {
        lhs.id == rhs.id && lhs.model == rhs.model && lhs.content == rhs.content && lhs.stopReason == rhs.stopReason
            && lhs.usage == rhs.usage && lhs.created == rhs.created && lhs.alternatives.count == rhs.alternatives.count
            && zip(lhs.alternatives, rhs.alternatives).allSatisfy { $0.content == $1.content && $0.stopReason == $1.stopReason }
    }
}

/// Why the model stopped, mapped between every API's vocabulary.
///
/// | Keel | OpenAI `finish_reason` | Anthropic `stop_reason` | Bedrock `stopReason` | Gemini `finishReason` |
/// |---|---|---|---|---|
/// | `endTurn` | `stop` | `end_turn` | `end_turn` | `STOP` |
/// | `maxTokens` | `length` | `max_tokens` | `max_tokens` | `MAX_TOKENS` |
/// | `stopSequence` | `stop` | `stop_sequence` | `stop_sequence` | `STOP` |
/// | `toolUse` | `tool_calls` | `tool_use` | `tool_use` | `STOP` with function calls |
/// | `contentFilter` | `content_filter` | `refusal` | `guardrail_intervened`, `content_filtered` | `SAFETY`, `RECITATION`, … |
public enum ChatStopReason: Sendable, Equatable {
    case endTurn
    case maxTokens
    /// Stopped at one of the request's stop sequences (which one, when known).
    case stopSequence(String?)
    case toolUse
    case contentFilter
    /// A reason with no equivalent; the provider's own word.
    case other(String)

    public var openAI: String {
        switch self {
        case .endTurn, .stopSequence: "stop"
        case .maxTokens: "length"
        case .toolUse: "tool_calls"
        case .contentFilter: "content_filter"
        case .other: "stop"
        }
    }

    public var anthropic: String {
        switch self {
        case .endTurn, .other: "end_turn"
        case .maxTokens: "max_tokens"
        case .stopSequence: "stop_sequence"
        case .toolUse: "tool_use"
        case .contentFilter: "refusal"
        }
    }

    public init(openAI reason: String) {
        switch reason {
        case "stop": self = .endTurn
        case "length": self = .maxTokens
        case "tool_calls", "function_call": self = .toolUse
        case "content_filter": self = .contentFilter
        default: self = .other(reason)
        }
    }

    public init(anthropic reason: String, stopSequence: String? = nil) {
        switch reason {
        case "end_turn", "pause_turn": self = .endTurn
        case "max_tokens", "model_context_window_exceeded": self = .maxTokens
        case "stop_sequence": self = .stopSequence(stopSequence)
        case "tool_use": self = .toolUse
        case "refusal": self = .contentFilter
        default: self = .other(reason)
        }
    }
}

/// Token usage. `inputTokens` counts every input token, cached ones included (OpenAI's
/// `prompt_tokens` convention); `cachedInputTokens` and `cacheWriteTokens` say how many of them
/// were read from or written to the provider's prompt cache.
public struct ChatUsage: Sendable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cachedInputTokens: Int
    public var cacheWriteTokens: Int
    /// Output tokens spent on reasoning, when the provider reports them.
    public var reasoningTokens: Int?

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cachedInputTokens: Int = 0, cacheWriteTokens: Int = 0, reasoningTokens: Int? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.reasoningTokens = reasoningTokens
    }

    public var totalTokens: Int { inputTokens + outputTokens }

    /// Anthropic's `input_tokens` excludes cache reads and writes; this is that number.
    public var uncachedInputTokens: Int { max(0, inputTokens - cachedInputTokens - cacheWriteTokens) }
}

/// One step of a streamed response in Keel's provider-neutral form. Provider stream decoders emit
/// these; inbound-API stream encoders turn them into OpenAI chunks or Anthropic events.
public enum ChatStreamEvent: Sendable, Equatable {
    /// The response began.
    case start(id: String, model: String)
    /// Text for the current text block.
    case textDelta(String)
    /// A tool call began. `index` counts tool calls from 0 in the order they started.
    case toolCallStart(index: Int, id: String, name: String)
    /// A fragment of the JSON arguments of tool call `index`, in order.
    case toolCallDelta(index: Int, arguments: String)
    /// The model stopped.
    case stop(ChatStopReason)
    /// Usage for the whole response (may arrive before or after `stop`).
    case usage(ChatUsage)
}
