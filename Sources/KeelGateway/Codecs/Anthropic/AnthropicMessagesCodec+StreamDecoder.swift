import KeelCore

extension AnthropicMessagesCodec {
    /// Turns an Anthropic Messages event stream from an upstream into ``ChatStreamEvent``s.
    ///
    /// Feed it every Server-Sent Event in order, then call ``finish()``. Text deltas pass through;
    /// `tool_use` blocks become tool calls numbered from 0 in the order they start, whatever
    /// Anthropic block index they have; `thinking`, `signature` and citation deltas and server-tool
    /// blocks are skipped. `.stop` is emitted at `message_delta`, `.usage` (input from
    /// `message_start`, cumulative counts from `message_delta`) at `message_stop`.
    public struct StreamDecoder: Sendable {
        private enum Block: Sendable {
            case text
            case tool(Int)
            case ignored
        }

        private var blocks: [Int: Block] = [:]
        private var nextToolIndex = 0
        private var started = false
        private var stopped = false
        private var completed = false
        private var inputTokens = 0
        private var cacheReadTokens = 0
        private var cacheWriteTokens = 0
        private var outputTokens = 0

        public init() {}

        /// Decodes one event (`event` is the SSE `event:` field, `data` the joined `data:` lines).
        ///
        /// - Throws: the upstream's error for an `error` event; a 502 for malformed events.
        public mutating func decode(event: String?, data: String) throws(GatewayError) -> [ChatStreamEvent] {
            if completed { return [] }
            if data.isEmpty { return [] }
            let json: JSONValue
            do {
                json = try JSONValue(parsing: data)
            } catch {
                throw protocolError("an event's data is not JSON (\(error.message))")
            }
            guard let type = json["type"]?.stringValue ?? event else { throw protocolError("an event has no type") }
            switch type {
            case "message_start":
                guard !started else { return [] }
                started = true
                let message = json["message"]
                let usage = message?["usage"]
                inputTokens = usage?["input_tokens"]?.intValue ?? 0
                cacheReadTokens = usage?["cache_read_input_tokens"]?.intValue ?? 0
                cacheWriteTokens = usage?["cache_creation_input_tokens"]?.intValue ?? 0
                outputTokens = usage?["output_tokens"]?.intValue ?? 0
                return [.start(id: message?["id"]?.stringValue ?? makeID(prefix: "msg_"), model: message?["model"]?.stringValue ?? "")]

            case "content_block_start":
                try requireStarted(type)
                guard let index = json["index"]?.intValue, let block = json["content_block"] else {
                    throw protocolError("content_block_start has no index or content_block")
                }
                switch block["type"]?.stringValue {
                case "text"?:
                    blocks[index] = .text
                    if let text = block["text"]?.stringValue, !text.isEmpty { return [.textDelta(text)] }
                    return []
                case "tool_use"?:
                    guard let id = block["id"]?.stringValue, let name = block["name"]?.stringValue else {
                        throw protocolError("a tool_use block has no id or name")
                    }
                    let toolIndex = nextToolIndex
                    nextToolIndex += 1
                    blocks[index] = .tool(toolIndex)
                    var events: [ChatStreamEvent] = [.toolCallStart(index: toolIndex, id: id, name: name)]
                    if case .object(let input)? = block["input"], !input.isEmpty {
                        events.append(.toolCallDelta(index: toolIndex, arguments: JSONValue.object(input).serializedString()))
                    }
                    return events
                default:
                    blocks[index] = .ignored
                    return []
                }

            case "content_block_delta":
                try requireStarted(type)
                guard let index = json["index"]?.intValue, let delta = json["delta"] else {
                    throw protocolError("content_block_delta has no index or delta")
                }
                guard let block = blocks[index] else { throw protocolError("a delta arrived for block \(index), which never started") }
                switch (block, delta["type"]?.stringValue) {
                case (.text, "text_delta"?):
                    guard let text = delta["text"]?.stringValue else { throw protocolError("a text_delta has no text") }
                    return text.isEmpty ? [] : [.textDelta(text)]
                case (.tool(let toolIndex), "input_json_delta"?):
                    guard let fragment = delta["partial_json"]?.stringValue else { throw protocolError("an input_json_delta has no partial_json") }
                    return fragment.isEmpty ? [] : [.toolCallDelta(index: toolIndex, arguments: fragment)]
                default:
                    return []
                }

            case "content_block_stop":
                return []

            case "message_delta":
                try requireStarted(type)
                if let usage = json["usage"] {
                    if let output = usage["output_tokens"]?.intValue { outputTokens = output }
                    if let input = usage["input_tokens"]?.intValue { inputTokens = input }
                    if let read = usage["cache_read_input_tokens"]?.intValue { cacheReadTokens = read }
                    if let write = usage["cache_creation_input_tokens"]?.intValue { cacheWriteTokens = write }
                }
                guard !stopped, let reason = json["delta"]?["stop_reason"]?.stringValue else { return [] }
                stopped = true
                return [.stop(ChatStopReason(anthropic: reason, stopSequence: json["delta"]?["stop_sequence"]?.stringValue))]

            case "message_stop":
                try requireStarted(type)
                completed = true
                var events: [ChatStreamEvent] = []
                if !stopped {
                    stopped = true
                    events.append(.stop(.endTurn))
                }
                events.append(.usage(ChatUsage(
                    inputTokens: inputTokens + cacheReadTokens + cacheWriteTokens,
                    outputTokens: outputTokens,
                    cachedInputTokens: cacheReadTokens,
                    cacheWriteTokens: cacheWriteTokens)))
                return events

            case "error":
                throw streamError(json["error"])

            default:
                // `ping`, and event types Anthropic may add later.
                return []
            }
        }

        /// Ends the stream.
        ///
        /// - Throws: a 502 when the stream ended before `message_stop`.
        public mutating func finish() throws(GatewayError) -> [ChatStreamEvent] {
            guard completed else {
                throw GatewayError(.upstreamProtocol, status: 502, message: "The Anthropic upstream's stream ended before message_stop.")
            }
            return []
        }

        private func requireStarted(_ type: String) throws(GatewayError) {
            guard started else { throw protocolError("\(type) arrived before message_start") }
        }
    }
}
