import KeelConfig
import KeelCore
import KeelHTTP
import KeelTelemetry

/// The upstream operations the gateway calls.
public enum UpstreamOperation: Sendable, Equatable {
    case chat(stream: Bool)
    case embeddings
}

/// Where and how to send a request to a provider: URL and headers, credentials included.
///
/// Keel's own client key is never forwarded: the upstream request is built from scratch, and only
/// the provider's configured credentials and headers go out (plus, for Anthropic, the client's
/// `anthropic-version` and `anthropic-beta`). Each provider kind builds its requests in its own
/// file (`ProviderEndpoint+OpenAI.swift`, `+Anthropic`, `+Bedrock`, `+Gemini`).
public struct ProviderEndpoint: Sendable {
    public let provider: ProviderConfig
    /// The traced attempt's context, sent upstream as `traceparent` (and `tracestate`); nil sends none.
    public var trace: TraceContext?

    public init(provider: ProviderConfig, trace: TraceContext? = nil) {
        self.provider = provider
        self.trace = trace
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
        switch provider.kind {
        case .openai: try openAIRequest(operation, body: body, timeouts: timeouts)
        case .azure: try azureRequest(operation, deployment: model, body: body, timeouts: timeouts)
        case .anthropic: try anthropicRequest(operation, body: body, inbound: inbound, timeouts: timeouts)
        case .bedrock: try bedrockRequest(operation, model: model, body: body, timeouts: timeouts)
        case .gemini: try geminiRequest(operation, model: model, body: body, timeouts: timeouts)
        }
    }

    /// A POST of `body` to `url` with the JSON content type, the `accept` header `operation` wants,
    /// `headers` (credentials), the attempt's W3C `traceparent`/`tracestate` when it is traced (see
    /// ``trace``), then the provider's configured `headers` (which win), and the provider's
    /// timeout when the route set none.
    func post(_ url: String, _ operation: UpstreamOperation, headers credentials: HTTPHeaders, body: [UInt8], timeouts: HTTPClientTimeouts, accept: String? = nil) -> HTTPClientRequest {
        // content-type, accept, traceparent and tracestate, credentials, configured headers
        var headers = HTTPHeaders(capacity: 4 + credentials.count + provider.headers.count)
        headers.add(name: "content-type", value: "application/json")
        for (name, value) in credentials { headers.add(name: name, value: value) }
        if let accept {
            headers.add(name: "accept", value: accept)
        } else if case .chat(stream: true) = operation {
            headers.add(name: "accept", value: "text/event-stream")
        } else {
            headers.add(name: "accept", value: "application/json")
        }
        if let trace {
            // The attempt span's own context (never the client's `traceparent` as it came).
            headers.add(name: TraceContext.traceparentHeader, value: trace.traceparent)
            if let state = trace.tracestate { headers.add(name: TraceContext.tracestateHeader, value: state) }
        }
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) {
            headers.replaceOrAdd(name: name, value: value)
        }
        var timeouts = timeouts
        if timeouts.total == nil, let t = provider.timeout { timeouts.total = t }
        return HTTPClientRequest(method: "POST", url: url, headers: headers, body: body, timeouts: timeouts)
    }

    /// The error for an operation a provider kind does not offer.
    static func unsupportedOperation(_ message: String) -> GatewayError {
        GatewayError.invalid(message, param: "model", code: "unsupported_operation")
    }

    /// The error for a provider kind this build cannot call yet.
    func notAvailable() -> GatewayError {
        GatewayError(.upstreamUnavailable, status: 501, message: "Provider kind '\(provider.kind)' is not available in this version of Keel.", type: "server_error", code: "provider_not_supported")
    }
}

/// The JSON dialects the gateway speaks, inbound and upstream.
public enum WireFormat: String, Sendable, Equatable {
    case openAI = "openai"
    case anthropic
    case gemini
    case bedrockConverse = "bedrock"
}
