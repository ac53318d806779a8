import KeelCore
import KeelHTTP

extension AnthropicMessagesCodec {
    /// Turns ``ChatStreamEvent``s into the Anthropic Messages event stream a client such as the
    /// Anthropic SDK or Claude Code expects.
    ///
    /// The sequence is always complete and valid: `message_start` (then a `ping`), one content
    /// block per text run or tool call, each closed with `content_block_stop` before the next
    /// opens, then `message_delta` and `message_stop`. Keel's events may bring usage after the
    /// stop reason (as OpenAI does), so `message_delta` waits until both are known or until
    /// ``finish()``. Input tokens are rarely known when the stream starts: `message_start` reports
    /// what is known then (usually 0) and `message_delta.usage` repeats the final input counts.
    ///
    /// A fragment for a tool call whose block is already closed (upstreams send tool calls one
    /// after the other, so this should not happen) is still sent, with that block's index: the
    /// Anthropic SDKs accumulate deltas by index.
    public struct StreamEncoder: Sendable {
        private enum OpenBlock: Sendable, Equatable {
            case none
            case text(block: Int)
            case tool(index: Int, block: Int)
        }

        /// The model name reported to the client (the name it asked for).
        public let model: String
        private var started = false
        private var open = OpenBlock.none
        private var nextBlock = 0
        private var toolBlocks: [Int: Int] = [:]
        private var stopReason: ChatStopReason?
        private var usage: ChatUsage?
        private var messageDeltaSent = false
        private var finished = false

        /// Creates an encoder reporting `model` to the client.
        public init(model: String) {
            self.model = model
        }

        /// The events for one step of the response.
        public mutating func encode(_ event: ChatStreamEvent) -> [ServerSentEvent] {
            if finished { return [] }
            var out: [ServerSentEvent] = []
            switch event {
            case .start(let id, _):
                startIfNeeded(id: id, into: &out)
            case .textDelta(let text):
                guard !messageDeltaSent, !text.isEmpty else { break }
                startIfNeeded(into: &out)
                let block: Int
                if case .text(let current) = open {
                    block = current
                } else {
                    closeBlock(into: &out)
                    block = openBlock(.text(block: nextBlock), contentBlock: ["type": "text", "text": ""], into: &out)
                }
                out.append(Self.event("content_block_delta", [
                    "type": "content_block_delta", "index": JSONValue(block),
                    "delta": ["type": "text_delta", "text": .string(text)],
                ]))
            case .toolCallStart(let index, let id, let name):
                guard !messageDeltaSent, toolBlocks[index] == nil else { break }
                startIfNeeded(into: &out)
                closeBlock(into: &out)
                let block = openBlock(.tool(index: index, block: nextBlock), contentBlock: [
                    "type": "tool_use", "id": .string(id), "name": .string(name), "input": [:],
                ], into: &out)
                toolBlocks[index] = block
            case .toolCallDelta(let index, let arguments):
                guard !messageDeltaSent, !arguments.isEmpty, let block = toolBlocks[index] else { break }
                out.append(Self.event("content_block_delta", [
                    "type": "content_block_delta", "index": JSONValue(block),
                    "delta": ["type": "input_json_delta", "partial_json": .string(arguments)],
                ]))
            case .stop(let reason):
                guard stopReason == nil else { break }
                startIfNeeded(into: &out)
                closeBlock(into: &out)
                stopReason = reason
                if usage != nil { sendMessageDelta(into: &out) }
            case .usage(let newUsage):
                guard !messageDeltaSent else { break }
                usage = newUsage
                if stopReason != nil { sendMessageDelta(into: &out) }
            }
            return out
        }

        /// The closing events: whatever is still open, `message_delta` if it was not sent yet
        /// (`end_turn` when no stop reason came), and `message_stop`.
        public mutating func finish() -> [ServerSentEvent] {
            if finished { return [] }
            var out: [ServerSentEvent] = []
            startIfNeeded(into: &out)
            closeBlock(into: &out)
            sendMessageDelta(into: &out)
            out.append(Self.event("message_stop", ["type": "message_stop"]))
            finished = true
            return out
        }

        /// The in-stream error event: `event: error` with `{"type": "error", "error": {"type", "message"}}`.
        public func errorEvent(_ error: GatewayError) -> [ServerSentEvent] {
            let type = error.type ?? HTTPError.defaultType(status: error.status, format: .anthropic)
            return [Self.event("error", ["type": "error", "error": ["type": .string(type), "message": .string(error.message)]])]
        }

        private mutating func startIfNeeded(id: String? = nil, into out: inout [ServerSentEvent]) {
            guard !started else { return }
            started = true
            var startUsage: JSONValue = usage.map(usageObject) ?? usageObject(ChatUsage())
            startUsage.withObject { $0["output_tokens"] = 0 }
            out.append(Self.event("message_start", [
                "type": "message_start",
                "message": [
                    "id": .string(id.flatMap { $0.isEmpty ? nil : $0 } ?? makeID(prefix: "msg_")),
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": .string(model),
                    "stop_reason": nil,
                    "stop_sequence": nil,
                    "usage": startUsage,
                ],
            ]))
            out.append(Self.event("ping", ["type": "ping"]))
        }

        private mutating func openBlock(_ block: OpenBlock, contentBlock: JSONValue, into out: inout [ServerSentEvent]) -> Int {
            let index = nextBlock
            nextBlock += 1
            open = block
            out.append(Self.event("content_block_start", [
                "type": "content_block_start", "index": JSONValue(index), "content_block": contentBlock,
            ]))
            return index
        }

        private mutating func closeBlock(into out: inout [ServerSentEvent]) {
            let index: Int
            switch open {
            case .none: return
            case .text(let block): index = block
            case .tool(_, let block): index = block
            }
            open = .none
            out.append(Self.event("content_block_stop", ["type": "content_block_stop", "index": JSONValue(index)]))
        }

        private mutating func sendMessageDelta(into out: inout [ServerSentEvent]) {
            guard !messageDeltaSent else { return }
            messageDeltaSent = true
            let reason = stopReason ?? .endTurn
            out.append(Self.event("message_delta", [
                "type": "message_delta",
                "delta": ["stop_reason": .string(reason.anthropic), "stop_sequence": stopSequenceValue(reason)],
                "usage": usage.map(usageObject) ?? ["output_tokens": 0],
            ]))
        }

        private static func event(_ name: String, _ data: JSONValue) -> ServerSentEvent {
            ServerSentEvent(event: name, data: data.serializedString())
        }
    }
}
