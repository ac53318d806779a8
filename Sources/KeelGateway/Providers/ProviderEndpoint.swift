import KeelConfig
import KeelCore
import KeelHTTP

/// The upstream operations the gateway calls.
public enum UpstreamOperation: Sendable, Equatable {
    case chat(stream: Bool)
    case embeddings
}

/// Where and how to send a request to a provider: URL and headers, credentials included.
///
/// Keel's own client key is never forwarded: the upstream request is built from scratch, and only
/// the provider's configured credentials and headers go out (plus, for Anthropic, the client's
/// `anthropic-version` and `anthropic-beta`).
public struct ProviderEndpoint: Sendable {
    public let provider: ProviderConfig

    public init(provider: ProviderConfig) {
        self.provider = provider
    }

    /// The wire format this provider speaks for chat.
    public var chatFormat: WireFormat {
        switch provider.kind {
        case .openai, .azure: .openAI
        case .anthropic: .anthropic
        case .gemini: .gemini
        case .bedrock: .bedrockConverse
        }
    }

    /// Builds the upstream request for `operation` on `model`, with `body` as the JSON payload.
    /// `inbound` are the client's headers (only Anthropic version/beta headers are taken from them).
    public func request(_ operation: UpstreamOperation, model: String, body: [UInt8], inbound: HTTPHeaders, timeouts: HTTPClientTimeouts) throws(GatewayError) -> HTTPClientRequest {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        let base = provider.baseURL
        let url: String
        switch (provider.kind, operation) {
        case (.openai, .chat):
            url = base + "/chat/completions"
            if let key = provider.apiKey { headers.add(name: "authorization", value: "Bearer \(key.reveal())") }
        case (.openai, .embeddings):
            url = base + "/embeddings"
            if let key = provider.apiKey { headers.add(name: "authorization", value: "Bearer \(key.reveal())") }
        case (.azure, _):
            let path = operation == .embeddings ? "embeddings" : "chat/completions"
            let version = provider.apiVersion ?? ProviderConfig.defaultAzureAPIVersion
            url = "\(base)/openai/deployments/\(PercentEncoding.encode(model))/\(path)?api-version=\(PercentEncoding.encode(version))"
            if let key = provider.apiKey { headers.add(name: "api-key", value: key.reveal()) }
        case (.anthropic, .chat):
            url = base + "/v1/messages"
            if let key = provider.apiKey { headers.add(name: "x-api-key", value: key.reveal()) }
            headers.add(name: "anthropic-version", value: inbound.first("anthropic-version") ?? "2023-06-01")
            if let beta = inbound.first("anthropic-beta") { headers.add(name: "anthropic-beta", value: beta) }
        case (.anthropic, .embeddings):
            throw GatewayError.invalid("Anthropic does not offer embeddings; route this model to an embeddings provider.", param: "model", code: "unsupported_operation")
        case (.bedrock, _), (.gemini, _):
            throw GatewayError(.upstreamUnavailable, status: 501, message: "Provider kind '\(provider.kind)' is not available in this version of Keel.", type: "server_error", code: "provider_not_supported")
        }
        if case .chat(stream: true) = operation {
            headers.add(name: "accept", value: "text/event-stream")
        } else {
            headers.add(name: "accept", value: "application/json")
        }
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) {
            headers.replaceOrAdd(name: name, value: value)
        }
        var timeouts = timeouts
        if timeouts.total == nil, let t = provider.timeout { timeouts.total = t }
        return HTTPClientRequest(method: "POST", url: url, headers: headers, body: body, timeouts: timeouts)
    }
}

/// The JSON dialects the gateway speaks, inbound and upstream.
public enum WireFormat: String, Sendable, Equatable {
    case openAI = "openai"
    case anthropic
    case gemini
    case bedrockConverse = "bedrock"
}
