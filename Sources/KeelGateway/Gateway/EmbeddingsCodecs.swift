import KeelCore

/// Dispatches an embeddings request to the codec of a provider's wire format, for the gateway's
/// translation path. (OpenAI-compatible and Azure upstreams get the client's JSON forwarded
/// instead; see ``Gateway``'s embeddings route.)
///
/// A provider may need several upstream calls for one request (Bedrock Titan embeds one input
/// per call): ``encodeRequests(_:_:upstreamModel:)`` returns one body per call, and
/// ``decodeResponses(_:_:request:)`` combines the answers, given in the same order, into one
/// ``EmbeddingsResponse`` with a vector per input.
enum EmbeddingsCodecs {
    static func encodeRequests(_ format: WireFormat, _ request: EmbeddingsRequest, upstreamModel: String) throws(GatewayError) -> [JSONValue] {
        switch format {
        case .openAI: return [try OpenAIEmbeddingsCodec.encodeRequest(request, upstreamModel: upstreamModel)]
        case .anthropic: throw noEmbeddings(format)
        case .gemini: return try GeminiEmbeddingsCodec.encodeRequests(request, upstreamModel: upstreamModel)
        case .bedrockConverse: return try BedrockEmbeddingsCodec.encodeRequests(request, upstreamModel: upstreamModel)
        }
    }

    static func decodeResponses(_ format: WireFormat, _ bodies: [JSONValue], request: EmbeddingsRequest) throws(GatewayError) -> EmbeddingsResponse {
        switch format {
        case .openAI:
            var combined = EmbeddingsResponse(vectors: [])
            for body in bodies {
                let response = try OpenAIEmbeddingsCodec.decodeResponse(body)
                combined.vectors += response.vectors
                combined.model = combined.model ?? response.model
                if let tokens = response.inputTokens { combined.inputTokens = (combined.inputTokens ?? 0) + tokens }
            }
            return combined
        case .anthropic: throw noEmbeddings(format)
        case .gemini: return try GeminiEmbeddingsCodec.decodeResponses(bodies, request: request)
        case .bedrockConverse: return try BedrockEmbeddingsCodec.decodeResponses(bodies, request: request)
        }
    }

    /// The 400 for a provider without an embeddings API (the one ``ProviderEndpoint`` gives).
    static func noEmbeddings(_ format: WireFormat) -> GatewayError {
        ProviderEndpoint.unsupportedOperation("The \(format.rawValue) provider kind does not offer embeddings; route this model to an embeddings provider.")
    }
}
