import KeelCore

/// Prompts and completions as the OpenTelemetry GenAI conventions record them on spans:
/// `gen_ai.input.messages` and `gen_ai.output.messages`, JSON arrays of
/// `{"role", "parts": [{"type": "text", "content"} | {"type": "tool_call", "id", "name", "arguments"} |
/// {"type": "tool_call_response", "id", "response"} | {"type": "uri" | "blob", "modality": "image", …}]}`
/// (output messages also carry `finish_reason`). Only built when content capture is on; the messages
/// are redacted and serialised once per request by ``CapturedContent``.
enum GenAIContent {
    /// The request's system instructions and messages.
    static func input(_ request: ChatRequest) -> [JSONValue] {
        var messages: [JSONValue] = []
        if !request.system.isEmpty {
            messages.append(["role": "system", "parts": .array(request.system.map(part))])
        }
        for message in request.messages {
            messages.append(["role": .string(message.role.rawValue), "parts": .array(message.content.map(part))])
        }
        return messages
    }

    /// The answer's choices, with their finish reasons in the inbound API's words.
    static func output(_ response: ChatResponse, inbound: WireFormat) -> [JSONValue] {
        func reason(_ stop: ChatStopReason) -> String { inbound == .anthropic ? stop.anthropic : stop.openAI }
        var messages: [JSONValue] = [["role": "assistant", "parts": .array(response.content.map(part)), "finish_reason": .string(reason(response.stopReason))]]
        for alternative in response.alternatives {
            messages.append(["role": "assistant", "parts": .array(alternative.content.map(part)), "finish_reason": .string(reason(alternative.stopReason))])
        }
        return messages
    }

    private static func part(_ content: ChatContent) -> JSONValue {
        switch content {
        case .text(let text):
            return ["type": "text", "content": .string(text)]
        case .image(.url(let url, _)):
            return ["type": "uri", "modality": "image", "uri": .string(url)]
        case .image(.base64(let mediaType, let data)):
            return ["type": "blob", "modality": "image", "mime_type": .string(mediaType), "content": .string(data)]
        case .toolCall(let id, let name, let arguments):
            let parsed = (try? JSONValue(parsing: Array(arguments.utf8))) ?? .string(arguments)
            return ["type": "tool_call", "id": .string(id), "name": .string(name), "arguments": parsed]
        case .toolResult(let id, let content, _):
            let text = content.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
            return ["type": "tool_call_response", "id": .string(id), "response": .string(text)]
        }
    }
}
