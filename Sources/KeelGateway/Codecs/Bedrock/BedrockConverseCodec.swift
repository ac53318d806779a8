import KeelCore

/// The Amazon Bedrock Runtime Converse API (`POST /model/{modelId}/converse` and
/// `/converse-stream`): the wire format of `bedrock` providers.
///
/// Bedrock is never an inbound API: requests are always translated from ``ChatRequest``, and
/// answers (a JSON body, or an `application/vnd.amazon.eventstream` whose messages the gateway
/// turns into events, see ``UpstreamEvents``) are decoded back into ``ChatResponse`` and
/// ``ChatStreamEvent``s. Field names follow the Bedrock Runtime API model (2023-09-30).
///
/// Translation decisions (outbound):
/// - Messages: text, images, tool calls (`toolUse`) and tool results (`toolResult`). Tool results
///   travel in user messages; adjacent messages of the same role are merged because Bedrock requires
///   user and assistant to alternate, with tool results first in each user message (as Claude
///   requires). Blank text blocks and messages left without content are dropped (Bedrock rejects them).
/// - Images must be inline: base64 data or a `data:` URL, in `png`, `jpeg`, `gif` or `webp`. An
///   `http(s)` image URL is a 400 — Keel never fetches URLs on a client's behalf.
/// - Tool-call arguments must be a JSON object (empty arguments become `{}`), otherwise 400. Tool-call
///   ids are kept, with characters outside `[a-zA-Z0-9_.:-]` replaced by `_` (and ids over 64
///   characters shortened with a hash), identically in calls and results.
/// - Tool results: text stays `{"text"}` (never re-parsed into `{"json"}`, so the model sees exactly
///   what the client sent), images become `{"image"}`; `status: "error"` is sent for failed results
///   only, since several Bedrock models reject the `status` field and `success` is its default.
///   A result without content is sent with an empty `content` list (the member is required).
/// - `tool_choice`: `auto` → `{"auto": {}}`, `required` → `{"any": {}}`, a named tool →
///   `{"tool": {"name"}}`. `none` has no Bedrock equivalent: `toolConfig` is left out so the model
///   cannot call tools; when the conversation already contains tool calls or results (Bedrock then
///   requires `toolConfig`), the request is refused with a 400 rather than letting the model call
///   tools the client ruled out. `parallel_tool_calls` has no Converse field and is not sent.
/// - `inferenceConfig`: `maxTokens`, `temperature` (clamped to Bedrock's 0…1), `topP`,
///   `stopSequences` (empty ones dropped). `top_k` goes into `additionalModelRequestFields` in the
///   model family's own spelling: `{"inferenceConfig": {"topK"}}` for Amazon Nova, `{"top_k"}` otherwise.
/// - `response_format`: `json_schema` becomes Bedrock's native structured output
///   (`outputConfig.textFormat` of type `json_schema`, the schema as JSON text, with its name and
///   description); `json_object` has no native form and becomes an extra system instruction, as
///   for Anthropic; `text` is the default and sends nothing.
/// - Refused with a 400: `n > 1` (Bedrock returns one choice), image URLs, non-object tool arguments,
///   unsupported image types. Dropped: `seed`, `user`, OpenAI `metadata`, message `name`s, image
///   `detail`, `strict` on tools whose value is nil, and ``ChatRequest/extra``.
///
/// Answers: Converse responses carry neither an id nor the model name, so the id is made up
/// (`bedrock-…`) and the model is left empty unless the caller passes one (clients see the model
/// name they asked for anyway). `reasoningContent` blocks and deltas
/// are skipped. Usage follows ``ChatUsage``: Bedrock's `inputTokens` excludes cache reads and
/// writes, so `inputTokens` is `inputTokens + cacheReadInputTokens + cacheWriteInputTokens`.
public enum BedrockConverseCodec {
    /// The longest tool-use id Bedrock accepts.
    static let maxToolUseIDLength = 64
}

// MARK: - Request errors

extension BedrockConverseCodec: ChatCodec {
    /// A 400 naming `path` as the parameter at fault.
    static func invalid(_ path: String, _ problem: String, code: String? = nil) -> GatewayError {
        GatewayError.invalid("\(path): \(problem)", param: path, code: code)
    }

    static func missingMember(_ path: String) -> GatewayError {
        invalid(path, "is required")
    }

    static func invalidType(_ path: String, expected: JSONKind, got value: JSONValue) -> GatewayError {
        invalid(path, "must be of type \(expected)")
    }
}

// MARK: - Shared helpers

extension BedrockConverseCodec {
    /// The ``ChatStopReason`` of a Bedrock `stopReason`.
    ///
    /// `end_turn` → end turn, `tool_use` → tool use, `max_tokens` and `model_context_window_exceeded`
    /// → max tokens, `stop_sequence` → stop sequence (which one when `stopSequence` is known),
    /// `guardrail_intervened` and `content_filtered` → content filter; anything else
    /// (`malformed_model_output`, `malformed_tool_use`, future values) is kept as ``ChatStopReason/other(_:)``.
    public static func stopReason(_ reason: String, stopSequence: String? = nil) -> ChatStopReason {
        switch reason {
        case "end_turn": .endTurn
        case "tool_use": .toolUse
        case "max_tokens", "model_context_window_exceeded": .maxTokens
        case "stop_sequence": .stopSequence(stopSequence)
        case "guardrail_intervened", "content_filtered": .contentFilter
        default: .other(reason)
        }
    }

    /// Usage from a Bedrock `usage` object (`TokenUsage`) in ``ChatUsage``'s conventions.
    public static func decodeUsage(_ value: JSONValue?) -> ChatUsage {
        let input = value?["inputTokens"]?.intValue ?? 0
        let cacheRead = value?["cacheReadInputTokens"]?.intValue ?? 0
        let cacheWrite = value?["cacheWriteInputTokens"]?.intValue ?? 0
        return ChatUsage(
            inputTokens: input + cacheRead + cacheWrite,
            outputTokens: value?["outputTokens"]?.intValue ?? 0,
            cachedInputTokens: cacheRead,
            cacheWriteTokens: cacheWrite)
    }

    /// A 502 for an upstream answer Keel cannot understand.
    static func protocolError(_ detail: String) -> GatewayError {
        GatewayError(.upstreamProtocol, status: 502, message: "The Bedrock upstream sent an invalid response: \(detail).", type: "upstream_error", code: "upstream_invalid_response")
    }
}
