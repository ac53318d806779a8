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
/// and their answers are combined in input order. Every request is recorded once, as inbound API
/// `openai.embeddings`, with the input tokens the provider reported.
extension Gateway {
    /// The most upstream calls one embeddings request has in flight at once.
    static let maxConcurrentEmbeddingsCalls = 8

    /// Serves one embeddings request; whatever it answers with an error is recorded here, once.
    func embeddings(_ request: Request, _ context: RequestContext) async throws -> Response {
        var recorder = RequestRecorder(id: context.requestID, inboundAPI: "openai.embeddings", model: "")
        do {
            return try await embeddings(request, recorder: &recorder)
        } catch {
            recordFailure(error, recorder)
            throw error
        }
    }

    private func embeddings(_ request: Request, recorder: inout RequestRecorder) async throws -> Response {
        let body = try Self.jsonObject(request.body)
        recorder.model = body["model"]?.stringValue ?? ""
        let embeddingsRequest = try OpenAIEmbeddingsCodec.decodeRequest(.object(body))
        let (route, provider) = try pickRoute(model: embeddingsRequest.model, recorder: &recorder)
        let endpoint = ProviderEndpoint(provider: provider)
        let routeName = recorder.route ?? ""
        var timeouts = HTTPClientTimeouts()
        timeouts.total = route.timeout ?? provider.timeout

        let answer: [UInt8]
        switch provider.kind {
        case .openai, .azure:
            var forwarded = body
            if provider.kind != .azure { forwarded["model"] = .string(route.model) } else { forwarded.removeValue(forKey: "model") }
            let upstreamRequest = try endpoint.request(.embeddings, model: route.model, body: JSONValue.object(forwarded).serialized(), inbound: request.headers, timeouts: timeouts)
            let bytes = try await fetchEmbeddings(upstreamRequest, format: .openAI, provider: provider.name, route: routeName)
            guard let parsed = try? JSONValue(parsing: bytes) else { throw Self.invalidEmbeddingsResponse(provider: provider.name) }
            if let tokens = parsed["usage"]?["prompt_tokens"]?.intValue {
                recorder.usage = ChatUsage(inputTokens: tokens)
            }
            if embeddingsRequest.encodingFormat == .base64 {
                answer = try OpenAIEmbeddingsCodec.convertingFloatVectorsToBase64(parsed)?.serialized() ?? bytes
            } else {
                answer = bytes
            }
        default:
            let format = endpoint.chatFormat
            let bodies = try EmbeddingsCodecs.encodeRequests(format, embeddingsRequest, upstreamModel: route.model)
            var upstreamRequests: [HTTPClientRequest] = []
            for body in bodies {
                upstreamRequests.append(try endpoint.request(.embeddings, model: route.model, body: body.serialized(), inbound: request.headers, timeouts: timeouts))
            }
            let answers = try await fetchAllEmbeddings(upstreamRequests, format: format, provider: provider.name, route: routeName)
            var parsed: [JSONValue] = []
            for bytes in answers {
                guard let value = try? JSONValue(parsing: bytes) else { throw Self.invalidEmbeddingsResponse(provider: provider.name) }
                parsed.append(value)
            }
            let response = try EmbeddingsCodecs.decodeResponses(format, parsed, request: embeddingsRequest)
            guard response.vectors.count == embeddingsRequest.inputs.count else {
                throw GatewayError(.upstreamProtocol, status: 502, message: "The provider '\(provider.name)' answered with \(response.vectors.count) embeddings for \(embeddingsRequest.inputs.count) inputs.", type: "upstream_error", code: "upstream_invalid_response")
            }
            if let tokens = response.inputTokens { recorder.usage = ChatUsage(inputTokens: tokens) }
            answer = OpenAIEmbeddingsCodec.encodeResponse(response, model: embeddingsRequest.model, encoding: embeddingsRequest.encodingFormat).serialized()
        }
        store.record(recorder.entry(status: 200, error: nil))
        return .json(bytes: answer, headers: ["x-keel-route": routeName])
    }

    /// Sends one upstream embeddings request and reads its whole answer (at most
    /// ``maxResponseBytes``); error answers are mapped by `format`'s codec and carry `x-keel-route`.
    func fetchEmbeddings(_ upstreamRequest: HTTPClientRequest, format: WireFormat, provider: String, route: String) async throws -> [UInt8] {
        do {
            let (upstream, body) = try await client.fetch(upstreamRequest, upTo: maxResponseBytes)
            if upstream.status >= 400 {
                var mapped = Codecs.decodeError(format, status: upstream.status, body: body, headers: upstream.headers)
                mapped.headers["x-keel-route"] = route
                throw mapped
            }
            return body
        } catch let error as HTTPClientError {
            throw GatewayError(transport: error, provider: provider)
        }
    }

    /// Sends every request, at most ``maxConcurrentEmbeddingsCalls`` at a time, and returns the
    /// answers in request order. The first failure cancels the calls still running and is thrown.
    func fetchAllEmbeddings(_ upstreamRequests: [HTTPClientRequest], format: WireFormat, provider: String, route: String) async throws -> [[UInt8]] {
        if upstreamRequests.count == 1 {
            return [try await fetchEmbeddings(upstreamRequests[0], format: format, provider: provider, route: route)]
        }
        return try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var answers = [[UInt8]?](repeating: nil, count: upstreamRequests.count)
            var next = 0
            func startNext() {
                let index = next
                let upstreamRequest = upstreamRequests[index]
                group.addTask { [self] in
                    (index, try await fetchEmbeddings(upstreamRequest, format: format, provider: provider, route: route))
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
