import KeelCore

extension OpenAIChatCodec {
    /// Turns an OpenAI-compatible upstream's `chat.completion.chunk` events into neutral stream events.
    ///
    /// Feed it every SSE event's `(event, data)` in order, then call ``finish()`` when the body ends.
    ///
    /// - The first chunk yields ``ChatStreamEvent/start(id:model:)``; `content` (and `refusal`)
    ///   deltas yield text.
    /// - Tool calls are numbered from 0 in the order they appear, whatever the upstream's `index`
    ///   says. The fragment that brings a call's name yields ``ChatStreamEvent/toolCallStart(index:id:name:)``
    ///   (argument fragments that come before it are held back); later fragments yield
    ///   ``ChatStreamEvent/toolCallDelta(index:arguments:)``. A fragment with a new `id` at an index
    ///   already in use, or without an index, is handled as compatible servers mean it.
    /// - `finish_reason` yields ``ChatStreamEvent/stop(_:)`` (`stop` after tool calls reads as
    ///   tool use; a refusal as a content filter). The usage chunk (`choices: []`) yields
    ///   ``ChatStreamEvent/usage(_:)``; usage attached to ordinary chunks is reported once at the end.
    /// - `data: [DONE]` ends the stream. An `{"error": …}` payload throws.
    /// - Only choice 0 is translated; other choices are ignored (`n > 1` streams need passthrough).
    public struct StreamDecoder: Sendable {
        struct ToolCall: Sendable {
            var upstreamIndex: Int?
            var id: String?
            var name: String?
            /// Keel's index, once `toolCallStart` was emitted.
            var index: Int?
            var pendingArguments = ""
        }

        var started = false
        var done = false
        var stopped = false
        var refused = false
        var usageSent = false
        var pendingUsage: ChatUsage?
        var calls: [ToolCall] = []
        var startedCalls = 0

        public init() {}

        /// Decodes one SSE event; returns the neutral events it produces (often none or one).
        public mutating func decode(event: String?, data: String) throws(GatewayError) -> [ChatStreamEvent] {
            let trimmed = data.trimmingPrefix(while: \.isWhitespace)
            if trimmed.isEmpty || done { return [] }
            if trimmed.hasPrefix("[DONE]") {
                done = true
                return try finishEvents(requireStop: false)
            }
            let chunk: JSONValue
            do {
                chunk = try JSONValue(parsing: data)
            } catch {
                throw GatewayError(.upstreamProtocol, status: 502, message: "The upstream stream sent an event that is not JSON.")
            }
            if let error = chunk["error"], !error.isNull {
                throw streamError(error, fallbackStatus: 502)
            }
            if event == "error" || chunk["object"]?.stringValue == "error" {
                throw streamError(chunk, fallbackStatus: 502)
            }
            guard case .object(let root) = chunk else {
                throw GatewayError(.upstreamProtocol, status: 502, message: "The upstream stream sent an event that is not a JSON object.")
            }

            var out: [ChatStreamEvent] = []
            if !started {
                started = true
                out.append(.start(id: root["id"]?.stringValue ?? makeID(prefix: "chatcmpl-"), model: root["model"]?.stringValue ?? ""))
            }

            var choice: JSONValue?
            if case .array(let choices)? = root["choices"] {
                choice = choices.first { ($0["index"]?.intValue ?? 0) == 0 }
            }
            if let choice, !stopped {
                if let delta = choice["delta"] {
                    if let text = delta["content"]?.stringValue, !text.isEmpty { out.append(.textDelta(text)) }
                    if let refusal = delta["refusal"]?.stringValue, !refusal.isEmpty {
                        refused = true
                        out.append(.textDelta(refusal))
                    }
                    if case .array(let fragments)? = delta["tool_calls"] {
                        for fragment in fragments { out += toolCallFragment(fragment) }
                    }
                    if case .object(let function)? = delta["function_call"] {
                        out += toolCallFragment(["index": 0, "function": .object(function)])
                    }
                }
                if let finish = choice["finish_reason"]?.stringValue {
                    out += flushUnstartedCalls()
                    stopped = true
                    out.append(.stop(stopReason(finish: finish, refused: refused, hasToolCalls: !calls.isEmpty)))
                }
            }

            if let usage = root["usage"], usage.objectValue != nil {
                let empty = root["choices"]?.arrayValue?.isEmpty ?? true
                if empty, !usageSent {
                    usageSent = true
                    pendingUsage = nil
                    out.append(.usage(decodeUsage(usage)))
                } else if !usageSent {
                    pendingUsage = decodeUsage(usage)
                }
            }
            return out
        }

        /// Call when the upstream body ended: returns the last events, or throws when the stream
        /// was cut off before any `finish_reason` (and without `[DONE]`).
        public mutating func finish() throws(GatewayError) -> [ChatStreamEvent] {
            if done { return [] }
            done = true
            return try finishEvents(requireStop: true)
        }

        mutating func finishEvents(requireStop: Bool) throws(GatewayError) -> [ChatStreamEvent] {
            var out: [ChatStreamEvent] = []
            if !stopped {
                if requireStop || !started {
                    throw GatewayError(.upstreamProtocol, status: 502, message: "The upstream stream ended before the response was complete.")
                }
                // `[DONE]` without a finish_reason: the upstream says it is complete; trust it.
                out += flushUnstartedCalls()
                stopped = true
                out.append(.stop(stopReason(finish: nil, refused: refused, hasToolCalls: !calls.isEmpty)))
            }
            if let usage = pendingUsage, !usageSent {
                usageSent = true
                out.append(.usage(usage))
            }
            return out
        }

        /// One entry of `delta.tool_calls`.
        mutating func toolCallFragment(_ fragment: JSONValue) -> [ChatStreamEvent] {
            let upstreamIndex = fragment["index"]?.intValue
            let id = fragment["id"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            let function = fragment["function"]
            let name = function?["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            let arguments = argumentsText(function?["arguments"])

            // Which call does this fragment continue?
            var slot: Int?
            if let upstreamIndex {
                slot = calls.lastIndex { $0.upstreamIndex == upstreamIndex }
            } else if !calls.isEmpty, id == nil || id == calls[calls.count - 1].id {
                slot = calls.count - 1
            }
            if let s = slot, let id, let known = calls[s].id, known != id {
                slot = nil  // a new call reusing the index
            }
            let s: Int
            if let slot {
                s = slot
            } else {
                calls.append(ToolCall(upstreamIndex: upstreamIndex))
                s = calls.count - 1
            }
            if calls[s].id == nil { calls[s].id = id }
            if calls[s].name == nil { calls[s].name = name }

            var out: [ChatStreamEvent] = []
            if let index = calls[s].index {
                if !arguments.isEmpty { out.append(.toolCallDelta(index: index, arguments: arguments)) }
                return out
            }
            calls[s].pendingArguments += arguments
            if calls[s].name != nil { out += startCall(s) }
            return out
        }

        mutating func startCall(_ s: Int) -> [ChatStreamEvent] {
            let index = startedCalls
            startedCalls += 1
            calls[s].index = index
            let id = calls[s].id ?? "call_\(index)"
            calls[s].id = id
            var out: [ChatStreamEvent] = [.toolCallStart(index: index, id: id, name: calls[s].name ?? "")]
            if !calls[s].pendingArguments.isEmpty {
                out.append(.toolCallDelta(index: index, arguments: calls[s].pendingArguments))
                calls[s].pendingArguments = ""
            }
            return out
        }

        /// Starts calls whose name never arrived (so their arguments are not lost).
        mutating func flushUnstartedCalls() -> [ChatStreamEvent] {
            var out: [ChatStreamEvent] = []
            for s in calls.indices where calls[s].index == nil { out += startCall(s) }
            return out
        }
    }
}
