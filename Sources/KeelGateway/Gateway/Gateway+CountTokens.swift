import KeelCore
import KeelHTTP

extension Gateway {
    /// `POST /v1/messages/count_tokens`: Anthropic's token counting, which Claude Code and the
    /// Anthropic SDK (`messages.count_tokens`) call before sending long contexts.
    ///
    /// A model routed to an Anthropic provider gets the provider's exact count (the client's JSON is
    /// forwarded with only `model` replaced). Other providers have no such endpoint, so Keel answers
    /// with ``TokenEstimator``'s estimate and says so in `x-keel-token-count: estimated`. Nothing is
    /// sent to a model, so these calls are not in the request log.
    func countTokens(_ request: Request) async throws -> Response {
        var body = try Self.jsonObject(request.body)
        let modelName = try Self.modelName(body)
        guard let messages = body["messages"], !messages.isNull else {
            throw GatewayError.invalid("messages: Field required", param: "messages", code: "missing_required_parameter")
        }
        guard messages.arrayValue != nil else {
            throw GatewayError.invalid("messages: Input should be a valid list", param: "messages", code: "invalid_type")
        }
        guard let model = models[modelName] else {
            throw ModelNotFound(model: modelName)
        }
        let route = Self.pickRoute(model.routes)
        guard let provider = providers[route.provider], provider.kind == .anthropic else {
            let estimate: JSONValue = ["input_tokens": .number(JSONNumber(TokenEstimator.promptTokens(body)))]
            return .json(bytes: estimate.serialized(), headers: ["x-keel-token-count": "estimated", "x-keel-route": "\(route.provider)/\(route.model)"])
        }
        body["model"] = .string(route.model)
        var timeouts = HTTPClientTimeouts()
        timeouts.total = route.timeout ?? provider.timeout
        let upstreamRequest = ProviderEndpoint(provider: provider)
            .anthropicCountTokensRequest(body: JSONValue.object(body).serialized(), inbound: request.headers, timeouts: timeouts)
        let upstream: HTTPClientResponse
        let bytes: [UInt8]
        do {
            (upstream, bytes) = try await client.fetch(upstreamRequest, upTo: 1 << 20)
        } catch let error as HTTPClientError {
            throw GatewayError(transport: error, provider: provider.name)
        }
        guard upstream.status < 400 else {
            throw AnthropicMessagesCodec.decodeError(status: upstream.status, body: bytes, headers: upstream.headers)
        }
        return .json(bytes: bytes, headers: ["x-keel-route": "\(provider.name)/\(route.model)"])
    }
}
