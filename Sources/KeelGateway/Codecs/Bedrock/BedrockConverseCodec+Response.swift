import KeelCore

extension BedrockConverseCodec {
    /// Decodes a Converse response body (`{"output": {"message": {"role", "content"}}, "stopReason",
    /// "usage", "metrics"}`).
    ///
    /// `text` and `toolUse` blocks become content (tool input as compact JSON text); `reasoningContent`
    /// and other blocks are dropped. A `stop_sequence` stop names the sequence when the model reported
    /// it in `additionalModelResponseFields.stop_sequence` (Claude does). Converse responses carry no
    /// id, model name or creation time: the id is made up, `model` is what the caller passes (the
    /// route's upstream model) and `created` is now.
    public static func decodeResponse(_ body: JSONValue, model: String = "", created: Int = currentUnixTime()) throws(GatewayError) -> ChatResponse {
        guard case .object(let root) = body else { throw protocolError("the response is not a JSON object") }
        guard let message = root["output"]?["message"], let blocks = message["content"]?.arrayValue else {
            throw protocolError("the response has no output.message.content")
        }
        var content: [ChatContent] = []
        for block in blocks {
            if let text = block["text"] {
                guard let string = text.stringValue else { throw protocolError("a text block is not a string") }
                content.append(.text(string))
            } else if let toolUse = block["toolUse"] {
                guard let id = toolUse["toolUseId"]?.stringValue, let name = toolUse["name"]?.stringValue else {
                    throw protocolError("a toolUse block has no toolUseId or name")
                }
                let input = toolUse["input"] ?? [:]
                content.append(.toolCall(id: id, name: name, arguments: input.serializedString()))
            }
        }
        let stopSequence = root["additionalModelResponseFields"]?["stop_sequence"]?.stringValue
        return ChatResponse(
            id: makeID(prefix: "bedrock-"),
            model: model,
            content: content,
            stopReason: root["stopReason"]?.stringValue.map { stopReason($0, stopSequence: stopSequence) } ?? .endTurn,
            usage: decodeUsage(root["usage"]),
            created: created)
    }
}
