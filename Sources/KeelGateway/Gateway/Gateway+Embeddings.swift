import KeelConfig
import KeelCore
import KeelHTTP

/// `POST /v1/embeddings`: OpenAI's embeddings API in front of every provider.
///
/// The request is validated by ``OpenAIEmbeddingsCodec`` whatever the provider, so clients see
/// the same 400s everywhere. For OpenAI-compatible and Azure providers the client's JSON is
/// forwarded with only `model` replaced (Azure: removed), so every field the provider supports
/// works, and the answer (which must be JSON) comes back as the provider sent it — except that
/// when the client asked for base64 and the provider answered with float arrays (as Ollama and
/// other compatible servers do, ignoring `encoding_format`), the vectors are converted to base64
/// exactly. Other provider kinds go through ``EmbeddingsCodecs``; their upstream calls (one per
/// input for Bedrock Titan) run concurrently, at most ``maxConcurrentEmbeddingsCalls`` at a time,
/// and their answers are combined in input order. Routes are chosen, retried and fallen back on
/// like chat (`Gateway+Attempts.swift`). Every request is recorded once, as inbound API
/// `openai.embeddings`, with the input tokens the provider reported and every attempt. Governance
/// admits it like a chat request (no output allowance) and settles it with the reported input tokens.
extension Gateway {
    /// The most upstream calls one embeddings request has in flight at once.
    static let maxConcurrentEmbeddingsCalls = 8

    /// Serves one embeddings request; whatever it answers with an error is recorded here, once, and
    /// carries the routing headers.
    func embeddings(_ request: Request, _ context: RequestContext) async throws -> Response {
        var recorder = RequestRecorder(id: context.requestID, inboundAPI: "openai.embeddings", model: "")
        recorder.telemetry = startTelemetry(request, operation: "embeddings")
        do {
            return try await embeddings(request, context, recorder: &recorder)
        } catch {
            await endFailed(&recorder, status: responseStatus(for: error))
            recordFailure(error, recorder)
            throw recorder.addingRoutingHeaders(to: error)
        }
    }

    private func embeddings(_ request: Request, _ context: RequestContext, recorder: inout RequestRecorder) async throws -> Response {
        let body = try Self.jsonObject(request.body)
        recorder.model = body["model"]?.stringValue ?? ""
        let embeddingsRequest = try OpenAIEmbeddingsCodec.decodeRequest(.object(body))
        guard models[embeddingsRequest.model] != nil else { throw ModelNotFound(model: embeddingsRequest.model) }
        let promptTokens = embeddingsRequest.inputs.reduce(0) { total, input in
            switch input {
            case .text(let text): total + TokenEstimator.count(text)
            case .tokens(let tokens): total + tokens.count
            }
        }
        try await admit(&recorder, context: context, model: embeddingsRequest.model, promptTokens: promptTokens, maxOutputTokens: 0, headers: request.headers, metadata: body["metadata"])
        let plan = AttemptPlan(model: embeddingsRequest.model, stream: false, timeoutOverride: try Self.timeoutOverride(request.headers))
        if recorder.telemetry.span != nil {
            recorder.telemetry.parameters.encodingFormats = [body["encoding_format"]?.stringValue ?? "float"]
        }
        let trail = makeTrail(&recorder)
        let attempted: (result: Attempted<(answer: [UInt8], inputTokens: Int?)>, target: RouteTarget)
        do {
            attempted = try await runAttempts(plan, trail: trail) { [self] target in
                Attempted(value: try await embeddingsAttempt(body, embeddingsRequest, inbound: request.headers, target: target))
            }
            recorder.attempts = trail.all
        } catch let failure as AttemptFailure {
            recorder.failed(failure, trail: trail)
            throw failure.error
        } catch {
            recorder.attempts = trail.all
            throw error
        }
        recorder.answeredBy(attempted.target)
        if let tokens = attempted.result.value.inputTokens { recorder.usage = ChatUsage(inputTokens: tokens) }
        await settle(&recorder, status: 200, usage: recorder.usage ?? ChatUsage(inputTokens: promptTokens))
        finish(recorder, status: 200, error: nil)
        return .json(bytes: attempted.result.value.answer, headers: Self.addingRateLimitHeaders(recorder.routingHeaders, recorder))
    }

    /// One embeddings attempt on `target`: the answer in OpenAI's format and the input tokens reported.
    private func embeddingsAttempt(_ body: JSONObject, _ embeddingsRequest: EmbeddingsRequest, inbound: HTTPHeaders, target: RouteTarget) async throws -> (answer: [UInt8], inputTokens: Int?) {
        let provider = target.provider
        let route = target.route
        let endpoint = ProviderEndpoint(provider: provider, trace: target.trace)
        let timeouts = target.timeouts
        switch provider.kind {
        case .openai, .azure:
            var forwarded = body
            if provider.kind != .azure { forwarded["model"] = .string(route.model) } else { _ = forwarded.removeValue(forKey: "model") }
            let upstreamRequest = try endpoint.request(.embeddings, model: route.model, body: JSONValue.object(forwarded).serialized(), inbound: inbound, timeouts: timeouts)
            let bytes = try await fetchEmbeddings(upstreamRequest, format: .openAI, provider: provider.name)
            guard let parsed = try? JSONValue(parsing: bytes) else { throw Self.invalidEmbeddingsResponse(provider: provider.name) }
            let tokens = parsed["usage"]?["prompt_tokens"]?.intValue
            if embeddingsRequest.encodingFormat == .base64 {
                return (try OpenAIEmbeddingsCodec.convertingFloatVectorsToBase64(parsed)?.serialized() ?? bytes, tokens)
            }
            return (bytes, tokens)
        default:
            let format = endpoint.chatFormat
            let bodies = try EmbeddingsCodecs.encodeRequests(format, embeddingsRequest, upstreamModel: route.model)
            var upstreamRequests: [HTTPClientRequest] = []
            for body in bodies {
                upstreamRequests.append(try endpoint.request(.embeddings, model: route.model, body: body.serialized(), inbound: inbound, timeouts: timeouts))
            }
            let answers = try await fetchAllEmbeddings(upstreamRequests, format: format, provider: provider.name)
            var parsed: [JSONValue] = []
            for bytes in answers {
                guard let value = try? JSONValue(parsing: bytes) else { throw Self.invalidEmbeddingsResponse(provider: provider.name) }
                parsed.append(value)
            }
            let response = try EmbeddingsCodecs.decodeResponses(format, parsed, request: embeddingsRequest)
            guard response.vectors.count == embeddingsRequest.inputs.count else {
                throw GatewayError(.upstreamProtocol, status: 502, message: "The provider '\(provider.name)' answered with \(response.vectors.count) embeddings for \(embeddingsRequest.inputs.count) inputs.", type: "upstream_error", code: "upstream_invalid_response")
            }
            return (OpenAIEmbeddingsCodec.encodeResponse(response, model: embeddingsRequest.model, encoding: embeddingsRequest.encodingFormat).serialized(), response.inputTokens)
        }
    }

    /// Sends one upstream embeddings request and reads its whole answer (at most
    /// ``maxResponseBytes``); error answers are thrown as ``AttemptFailure``s mapped by `format`'s codec.
    func fetchEmbeddings(_ upstreamRequest: HTTPClientRequest, format: WireFormat, provider: String) async throws -> [UInt8] {
        let (upstream, body) = try await client.fetch(upstreamRequest, upTo: maxResponseBytes)
        if upstream.status >= 400 {
            throw AttemptFailure.upstream(status: upstream.status, mapped: Codecs.decodeError(format, status: upstream.status, body: body, headers: upstream.headers), headers: upstream.headers)
        }
        return body
    }

    /// Sends every request like ``fetchAllEmbeddings(_:format:provider:)``; a failure is thrown as
    /// the ``GatewayError`` the client would see, with `x-keel-route` set to `route`.
    func fetchAllEmbeddings(_ upstreamRequests: [HTTPClientRequest], format: WireFormat, provider: String, route: String) async throws -> [[UInt8]] {
        do {
            return try await fetchAllEmbeddings(upstreamRequests, format: format, provider: provider)
        } catch let failure as AttemptFailure {
            var error = failure.error
            error.headers["x-keel-route"] = route
            throw error
        }
    }

    /// Sends every request, at most ``maxConcurrentEmbeddingsCalls`` at a time, and returns the
    /// answers in request order. The first failure cancels the calls still running and is thrown.
    func fetchAllEmbeddings(_ upstreamRequests: [HTTPClientRequest], format: WireFormat, provider: String) async throws -> [[UInt8]] {
        if upstreamRequests.count == 1 {
            return [try await fetchEmbeddings(upstreamRequests[0], format: format, provider: provider)]
        }
        return try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var answers = [[UInt8]?](repeating: nil, count: upstreamRequests.count)
            var next = 0
            func startNext() {
                let index = next
                let upstreamRequest = upstreamRequests[index]
                group.addTask { [self] in
                    (index, try await fetchEmbeddings(upstreamRequest, format: format, provider: provider))
                }
                next += 1
            }
            while next < min(Self.maxConcurrentEmbeddingsCalls, upstreamRequests.count) { startNext() }
            while let (index, answer) = try await group.next() {
                answers[index] = answer
                if next < upstreamRequests.count { startNext() }
            }
            return answers.map { $0 ?? [] }
        }
    }

    static func invalidEmbeddingsResponse(provider: String) -> GatewayError {
        GatewayError(.upstreamProtocol, status: 502, message: "The provider '\(provider)' sent a response that is not JSON.", type: "upstream_error", code: "upstream_invalid_response")
    }
}
