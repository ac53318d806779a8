import KeelCore

extension GeminiCodec {
    /// Turns a Gemini `streamGenerateContent?alt=sse` stream into ``ChatStreamEvent``s.
    ///
    /// Every event's data is a whole `GenerateContentResponse` carrying the next piece of the
    /// answer. Feed them in order, then call ``finish()``.
    ///
    /// - The first chunk yields ``ChatStreamEvent/start(id:model:)`` (`responseId`, `modelVersion`).
    /// - `text` parts yield text deltas; `thought` parts are skipped.
    /// - A `functionCall` part arrives whole: it yields ``ChatStreamEvent/toolCallStart(index:id:name:)``
    ///   (Gemini's id, or a fresh `call_…`) and one ``ChatStreamEvent/toolCallDelta(index:arguments:)``
    ///   with the arguments as JSON. Calls are numbered from 0 in order.
    /// - `finishReason` yields ``ChatStreamEvent/stop(_:)`` (tool use when the answer has function
    ///   calls); a `promptFeedback.blockReason` stops it as a content filter.
    /// - `usageMetadata` comes with (almost) every chunk and grows; the last one seen is reported
    ///   once, by ``finish()``.
    /// - An `{"error": …}` chunk throws the mapped error.
    /// - Only candidate 0 is read (streams are always requested with one candidate).
    public struct StreamDecoder: Sendable {
        private var started = false
        private var stopped = false
        private var usage: ChatUsage?
        private var toolCalls = 0
        private var finished = false

        public init() {}

        /// Decodes one SSE event (`event` is ignored: Gemini sends none).
        ///
        /// - Throws: the upstream's error for an `error` chunk; a 502 for malformed chunks.
        public mutating func decode(event: String?, data: String) throws(GatewayError) -> [ChatStreamEvent] {
            if finished || data.allSatisfy(\.isWhitespace) { return [] }
            let chunk: JSONValue
            do {
                chunk = try JSONValue(parsing: data)
            } catch {
                throw protocolError("a stream event's data is not JSON (\(error.message))")
            }
            guard case .object(let root) = chunk else { throw protocolError("a stream event is not a JSON object") }
            if let error = root["error"], !error.isNull {
                throw mapError(status: 0, details: ErrorDetails(error))
            }

            var out: [ChatStreamEvent] = []
            if !started {
                started = true
                out.append(.start(id: root["responseId"]?.stringValue ?? makeID(prefix: "chatcmpl-"), model: root["modelVersion"]?.stringValue ?? ""))
            }
            if let metadata = root["usageMetadata"], metadata.objectValue != nil {
                usage = decodeUsage(metadata)
            }
            if stopped { return out }

            let candidate = root["candidates"]?.arrayValue?.first { ($0["index"]?.intValue ?? 0) == 0 }
            if let candidate {
                for part in candidate["content"]?["parts"]?.arrayValue ?? [] {
                    if part["thought"]?.boolValue == true { continue }
                    if let text = part["text"]?.stringValue {
                        if !text.isEmpty { out.append(.textDelta(text)) }
                    } else if let call = part["functionCall"] {
                        guard case .toolCall(let id, let name, let arguments) = try toolCall(call) else { continue }
                        let index = toolCalls
                        toolCalls += 1
                        out.append(.toolCallStart(index: index, id: id, name: name))
                        out.append(.toolCallDelta(index: index, arguments: arguments))
                    }
                }
                if let reason = candidate["finishReason"]?.stringValue {
                    stopped = true
                    out.append(.stop(stopReason(finishReason: reason, hasToolCalls: toolCalls > 0)))
                }
            } else if root["promptFeedback"]?["blockReason"]?.stringValue != nil {
                stopped = true
                out.append(.stop(.contentFilter))
            }
            return out
        }

        /// Ends the stream: reports the usage.
        ///
        /// - Throws: a 502 when the stream ended before any candidate had a `finishReason`.
        public mutating func finish() throws(GatewayError) -> [ChatStreamEvent] {
            if finished { return [] }
            finished = true
            guard stopped else {
                throw GatewayError(.upstreamProtocol, status: 502, message: "The Gemini upstream's stream ended before the answer was complete (no finishReason).", type: "upstream_error", code: "upstream_stream_truncated")
            }
            return usage.map { [.usage($0)] } ?? []
        }
    }
}
