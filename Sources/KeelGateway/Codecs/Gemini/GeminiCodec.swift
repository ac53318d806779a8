import KeelCore

/// The Gemini API's `generateContent` and `streamGenerateContent` (Google AI,
/// `generativelanguage.googleapis.com`): the wire format of `gemini` upstreams. Gemini is never an
/// inbound API, so this codec only encodes requests and decodes answers, streams and errors.
///
/// - ``encodeRequest(_:upstreamModel:stream:)`` writes a `GenerateContentRequest`;
/// - ``decodeResponse(_:created:)`` reads a `GenerateContentResponse`;
/// - ``StreamDecoder`` reads the `alt=sse` stream, one whole `GenerateContentResponse` per event;
/// - ``decodeError(status:body:headers:)`` maps Google's `{"error": {code, message, status}}`.
///
/// Translation decisions:
/// - Roles: assistant turns are `model`, user turns and tool results are `user`; consecutive turns
///   of the same role are merged into one `Content` (Gemini expects alternation), with function
///   responses first in a user turn. Empty text parts and turns left empty are dropped.
/// - System instructions become `systemInstruction` (text parts only).
/// - Images: base64 data (`data:` URLs, Anthropic `base64` sources) become `inlineData`; http(s)
///   URLs become `fileData` with the URL as `fileUri` (the Gemini API fetches public and signed
///   URLs itself; Keel never fetches them), with a `mimeType` guessed from the file extension
///   when there is one. Other URL schemes are a 400.
/// - Tool calls become `functionCall` parts with the call's `id`, `name` and `args` (arguments
///   must be a JSON object, else 400; empty arguments are `{}`). Gemini 3 models reject replayed
///   function calls without a thought signature, which no other API can carry back; the first
///   function call of each model turn is sent with Google's documented placeholder signature
///   (``placeholderThoughtSignature``), which skips that validation.
/// - Tool results become `functionResponse` parts: `name` is taken from the earlier assistant tool
///   call with the same id (OpenAI and Anthropic results carry only the id; a result whose call is
///   not in the conversation is a 400), `response` is `{"output": text}` (`{"error": text}` for
///   Anthropic `is_error` results). Images in tool results follow as `inlineData`/`fileData` parts
///   of the same user turn.
/// - Tools become one `functionDeclarations` tool; each function's JSON Schema goes unchanged into
///   `parametersJsonSchema` (full JSON Schema, unlike the OpenAPI-subset `parameters`). OpenAI
///   `strict` has no equivalent and is dropped. Tool choice becomes `toolConfig.functionCallingConfig`
///   (`auto` → `AUTO`, `none` → `NONE`, `required` → `ANY`, a named tool → `ANY` with
///   `allowedFunctionNames`); `parallel_tool_calls: false` cannot be expressed and is dropped.
/// - `generationConfig`: `max_tokens` → `maxOutputTokens`, `temperature`, `top_p` → `topP`, `top_k`
///   → `topK`, `stop` → `stopSequences`, `n` → `candidateCount` (streams: only 1, else 400), `seed`,
///   OpenAI `presence_penalty` / `frequency_penalty` → `presencePenalty` / `frequencyPenalty`; a JSON
///   response format → `responseMimeType: application/json`, with the schema as `responseJsonSchema`.
///   `user`, `metadata` and every other OpenAI extra member are dropped.
/// - Answers: candidates become the choices (the first the content, the rest alternatives), `text`
///   parts text (`thought` parts are skipped), `functionCall` parts tool calls (`call_…` ids are made
///   up when Gemini sends none). `finishReason` maps as in ``stopReason(finishReason:hasToolCalls:)``;
///   a prompt blocked by `promptFeedback.blockReason` is an empty answer stopped by the content filter.
/// - Usage: `inputTokens` = `promptTokenCount` (which includes `cachedContentTokenCount`) +
///   `toolUsePromptTokenCount`; `cachedInputTokens` = `cachedContentTokenCount`; `outputTokens` =
///   `candidatesTokenCount` + `thoughtsTokenCount` (thinking is billed as output), with the thoughts
///   as ``ChatUsage/reasoningTokens``.
public enum GeminiCodec {
    /// The value Google documents for `thoughtSignature` when replaying a function call whose real
    /// signature is not available: it tells Gemini 3 models to skip signature validation.
    public static let placeholderThoughtSignature = "skip_thought_signature_validator"
}

// MARK: - Request errors

extension GeminiCodec: ChatCodec {
    static func missingMember(_ path: String) -> GatewayError {
        GatewayError.invalid("\(path): a value is required.", param: path, code: "missing_required_parameter")
    }

    static func invalidType(_ path: String, expected: JSONKind, got value: JSONValue) -> GatewayError {
        GatewayError.invalid("\(path): expected a value of type \(expected).", param: path, code: "invalid_type")
    }
}

// MARK: - Shared helpers

extension GeminiCodec {
    /// A 502 for an upstream answer Keel cannot understand.
    static func protocolError(_ detail: String) -> GatewayError {
        GatewayError(.upstreamProtocol, status: 502, message: "The Gemini upstream sent an invalid response: \(detail).", type: "upstream_error", code: "upstream_invalid_response")
    }

    /// Usage from a Gemini `usageMetadata` object in ``ChatUsage``'s conventions.
    static func decodeUsage(_ value: JSONValue?) -> ChatUsage {
        let prompt = value?["promptTokenCount"]?.intValue ?? 0
        let toolPrompt = value?["toolUsePromptTokenCount"]?.intValue ?? 0
        let cached = value?["cachedContentTokenCount"]?.intValue ?? 0
        let candidates = value?["candidatesTokenCount"]?.intValue ?? 0
        let thoughts = value?["thoughtsTokenCount"]?.intValue
        return ChatUsage(
            inputTokens: prompt + toolPrompt,
            outputTokens: candidates + (thoughts ?? 0),
            cachedInputTokens: cached,
            reasoningTokens: thoughts)
    }

    /// The neutral stop reason for a Gemini `finishReason`.
    ///
    /// | Gemini | Keel |
    /// |---|---|
    /// | `STOP` | ``ChatStopReason/endTurn``, or ``ChatStopReason/toolUse`` when the candidate has function calls |
    /// | `MAX_TOKENS` | ``ChatStopReason/maxTokens`` |
    /// | `SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, `IMAGE_SAFETY`, `IMAGE_PROHIBITED_CONTENT`, `IMAGE_RECITATION` | ``ChatStopReason/contentFilter`` |
    /// | anything else (`MALFORMED_FUNCTION_CALL`, `UNEXPECTED_TOOL_CALL`, `TOO_MANY_TOOL_CALLS`, `LANGUAGE`, `OTHER`, …) | ``ChatStopReason/other(_:)`` with Gemini's word |
    ///
    /// Gemini does not say which stop sequence ended the output, so `STOP` is always an end of turn.
    public static func stopReason(finishReason: String?, hasToolCalls: Bool) -> ChatStopReason {
        switch finishReason {
        case nil, "STOP"?, "FINISH_REASON_UNSPECIFIED"?:
            return hasToolCalls ? .toolUse : .endTurn
        case "MAX_TOKENS"?:
            return .maxTokens
        case "SAFETY"?, "RECITATION"?, "BLOCKLIST"?, "PROHIBITED_CONTENT"?, "SPII"?,
             "IMAGE_SAFETY"?, "IMAGE_PROHIBITED_CONTENT"?, "IMAGE_RECITATION"?:
            return .contentFilter
        case let other?:
            return .other(other)
        }
    }

    /// A tool call from a `functionCall` object: Gemini's `id` when it sent one, else a fresh `call_…`.
    static func toolCall(_ call: JSONValue) throws(GatewayError) -> ChatContent {
        guard let name = call["name"]?.stringValue else { throw protocolError("a functionCall has no name") }
        let id = call["id"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? makeID(prefix: "call_")
        let args = call["args"].flatMap { $0.isNull ? nil : $0 } ?? [:]
        return .toolCall(id: id, name: name, arguments: args.serializedString())
    }
}
