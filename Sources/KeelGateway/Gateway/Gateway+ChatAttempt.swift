import KeelConfig
import KeelCore
import KeelHTTP

/// What a successful chat attempt produced.
enum ChatAnswer: Sendable {
    /// A whole answer in the inbound format, with the usage read from it.
    case whole([UInt8], usage: ChatUsage?)
    /// A stream whose first token has arrived (nothing has been sent to the client yet).
    case stream(PreparedStream)
}

/// An upstream stream read up to its first token: the events read so far and the iterator to read
/// the rest with.
///
/// `@unchecked Sendable`: the iterator is used by one task at a time — the attempt that read the
/// first events, then (after the attempt has returned it) the task writing the response.
struct PreparedStream: @unchecked Sendable {
    let upstream: HTTPClientResponse
    var iterator: UpstreamEvents<HTTPClientResponse.Body>.AsyncIterator
    /// Events already read (up to and including the first token), not yet decoded for the client.
    let prefix: [ServerSentEvent]
    /// The provider's wire format.
    let format: WireFormat
    /// Whether the provider's format differs from the inbound one (events are re-encoded).
    let translated: Bool
}

extension Gateway {
    /// The most events read while waiting for the first token; past this the stream is committed anyway.
    static let maxPrefixEvents = 64

    /// One chat attempt on `target`: a whole answer, or a stream up to its first token. Upstream
    /// error answers and broken streams are thrown as ``AttemptFailure``s.
    func chatAttempt(_ call: ChatCall, _ target: RouteTarget) async throws -> Attempted<ChatAnswer> {
        let provider = target.provider
        let endpoint = ProviderEndpoint(provider: provider, trace: target.trace)
        let translated = endpoint.chatFormat != call.inbound
        let upstreamBody = try Self.upstreamChatBody(call, endpoint: endpoint, target: target)
        var timeouts = target.timeouts
        if call.stream, let first = target.route.firstTokenTimeout { timeouts.firstByte = first }
        let upstreamRequest = try endpoint.request(.chat(stream: call.stream), model: target.route.model, body: upstreamBody, inbound: call.headers, timeouts: timeouts)

        guard call.stream else {
            // A non-streamed answer is read whole by the client engine, which wakes this task once.
            let (upstream, bytes) = try await client.fetch(upstreamRequest, upTo: maxResponseBytes)
            if upstream.status >= 400 {
                throw AttemptFailure.upstream(status: upstream.status, mapped: Codecs.decodeError(endpoint.chatFormat, status: upstream.status, body: bytes, headers: upstream.headers), headers: upstream.headers)
            }
            var summary = ResponseSummary()
            let (answer, usage) = try Self.inboundAnswer(bytes, call: call, format: endpoint.chatFormat, translated: translated, provider: provider.name, summary: &summary, captureContent: telemetry.capture.enabled)
            return Attempted(value: .whole(answer, usage: usage), firstTokenAt: .now, response: summary)
        }

        let client = self.client
        let open: @Sendable () async throws -> PreparedStream = {
            let upstream = try await client.execute(upstreamRequest)
            if upstream.status >= 400 {
                let errorBody = (try? await upstream.collect(upTo: 1 << 20)) ?? []
                throw AttemptFailure.upstream(status: upstream.status, mapped: Codecs.decodeError(endpoint.chatFormat, status: upstream.status, body: errorBody, headers: upstream.headers), headers: upstream.headers)
            }
            return try await Self.readToFirstToken(upstream, format: endpoint.chatFormat, translated: translated, provider: provider.name)
        }
        let prepared: PreparedStream
        if let first = target.route.firstTokenTimeout {
            prepared = try await Self.withDeadline(first, onTimeout: { AttemptFailure.firstTokenTimeout(provider: provider.name, after: first) }, open)
        } else {
            prepared = try await open()
        }
        return Attempted(value: .stream(prepared), firstTokenAt: .now)
    }

    /// The body sent upstream: the client's JSON with only `model` replaced when the formats
    /// match, otherwise the request translated through the neutral model.
    static func upstreamChatBody(_ call: ChatCall, endpoint: ProviderEndpoint, target: RouteTarget) throws(GatewayError) -> [UInt8] {
        if endpoint.chatFormat == call.inbound {
            var forwarded = call.body
            if target.provider.kind != .azure { forwarded["model"] = .string(target.route.model) } else { _ = forwarded.removeValue(forKey: "model") }
            if call.stream, call.inbound == .openAI {
                var options = forwarded["stream_options"]?.objectValue ?? JSONObject()
                options["include_usage"] = .bool(true)
                forwarded["stream_options"] = .object(options)
            }
            return JSONValue.object(forwarded).serialized()
        }
        let canonical = try Codecs.decodeRequest(call.inbound, .object(call.body))
        return try Codecs.encodeRequest(endpoint.chatFormat, canonical, upstreamModel: target.route.model, stream: call.stream).serialized()
    }

    /// A whole upstream answer in the inbound format, and its usage; `summary` gets its id, model
    /// and finish reasons (and, with `captureContent`, its messages).
    static func inboundAnswer(_ bytes: [UInt8], call: ChatCall, format: WireFormat, translated: Bool, provider: String, summary: inout ResponseSummary, captureContent: Bool = false) throws(GatewayError) -> ([UInt8], ChatUsage?) {
        if translated {
            guard let parsed = try? JSONValue(parsing: bytes) else {
                throw GatewayError(.upstreamProtocol, status: 502, message: "The provider '\(provider)' sent a response that is not JSON.", type: "upstream_error", code: "upstream_invalid_response")
            }
            let response = try Codecs.decodeResponse(format, parsed)
            summary = ResponseSummary(id: response.id, model: response.model, finishReasons: [call.inbound == .anthropic ? response.stopReason.anthropic : response.stopReason.openAI])
            if captureContent { summary.outputMessages = GenAIContent.output(response, inbound: call.inbound) }
            return (Codecs.encodeResponse(call.inbound, response, model: call.model).serialized(), response.usage)
        }
        // Same format: the provider's bytes go back untouched; only usage (and the summary) is read from them.
        var usage: ChatUsage?
        if let parsed = try? JSONValue(parsing: bytes) {
            summary = ResponseSummary(parsed, format: call.inbound)
            if let value = parsed["usage"], value.objectValue != nil {
                usage = call.inbound == .openAI ? OpenAIChatCodec.decodeUsage(value) : AnthropicMessagesCodec.decodeUsage(value)
            }
            if captureContent, let response = try? Codecs.decodeResponse(call.inbound, parsed) {
                summary.outputMessages = GenAIContent.output(response, inbound: call.inbound)
            }
        }
        return (bytes, usage)
    }

    /// Reads a stream until its first token (text or a tool call), its stop, or its end. An error
    /// event, a broken connection or an end without a finished answer before then is a failed
    /// attempt, so the request can still fail over: nothing has reached the client.
    static func readToFirstToken(_ upstream: HTTPClientResponse, format: WireFormat, translated: Bool, provider: String) async throws -> PreparedStream {
        var iterator = UpstreamEvents(upstream.body, format: format).makeAsyncIterator()
        var decoder = Codecs.StreamDecoder(format)
        var prefix: [ServerSentEvent] = []
        func prepared() -> PreparedStream {
            PreparedStream(upstream: upstream, iterator: iterator, prefix: prefix, format: format, translated: translated)
        }
        while let event = try await iterator.next() {
            prefix.append(event)
            let events: [ChatStreamEvent]
            do {
                events = try decoder.decode(event: event.event, data: event.data)
            } catch {
                var failure = AttemptFailure.inStream(error)
                failure.startedStream = prepared()
                throw failure
            }
            let started = events.contains { event in
                switch event {
                case .textDelta, .toolCallStart, .toolCallDelta, .stop: true
                default: false
                }
            }
            if started || prefix.count >= maxPrefixEvents { return prepared() }
        }
        do {
            _ = try decoder.finish()
        } catch {
            var failure = AttemptFailure.streamCut(provider: provider)
            failure.startedStream = prepared()
            throw failure
        }
        return prepared()
    }

    /// Runs `operation`, cancelling it and throwing `onTimeout()` when it has not finished after `limit`.
    static func withDeadline<T: Sendable>(_ limit: Duration, onTimeout: @escaping @Sendable () -> any Error, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            if let first = try await group.next(), let value = first { return value }
            throw onTimeout()
        }
    }
}
