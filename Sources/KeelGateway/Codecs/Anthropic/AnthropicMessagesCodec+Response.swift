import KeelCore

extension AnthropicMessagesCodec {
    /// Decodes an Anthropic Messages response body from an upstream.
    ///
    /// `text` and `tool_use` blocks become content (tool input as compact JSON text); `thinking`,
    /// `redacted_thinking` and server-tool blocks are dropped. Usage follows ``ChatUsage``:
    /// `inputTokens` is `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`.
    /// Anthropic responses carry no creation time, so `created` defaults to now.
    public static func decodeResponse(_ body: JSONValue, created: Int = currentUnixTime()) throws(GatewayError) -> ChatResponse {
        guard case .object(let root) = body else { throw protocolError("the response is not a JSON object") }
        if root["type"]?.stringValue == "error" {
            throw streamError(root["error"])
        }
        guard let blocks = root["content"]?.arrayValue else { throw protocolError("the response has no content list") }
        var content: [ChatContent] = []
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text"?:
                guard let text = block["text"]?.stringValue else { throw protocolError("a text block has no text") }
                content.append(.text(text))
            case "tool_use"?:
                guard let id = block["id"]?.stringValue, let name = block["name"]?.stringValue else {
                    throw protocolError("a tool_use block has no id or name")
                }
                let input = block["input"] ?? [:]
                content.append(.toolCall(id: id, name: name, arguments: input.serializedString()))
            default:
                continue
            }
        }
        let stopSequence = root["stop_sequence"]?.stringValue
        let stopReason = root["stop_reason"]?.stringValue.map { ChatStopReason(anthropic: $0, stopSequence: stopSequence) } ?? .endTurn
        return ChatResponse(
            id: root["id"]?.stringValue ?? makeID(prefix: "msg_"),
            model: root["model"]?.stringValue ?? "",
            content: content,
            stopReason: stopReason,
            usage: decodeUsage(root["usage"]),
            created: created)
    }

    /// Usage from an Anthropic `usage` object in ``ChatUsage``'s conventions.
    static func decodeUsage(_ value: JSONValue?) -> ChatUsage {
        let input = value?["input_tokens"]?.intValue ?? 0
        let cacheRead = value?["cache_read_input_tokens"]?.intValue ?? 0
        let cacheWrite = value?["cache_creation_input_tokens"]?.intValue ?? 0
        return ChatUsage(
            inputTokens: input + cacheRead + cacheWrite,
            outputTokens: value?["output_tokens"]?.intValue ?? 0,
            cachedInputTokens: cacheRead,
            cacheWriteTokens: cacheWrite)
    }

    /// Encodes `response` as an Anthropic Messages response for a client that asked for `model`.
    ///
    /// Empty text parts are left out; tool-call arguments that are not a JSON object (which only
    /// other providers can produce, e.g. when cut off by the token limit) become `input: {}`.
    /// Alternatives (`n > 1`) and reasoning token counts have no Anthropic equivalent and are dropped.
    public static func encodeResponse(_ response: ChatResponse, model: String) -> JSONValue {
        var content: [JSONValue] = []
        for part in response.content {
            switch part {
            case .text(let text) where !text.isEmpty:
                content.append(["type": "text", "text": .string(text)])
            case .toolCall(let id, let name, let arguments):
                let input = argumentsObject(arguments) ?? JSONObject()
                content.append(["type": "tool_use", "id": .string(id), "name": .string(name), "input": .object(input)])
            default:
                continue
            }
        }
        return [
            "id": .string(response.id),
            "type": "message",
            "role": "assistant",
            "model": .string(model),
            "content": .array(content),
            "stop_reason": .string(response.stopReason.anthropic),
            "stop_sequence": stopSequenceValue(response.stopReason),
            "usage": usageObject(response.usage),
        ]
    }

    static func stopSequenceValue(_ reason: ChatStopReason) -> JSONValue {
        if case .stopSequence(let sequence?) = reason { return .string(sequence) }
        return .null
    }

    /// A 502 for an upstream answer Keel cannot understand.
    static func protocolError(_ detail: String) -> GatewayError {
        GatewayError(.upstreamProtocol, status: 502, message: "The Anthropic upstream sent an invalid response: \(detail).")
    }
}
