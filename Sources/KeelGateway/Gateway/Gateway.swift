import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelStore

/// The model gateway: `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic)
/// in front of the configured providers, plus `POST /v1/embeddings` (`Gateway+Embeddings.swift`)
/// and `POST /v1/messages/count_tokens` (`Gateway+CountTokens.swift`).
///
/// A request names a configured model; Keel picks one of its routes (weighted), sends the request
/// to that route's provider and answers in the inbound API's format. When the inbound format is the
/// provider's own (OpenAI SDK → an OpenAI-compatible server, Anthropic SDK → Anthropic), the client's
/// JSON is forwarded with only `model` replaced, so every field the provider supports works; usage is
/// always requested from OpenAI-compatible streams (`stream_options.include_usage`) and removed again
/// when the client did not ask for it. Every request is recorded in the store's request log.
public final class Gateway: Sendable {
    let client: HTTPClient
    let store: any Store
    let logger: Logger
    let models: [String: ModelConfig]
    let providers: [String: ProviderConfig]
    /// The most bytes read from a non-streamed upstream response.
    let maxResponseBytes = 64 * 1024 * 1024

    public init(config: KeelConfig, client: HTTPClient, store: any Store, logger: Logger) {
        self.client = client
        self.store = store
        self.logger = logger
        var models: [String: ModelConfig] = [:]
        for m in config.models { models[m.name] = m }
        self.models = models
        var providers: [String: ProviderConfig] = [:]
        for p in config.providers { providers[p.name] = p }
        self.providers = providers
    }

    public func register(in router: inout Router) {
        router.post("/v1/chat/completions") { [self] request, context in
            try await chat(request, context, inbound: .openAI)
        }
        router.post("/v1/messages", errorFormat: .anthropic) { [self] request, context in
            try await chat(request, context, inbound: .anthropic)
        }
        router.post("/v1/messages/count_tokens", errorFormat: .anthropic) { [self] request, _ in
            try await countTokens(request)
        }
        router.post("/v1/embeddings") { [self] request, context in
            try await embeddings(request, context)
        }
    }

    // MARK: Chat

    /// Serves one chat request; whatever it answers with an error is recorded here, once.
    func chat(_ request: Request, _ context: RequestContext, inbound: WireFormat) async throws -> Response {
        let inboundAPI = inbound == .openAI ? "openai.chat_completions" : "anthropic.messages"
        var recorder = RequestRecorder(id: context.requestID, inboundAPI: inboundAPI, model: "")
        do {
            return try await chat(request, inbound: inbound, recorder: &recorder)
        } catch {
            recordFailure(error, recorder)
            throw error
        }
    }

    private func chat(_ request: Request, inbound: WireFormat, recorder: inout RequestRecorder) async throws -> Response {
        let body = try Self.jsonObject(request.body)
        let modelName = try Self.modelName(body)
        var stream = false
        if let s = body["stream"] {
            guard case .bool(let b) = s else { throw GatewayError.invalid("'stream' must be a boolean.", param: "stream", code: "invalid_type") }
            stream = b
        }
        recorder.model = modelName
        recorder.stream = stream
        let (route, provider) = try pickRoute(model: modelName, recorder: &recorder)
        let endpoint = ProviderEndpoint(provider: provider)

        let clientWantsUsage = body["stream_options"]?["include_usage"]?.boolValue ?? false
        let upstreamBody: [UInt8]
        if endpoint.chatFormat == inbound {
            var forwarded = body
            if provider.kind != .azure { forwarded["model"] = .string(route.model) } else { forwarded.removeValue(forKey: "model") }
            if stream, inbound == .openAI {
                var options = forwarded["stream_options"]?.objectValue ?? JSONObject()
                options["include_usage"] = .bool(true)
                forwarded["stream_options"] = .object(options)
            }
            upstreamBody = JSONValue.object(forwarded).serialized()
        } else {
            // Different formats: decode into the neutral model, encode in the provider's format.
            let canonical = try Codecs.decodeRequest(inbound, .object(body))
            upstreamBody = try Codecs.encodeRequest(endpoint.chatFormat, canonical, upstreamModel: route.model, stream: stream).serialized()
        }
        let translated = endpoint.chatFormat != inbound

        var timeouts = HTTPClientTimeouts()
        timeouts.total = route.timeout ?? provider.timeout
        if stream, let first = route.firstTokenTimeout { timeouts.firstByte = first }
        let upstreamRequest = try endpoint.request(.chat(stream: stream), model: route.model, body: upstreamBody, inbound: request.headers, timeouts: timeouts)

        // A non-streamed answer is read whole by the client engine, which wakes this task once.
        let upstream: HTTPClientResponse
        var wholeBody: [UInt8]?
        do {
            if stream {
                upstream = try await client.execute(upstreamRequest)
            } else {
                let fetched = try await client.fetch(upstreamRequest, upTo: maxResponseBytes)
                upstream = fetched.response
                wholeBody = fetched.body
            }
        } catch let error as HTTPClientError {
            throw GatewayError(transport: error, provider: provider.name)
        }
        let headers: HTTPHeaders = ["x-keel-route": recorder.route ?? ""]
        if upstream.status >= 400 {
            var errorBody = wholeBody ?? []
            if wholeBody == nil { errorBody = (try? await upstream.collect(upTo: 1 << 20)) ?? [] }
            var withRoute = Codecs.decodeError(endpoint.chatFormat, status: upstream.status, body: errorBody, headers: upstream.headers)
            withRoute.headers["x-keel-route"] = recorder.route
            throw withRoute
        }

        if let bytes = wholeBody {
            let answer: [UInt8]
            if translated {
                guard let parsed = try? JSONValue(parsing: bytes) else {
                    throw GatewayError(.upstreamProtocol, status: 502, message: "The provider '\(provider.name)' sent a response that is not JSON.", type: "upstream_error", code: "upstream_invalid_response")
                }
                let response = try Codecs.decodeResponse(endpoint.chatFormat, parsed)
                recorder.usage = response.usage
                answer = Codecs.encodeResponse(inbound, response, model: modelName).serialized()
            } else {
                // Same format: the provider's bytes go back untouched; only usage is read from them.
                if let usage = (try? JSONValue(parsing: bytes))?["usage"], usage.objectValue != nil {
                    recorder.usage = inbound == .openAI ? OpenAIChatCodec.decodeUsage(usage) : AnthropicMessagesCodec.decodeUsage(usage)
                }
                answer = bytes
            }
            recorder.markFirstToken()
            store.record(recorder.entry(status: 200, error: nil))
            return .json(bytes: answer, headers: headers)
        }

        let store = self.store
        let started = recorder
        let providerFormat = endpoint.chatFormat
        return .eventStream(headers: headers) { writer in
            var recorder = started
            let outcome = await Self.stream(upstream: upstream, from: providerFormat, to: writer, inbound: inbound, translate: translated, model: modelName, clientWantsUsage: clientWantsUsage, request: body, recorder: &recorder, provider: provider.name)
            store.record(recorder.entry(status: outcome.status, error: outcome.error))
            if outcome.clientGone { throw ClientDisconnectedError() }
        }
    }

    /// Streams the upstream's answer to the client.
    ///
    /// Every upstream event goes through the provider format's stream decoder, which is where usage,
    /// time to first token, in-stream errors and truncation are read. When `translate` is false the
    /// upstream's events are forwarded as they came (minus the usage-only chunk a client did not ask
    /// for, and the `"usage": null` member asking for it adds to every other chunk); otherwise the
    /// decoded events are re-encoded in the inbound API's format.
    static func stream(upstream: HTTPClientResponse, from providerFormat: WireFormat, to writer: any ResponseBodyWriter, inbound: WireFormat, translate: Bool, model: String, clientWantsUsage: Bool, request: JSONObject, recorder: inout RequestRecorder, provider: String) async -> (status: Int, error: String?, clientGone: Bool) {
        var decoder = Codecs.StreamDecoder(providerFormat)
        var encoder = Codecs.StreamEncoder(inbound, model: model, includeUsage: clientWantsUsage)
        var iterator = UpstreamEvents(upstream.body, format: providerFormat).makeAsyncIterator()
        // What was streamed, counted in case the upstream never reports usage (see TokenEstimator).
        var counter = StreamUsageCounter()
        var upstreamStart: (id: String, model: String)?
        func observe(_ events: [ChatStreamEvent], recorder: inout RequestRecorder) async throws {
            for event in events {
                switch event {
                case .usage(let usage): recorder.usage = usage
                case .textDelta, .toolCallStart: recorder.markFirstToken()
                case .start(let id, let model): upstreamStart = (id, model)
                default: break
                }
                counter.observe(event)
                if translate {
                    for out in encoder.encode(event) { try await writer.write(event: out) }
                }
            }
        }
        /// Fills in estimated usage when the upstream reported none.
        func estimateUsageIfMissing(_ recorder: inout RequestRecorder) -> ChatUsage? {
            guard recorder.usage == nil else { return nil }
            let usage = counter.usage(promptTokens: TokenEstimator.promptTokens(request))
            recorder.usage = usage
            recorder.usageEstimated = true
            return usage
        }
        defer { _ = estimateUsageIfMissing(&recorder) }
        do {
            while let event = try await iterator.next() {
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
                        try await writer.write(event: OpenAIChatCodec.StreamEncoder.usageChunk(usage, id: upstreamStart?.id, model: upstreamStart?.model ?? model))
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
            if translate {
                if let usage = estimateUsageIfMissing(&recorder) {
                    for out in encoder.encode(.usage(usage)) { try await writer.write(event: out) }
                }
                for out in encoder.finish() { try await writer.write(event: out) }
            }
            return (200, nil, false)
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

    /// A request body as a JSON object; a 400 (`invalid_json`) when it is not JSON or not an object.
    static func jsonObject(_ bytes: [UInt8]) throws(GatewayError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            throw GatewayError.invalid("We could not parse the JSON body of your request: \(error.message)", code: "invalid_json")
        }
        guard case .object(let object) = value else {
            throw GatewayError.invalid("The request body must be a JSON object.")
        }
        return object
    }

    /// The body's `model`, which must be a string.
    static func modelName(_ body: JSONObject) throws(GatewayError) -> String {
        guard let modelValue = body["model"], !modelValue.isNull else {
            throw GatewayError.invalid("You must provide a model parameter.", param: "model", code: "missing_required_parameter")
        }
        guard case .string(let name) = modelValue else {
            throw GatewayError.invalid("'model' must be a string.", param: "model", code: "invalid_type")
        }
        return name
    }

    /// Weighted random choice among routes with a positive weight (the first route if none has one).
    static func pickRoute(_ routes: [RouteConfig]) -> RouteConfig {
        let total = routes.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return routes[0] }
        var pick = Int.random(in: 0..<total)
        for r in routes where r.weight > 0 {
            if pick < r.weight { return r }
            pick -= r.weight
        }
        return routes[0]
    }

    // MARK: Shared

    /// Records a request that failed with `error` in the request log, with the status the client sees.
    func recordFailure(_ error: any Error, _ recorder: RequestRecorder) {
        store.record(recorder.entry(status: responseStatus(for: error), error: (error as? GatewayError)?.message ?? String(describing: type(of: error))))
    }

    /// Picks one route of the configured model `name` and its provider, noting both in `recorder`;
    /// throws ``ModelNotFound`` for a name that is not configured.
    func pickRoute(model name: String, recorder: inout RequestRecorder) throws -> (route: RouteConfig, provider: ProviderConfig) {
        guard let model = models[name] else {
            throw ModelNotFound(model: name)
        }
        let route = Self.pickRoute(model.routes)
        guard let provider = providers[route.provider] else {
            throw GatewayError(.upstreamUnavailable, status: 500, message: "Route provider '\(route.provider)' is not configured.", type: "server_error")
        }
        recorder.provider = provider.name
        recorder.upstreamModel = route.model
        return (route, provider)
    }
}
