import KeelCore

extension GeminiCodec {
    /// Decodes a Gemini `GenerateContentResponse` from an upstream.
    ///
    /// Candidates are taken in `index` order: the first is the answer, the others are
    /// ``ChatResponse/alternatives``. The id is Gemini's `responseId` and the model its
    /// `modelVersion`; Gemini sends no creation time, so `created` defaults to now.
    ///
    /// - Throws: the upstream's error when the body is an `{"error": …}` object; a 502 when it is
    ///   not a response at all.
    public static func decodeResponse(_ body: JSONValue, created: Int = currentUnixTime()) throws(GatewayError) -> ChatResponse {
        guard case .object(let root) = body else { throw protocolError("the response is not a JSON object") }
        if let error = root["error"], !error.isNull {
            throw mapError(status: 0, details: ErrorDetails(error))
        }
        if root["candidates"] == nil, root["promptFeedback"] == nil, root["usageMetadata"] == nil {
            throw protocolError("the response has no candidates")
        }
        var choices: [(index: Int, content: [ChatContent], stopReason: ChatStopReason)] = []
        for (position, candidate) in (root["candidates"]?.arrayValue ?? []).enumerated() {
            var content: [ChatContent] = []
            var hasToolCalls = false
            for part in candidate["content"]?["parts"]?.arrayValue ?? [] {
                if part["thought"]?.boolValue == true { continue }
                if let text = part["text"]?.stringValue {
                    if !text.isEmpty { content.append(.text(text)) }
                } else if let call = part["functionCall"] {
                    content.append(try toolCall(call))
                    hasToolCalls = true
                }
            }
            let reason = stopReason(finishReason: candidate["finishReason"]?.stringValue, hasToolCalls: hasToolCalls)
            choices.append((candidate["index"]?.intValue ?? position, content, reason))
        }
        choices.sort { $0.index < $1.index }

        let first: (content: [ChatContent], stopReason: ChatStopReason)
        if let choice = choices.first {
            first = (choice.content, choice.stopReason)
        } else if root["promptFeedback"]?["blockReason"]?.stringValue != nil {
            // The prompt itself was blocked: no candidates at all.
            first = ([], .contentFilter)
        } else {
            throw protocolError("the response has no candidates")
        }
        return ChatResponse(
            id: root["responseId"]?.stringValue ?? makeID(prefix: "chatcmpl-"),
            model: root["modelVersion"]?.stringValue ?? "",
            content: first.content,
            stopReason: first.stopReason,
            usage: decodeUsage(root["usageMetadata"]),
            alternatives: choices.dropFirst().map { ($0.content, $0.stopReason) },
            created: created)
    }
}
