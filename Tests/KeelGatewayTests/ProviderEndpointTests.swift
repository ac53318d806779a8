import KeelConfig
import KeelCore
import KeelGateway
import KeelHTTP
import KeelTelemetry
import Testing

@Suite("ProviderEndpoint")
struct ProviderEndpointTests {
    let inbound: HTTPHeaders = ["authorization": "Bearer sk-keel-client", "x-api-key": "sk-keel-client", "anthropic-beta": "tools-2024"]

    func request(_ provider: ProviderConfig, _ op: UpstreamOperation = .chat(stream: false), model: String = "m") throws -> HTTPClientRequest {
        try ProviderEndpoint(provider: provider).request(op, model: model, body: Array("{}".utf8), inbound: inbound, timeouts: HTTPClientTimeouts())
    }

    @Test func openAISendsItsOwnKeyAndNeverTheClients() throws {
        let r = try request(ProviderConfig(name: "o", kind: .openai, apiKey: Secret("sk-upstream"), headers: ["OpenAI-Organization": "org-1"]))
        #expect(r.url == "https://api.openai.com/v1/chat/completions")
        #expect(r.headers.first("authorization") == "Bearer sk-upstream")
        #expect(r.headers.first("openai-organization") == "org-1")
        #expect(r.headers.first("x-api-key") == nil)
        #expect(r.headers.first("anthropic-beta") == nil)
        #expect(try request(ProviderConfig(name: "o", kind: .openai), .embeddings).url == "https://api.openai.com/v1/embeddings")
    }

    @Test func aTracedAttemptSendsItsOwnContextAndAnUntracedOneNone() throws {
        let provider = ProviderConfig(name: "o", kind: .openai, apiKey: Secret("sk-upstream"))
        let attempt = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "vendor=abc"))
        let inboundWithTrace: HTTPHeaders = ["authorization": "Bearer sk-keel-client", "traceparent": "00-11111111111111111111111111111111-2222222222222222-01"]
        let traced = try ProviderEndpoint(provider: provider, trace: attempt).request(.chat(stream: false), model: "m", body: Array("{}".utf8), inbound: inboundWithTrace, timeouts: HTTPClientTimeouts())
        #expect(traced.headers.values("traceparent") == ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
        #expect(traced.headers.first("tracestate") == "vendor=abc")
        let untraced = try ProviderEndpoint(provider: provider).request(.chat(stream: false), model: "m", body: Array("{}".utf8), inbound: inboundWithTrace, timeouts: HTTPClientTimeouts())
        #expect(untraced.headers.first("traceparent") == nil)
        #expect(untraced.headers.first("tracestate") == nil)
    }

    @Test func azureUsesTheDeploymentURLAndApiKeyHeader() throws {
        let azure = ProviderConfig(name: "a", kind: .azure, baseURL: "https://x.openai.azure.com", apiKey: Secret("az-key"), apiVersion: "2025-01-01-preview")
        let r = try request(azure, model: "my deploy/1")
        #expect(r.url == "https://x.openai.azure.com/openai/deployments/my%20deploy%2F1/chat/completions?api-version=2025-01-01-preview")
        #expect(r.headers.first("api-key") == "az-key")
        #expect(r.headers.first("authorization") == nil)
        #expect(try request(azure, .embeddings).url.contains("/openai/deployments/m/embeddings?api-version="))
    }

    @Test func anthropicGetsVersionAndBetaHeaders() throws {
        let r = try request(ProviderConfig(name: "c", kind: .anthropic, apiKey: Secret("sk-ant")), .chat(stream: true))
        #expect(r.url == "https://api.anthropic.com/v1/messages")
        #expect(r.headers.first("x-api-key") == "sk-ant")
        #expect(r.headers.first("anthropic-version") == "2023-06-01")
        #expect(r.headers.first("anthropic-beta") == "tools-2024")
        #expect(r.headers.first("accept") == "text/event-stream")
        #expect(r.headers.first("authorization") == nil)
    }

    @Test func unsupportedCombinationsAreClearErrors() throws {
        let embeddings = #expect(throws: GatewayError.self) { try request(ProviderConfig(name: "c", kind: .anthropic), .embeddings) }
        #expect(embeddings?.status == 400)
    }
}
