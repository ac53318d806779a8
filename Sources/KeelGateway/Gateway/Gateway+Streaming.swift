import KeelCore
import KeelHTTP

extension Gateway {
    /// Streams a prepared upstream answer to the client: the events read before the first token,
    /// then the rest as it arrives.
    ///
    /// Every upstream event goes through the provider format's stream decoder, which is where usage,
    /// time to first token, in-stream errors and truncation are read. When the formats match the
    /// upstream's events are forwarded as they came (minus the usage-only chunk a client did not ask
    /// for, and the `"usage": null` member asking for it adds to every other chunk); otherwise the
    /// decoded events are re-encoded in the inbound API's format. Bytes have reached the client, so
    /// a failure now ends the stream with the inbound API's error event instead of failing over.
    /// A stream that finishes is handed to `onComplete` as a whole answer (for the response cache).
    /// With an `output` guard the decoded events pass through it and are always re-encoded
    /// (`Gateway+Guardrails.swift`).
    static func stream(_ prepared: PreparedStream, to writer: any ResponseBodyWriter, call: ChatCall, recorder: inout RequestRecorder, provider: String, output: StreamOutputGuard? = nil, onComplete: (@Sendable (ChatResponse) -> Void)?) async -> (status: Int, error: String?, clientGone: Bool) {
        let inbound = call.inbound
        var output = output
        let translate = prepared.translated || output != nil
        let clientWantsUsage = call.clientWantsUsage
        var decoder = Codecs.StreamDecoder(prepared.format)
        var encoder = Codecs.StreamEncoder(inbound, model: call.model, includeUsage: clientWantsUsage)
        var iterator = prepared.iterator
        var pending = prepared.prefix[...]
        func nextEvent() async throws -> ServerSentEvent? {
            if let event = pending.popFirst() { return event }
            return try await iterator.next()
        }
        // What was streamed, counted in case the upstream never reports usage (see TokenEstimator).
        var counter = StreamUsageCounter()
        var accumulator = StreamAccumulator()
        var upstreamStart: (id: String, model: String)?
        func observe(_ events: [ChatStreamEvent], recorder: inout RequestRecorder) async throws {
            guard output != nil else { return try await emit(events, recorder: &recorder) }
            try await emit(output!.filter(events), recorder: &recorder)
            try await endIfBlocked(&recorder)
        }
        /// Ends the stream with the error event when the output guard blocked the answer.
        func endIfBlocked(_ recorder: inout RequestRecorder) async throws {
            guard let guarded = output else { return }
            if !guarded.findings.isEmpty { recorder.guardrails["guardrails_output"] = findingSummary(guarded.findings) }
            guard guarded.blocked else { return }
            let error = guarded.blockedError
            for out in encoder.errorEvent(error) { try await writer.write(event: out) }
            throw OutputBlocked(error: error)
        }
        func emit(_ events: [ChatStreamEvent], recorder: inout RequestRecorder) async throws {
            for event in events {
                switch event {
                case .usage(let usage): recorder.usage = usage
                case .textDelta, .toolCallStart: recorder.markFirstToken()
                case .start(let id, let model):
                    upstreamStart = (id, model)
                    recorder.telemetry.response.id = id
                    recorder.telemetry.response.model = model
                case .stop(let reason): recorder.telemetry.response.finishReasons = [inbound == .anthropic ? reason.anthropic : reason.openAI]
                default: break
                }
                counter.observe(event)
                accumulator.observe(event)
                if translate {
                    for out in encoder.encode(event) { try await writer.write(event: out) }
                }
            }
        }
        /// Fills in estimated usage when the upstream reported none.
        func estimateUsageIfMissing(_ recorder: inout RequestRecorder) -> ChatUsage? {
            guard recorder.usage == nil else { return nil }
            let usage = counter.usage(promptTokens: TokenEstimator.promptTokens(call.body))
            recorder.usage = usage
            recorder.usageEstimated = true
            return usage
        }
        defer { _ = estimateUsageIfMissing(&recorder) }
        do {
            while let event = try await nextEvent() {
                let events: [ChatStreamEvent]
                do {
                    events = try decoder.decode(event: event.event, data: event.data)
                } catch {
                    // An in-stream error from the upstream. Same format: the client gets it as sent.
                    if translate {
                        for out in encoder.errorEvent(error) { try await writer.write(event: out) }
                    } else {
                        try await writer.write(event: event)
                    }
                    return (error.status, error.message, false)
                }
                try await observe(events, recorder: &recorder)
                if !translate {
                    // An OpenAI-compatible server that ignored `include_usage`: the client that asked
                    // for usage gets Keel's count in the usage chunk it expects before `[DONE]`.
                    if inbound == .openAI, clientWantsUsage, event.data == "[DONE]", let usage = estimateUsageIfMissing(&recorder) {
                        try await writer.write(event: OpenAIChatCodec.StreamEncoder.usageChunk(usage, id: upstreamStart?.id, model: upstreamStart?.model ?? call.model))
                    }
                    // OpenAI's usage-only chunk (empty `choices`) is dropped when the client did not ask for usage.
                    let usageOnly = !events.isEmpty && events.allSatisfy { if case .usage = $0 { true } else { false } }
                    if inbound == .openAI, !clientWantsUsage {
                        if usageOnly { continue }
                        var edited = event
                        edited.data = OpenAIChatCodec.removingNullUsage(event.data)
                        try await writer.write(event: edited)
                    } else {
                        try await writer.write(event: event)
                    }
                }
            }
            let last: [ChatStreamEvent]
            do {
                last = try decoder.finish()
            } catch {
                for out in encoder.errorEvent(error) { try await writer.write(event: out) }
                return (error.status, error.message, false)
            }
            try await observe(last, recorder: &recorder)
            if output != nil {
                try await emit(output!.flush(), recorder: &recorder)
                try await endIfBlocked(&recorder)
            }
            if translate {
                if let usage = estimateUsageIfMissing(&recorder) {
                    accumulator.observe(.usage(usage))
                    for out in encoder.encode(.usage(usage)) { try await writer.write(event: out) }
                }
                for out in encoder.finish() { try await writer.write(event: out) }
            }
            if let onComplete, let response = accumulator.response() { onComplete(response) }
            if recorder.telemetry.captureContent, let response = accumulator.response() {
                recorder.telemetry.outputMessages = GenAIContent.output(response, inbound: inbound)
            }
            return (200, nil, false)
        } catch let blocked as OutputBlocked {
            return (blocked.error.status, blocked.error.message, false)
        } catch is ClientDisconnectedError {
            return (499, "client disconnected", true)
        } catch is CancellationError {
            return (499, "client disconnected", true)
        } catch let error as HTTPClientError {
            let mapped = GatewayError(transport: error, provider: provider)
            for out in encoder.errorEvent(mapped) { try? await writer.write(event: out) }
            return (mapped.status, mapped.message, false)
        } catch {
            let mapped = GatewayError(.upstreamProtocol, status: 502, message: "The provider '\(provider)' sent an unreadable stream.", type: "upstream_error", code: "upstream_stream_invalid")
            for out in encoder.errorEvent(mapped) { try? await writer.write(event: out) }
            return (502, mapped.message, false)
        }
    }
}

/// Thrown inside ``Gateway/stream(_:to:call:recorder:provider:output:onComplete:)`` when the output
/// guard blocked the answer (the error event has been written).
private struct OutputBlocked: Error {
    let error: GatewayError
}
