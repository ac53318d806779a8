import KeelCore
import KeelHTTP

extension OpenAIChatCodec {
    /// Turns neutral stream events into `chat.completion.chunk` events for an OpenAI client.
    ///
    /// The stream reads as OpenAI's own: a first chunk with `delta: {role: "assistant", content: ""}`,
    /// text chunks `{content}`, a tool call's first chunk with `id`, `type` and `name` (empty
    /// `arguments`) and then argument fragments, a finish chunk `{delta: {}, finish_reason}`,
    /// when the client asked for `stream_options.include_usage` a usage chunk with `choices: []`
    /// (and `usage: null` on every other chunk), and finally `data: [DONE]`. Every chunk has the
    /// same `id`, `created` and `model` (the name the client asked for).
    public struct StreamEncoder: Sendable {
        public let model: String
        public let includeUsage: Bool
        public let systemFingerprint: String?
        /// The chunk id; taken from ``ChatStreamEvent/start(id:model:)`` unless given to `init`.
        public private(set) var id: String?
        public let created: Int

        var began = false
        var stopReason: ChatStopReason?
        var usage: ChatUsage?
        var finished = false

        /// - Parameters:
        ///   - model: the model name the client asked for, reported in every chunk.
        ///   - includeUsage: the client's `stream_options.include_usage`.
        ///   - id: the chunk id; nil uses the upstream's id from the `start` event (or a fresh one).
        ///   - created: Unix seconds; nil means now.
        ///   - systemFingerprint: reported in every chunk when set.
        public init(model: String, includeUsage: Bool, id: String? = nil, created: Int? = nil, systemFingerprint: String? = nil) {
            self.model = model
            self.includeUsage = includeUsage
            self.id = id
            self.created = created ?? currentUnixTime()
            self.systemFingerprint = systemFingerprint
        }

        /// The SSE events for one neutral event.
        public mutating func encode(_ event: ChatStreamEvent) -> [ServerSentEvent] {
            if finished { return [] }
            var out: [ServerSentEvent] = []
            if case .start(let upstreamID, _) = event, id == nil, !upstreamID.isEmpty {
                id = upstreamID
            }
            if !began, stopReason == nil {
                began = true
                out.append(chunk(delta: ["role": "assistant", "content": "", "refusal": .null]))
            }
            switch event {
            case .start:
                break
            case .textDelta(let text):
                if !text.isEmpty, stopReason == nil { out.append(chunk(delta: ["content": .string(text)])) }
            case .toolCallStart(let index, let callID, let name):
                if stopReason == nil {
                    out.append(chunk(delta: ["tool_calls": [[
                        "index": JSONValue(index), "id": .string(callID), "type": "function",
                        "function": ["name": .string(name), "arguments": ""],
                    ]]]))
                }
            case .toolCallDelta(let index, let arguments):
                if !arguments.isEmpty, stopReason == nil {
                    out.append(chunk(delta: ["tool_calls": [["index": JSONValue(index), "function": ["arguments": .string(arguments)]]]]))
                }
            case .stop(let reason):
                if stopReason == nil {
                    stopReason = reason
                    out.append(chunk(delta: [:], finishReason: reason.openAI))
                }
            case .usage(let u):
                usage = u
            }
            return out
        }

        /// The last events: the finish chunk if no `stop` came, the usage chunk, then `data: [DONE]`.
        public mutating func finish() -> [ServerSentEvent] {
            if finished { return [] }
            var out: [ServerSentEvent] = []
            if stopReason == nil {
                if !began {
                    began = true
                    out.append(chunk(delta: ["role": "assistant", "content": "", "refusal": .null]))
                }
                stopReason = .endTurn
                out.append(chunk(delta: [:], finishReason: ChatStopReason.endTurn.openAI))
            }
            finished = true
            if includeUsage, let usage {
                out.append(ServerSentEvent(data: envelope(choices: [], usage: encodeUsage(usage)).serializedString()))
            }
            out.append(ServerSentEvent(data: "[DONE]"))
            return out
        }

        /// A usage chunk (`choices: []`) for a stream Keel forwards but did not encode: `id` and
        /// `model` as the upstream's chunks carried them.
        static func usageChunk(_ usage: ChatUsage, id: String?, model: String) -> ServerSentEvent {
            let encoder = StreamEncoder(model: model, includeUsage: true, id: id)
            return ServerSentEvent(data: encoder.envelope(choices: [], usage: encodeUsage(usage)).serializedString())
        }

        /// An error in OpenAI's in-stream shape, `data: {"error": {message, type, param, code}}`.
        /// The OpenAI SDKs raise an `APIError` on it; the stream then closes without `[DONE]`.
        public func errorEvent(_ error: GatewayError) -> [ServerSentEvent] {
            let body: JSONValue = ["error": [
                "message": .string(error.message),
                "type": .string(error.type ?? HTTPError.defaultType(status: error.status, format: .openAI)),
                "param": error.param.map(JSONValue.string) ?? .null,
                "code": error.code.map(JSONValue.string) ?? .null,
            ]]
            return [ServerSentEvent(data: body.serializedString())]
        }

        mutating func chunk(delta: JSONObject, finishReason: String? = nil) -> ServerSentEvent {
            if id == nil { id = makeID(prefix: "chatcmpl-") }
            let choice: JSONValue = [
                "index": 0,
                "delta": .object(delta),
                "logprobs": .null,
                "finish_reason": finishReason.map(JSONValue.string) ?? .null,
            ]
            return ServerSentEvent(data: envelope(choices: [choice], usage: .null).serializedString())
        }

        func envelope(choices: [JSONValue], usage: JSONValue) -> JSONValue {
            var o: JSONObject = [
                "id": .string(id ?? ""),
                "object": "chat.completion.chunk",
                "created": JSONValue(created),
                "model": .string(model),
            ]
            if let systemFingerprint { o["system_fingerprint"] = .string(systemFingerprint) }
            o["choices"] = .array(choices)
            if includeUsage { o["usage"] = usage }
            return .object(o)
        }
    }
}
