import KeelCore

extension BedrockConverseCodec {
    /// Turns the events of a ConverseStream response into ``ChatStreamEvent``s.
    ///
    /// ``UpstreamEvents`` reads the binary event stream and hands over each message as an event
    /// named by its `:event-type` (`messageStart`, `contentBlockStart`, `contentBlockDelta`,
    /// `contentBlockStop`, `messageStop`, `metadata`) or, for exceptions, its `:exception-type`
    /// (`throttlingException`, `modelStreamErrorException`, …), with the JSON payload as data; an
    /// unmodeled `error` message or a corrupt stream arrives as `error` with `{"message", "code"}`.
    ///
    /// Text deltas pass through (Bedrock sends no `contentBlockStart` for text); a `toolUse` block
    /// start becomes a tool call numbered from 0 in start order whatever its content block index, and
    /// its `delta.toolUse.input` fragments its arguments. `reasoningContent`, citation and other
    /// deltas are skipped. `.stop` is emitted at `messageStop`, `.usage` at `metadata` (which Bedrock
    /// sends after `messageStop`).
    public struct StreamDecoder: Sendable {
        private var toolIndexByBlock: [Int: Int] = [:]
        private var nextToolIndex = 0
        private var started = false
        private var stopped = false
        private var usageSeen = false

        public init() {}

        /// Decodes one event: `event` is the event or exception type, `data` the JSON payload.
        ///
        /// - Throws: the mapped error for an exception or `error` event; a 502 for malformed events.
        public mutating func decode(event: String?, data: String) throws(GatewayError) -> [ChatStreamEvent] {
            guard let type = event, !type.isEmpty else { throw protocolError("an event stream message has no event type") }
            let json: JSONValue
            do {
                json = data.isEmpty ? [:] : try JSONValue(parsing: data)
            } catch {
                throw protocolError("the payload of a \(type) event is not JSON (\(error.message))")
            }
            if type == "error" {
                throw streamError(type: json["code"]?.stringValue, message: json["message"]?.stringValue)
            }
            if type.lowercased().hasSuffix("exception") {
                throw streamError(type: type, message: json["message"]?.stringValue ?? json["Message"]?.stringValue)
            }
            if usageSeen { return [] }
            switch type {
            case "messageStart":
                guard !started else { return [] }
                started = true
                return [.start(id: makeID(prefix: "bedrock-"), model: "")]

            case "contentBlockStart":
                try requireStarted(type)
                guard let block = json["contentBlockIndex"]?.intValue, let start = json["start"] else {
                    throw protocolError("contentBlockStart has no contentBlockIndex or start")
                }
                guard let toolUse = start["toolUse"] else { return [] }
                guard let id = toolUse["toolUseId"]?.stringValue, let name = toolUse["name"]?.stringValue else {
                    throw protocolError("a toolUse block start has no toolUseId or name")
                }
                guard toolIndexByBlock[block] == nil else { return [] }
                let index = nextToolIndex
                nextToolIndex += 1
                toolIndexByBlock[block] = index
                return [.toolCallStart(index: index, id: id, name: name)]

            case "contentBlockDelta":
                try requireStarted(type)
                guard let block = json["contentBlockIndex"]?.intValue, let delta = json["delta"] else {
                    throw protocolError("contentBlockDelta has no contentBlockIndex or delta")
                }
                if let text = delta["text"] {
                    guard let string = text.stringValue else { throw protocolError("a text delta is not a string") }
                    return string.isEmpty ? [] : [.textDelta(string)]
                }
                if let toolUse = delta["toolUse"] {
                    guard let index = toolIndexByBlock[block] else {
                        throw protocolError("a toolUse delta arrived for content block \(block), which never started a tool call")
                    }
                    guard let input = toolUse["input"]?.stringValue else { throw protocolError("a toolUse delta has no input") }
                    return input.isEmpty ? [] : [.toolCallDelta(index: index, arguments: input)]
                }
                return []

            case "contentBlockStop":
                return []

            case "messageStop":
                try requireStarted(type)
                guard !stopped else { return [] }
                guard let reason = json["stopReason"]?.stringValue else { throw protocolError("messageStop has no stopReason") }
                stopped = true
                let sequence = json["additionalModelResponseFields"]?["stop_sequence"]?.stringValue
                return [.stop(stopReason(reason, stopSequence: sequence))]

            case "metadata":
                guard let usage = json["usage"] else { return [] }
                usageSeen = true
                return [.usage(decodeUsage(usage))]

            default:
                // Event types Bedrock may add later.
                return []
            }
        }

        /// Ends the stream.
        ///
        /// - Throws: a 502 when the stream ended before `messageStop`.
        public mutating func finish() throws(GatewayError) -> [ChatStreamEvent] {
            guard stopped else {
                throw GatewayError(.upstreamProtocol, status: 502, message: "The Bedrock upstream's stream ended before messageStop.", type: "upstream_error", code: "upstream_stream_truncated")
            }
            return []
        }

        private func requireStarted(_ type: String) throws(GatewayError) {
            guard started else { throw protocolError("\(type) arrived before messageStart") }
        }
    }

    /// The error carried by an exception or error message inside a stream.
    static func streamError(type: String?, message: String?) -> GatewayError {
        mapError(status: 0, type: type, message: message)
    }
}
