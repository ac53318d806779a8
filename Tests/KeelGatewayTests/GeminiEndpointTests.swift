import KeelConfig
import KeelCore
import KeelGateway
import KeelHTTP
import Testing

@Suite("ProviderEndpoint: Gemini")
struct GeminiEndpointTests {
    let inbound: HTTPHeaders = ["authorization": "Bearer sk-keel-client", "x-api-key": "sk-keel-client", "anthropic-version": "2023-06-01"]
    let provider = ProviderConfig(name: "g", kind: .gemini, apiKey: Secret("AIzaSyUpstreamKey0123456789"), headers: ["x-goog-user-project": "proj-1"])

    func request(_ provider: ProviderConfig, _ op: UpstreamOperation = .chat(stream: false), model: String = "gemini-2.5-flash") throws -> HTTPClientRequest {
        try ProviderEndpoint(provider: provider).request(op, model: model, body: Array("{}".utf8), inbound: inbound, timeouts: HTTPClientTimeouts())
    }

    @Test func generateContentWithTheKeyInAHeaderOnly() throws {
        let r = try request(provider)
        #expect(r.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(r.headers.first("x-goog-api-key") == "AIzaSyUpstreamKey0123456789")
        #expect(r.headers.first("x-goog-user-project") == "proj-1")
        #expect(r.headers.first("accept") == "application/json")
        #expect(r.headers.first("content-type") == "application/json")
        // Neither the client's credentials nor anything Anthropic-specific go upstream; the key is not in the URL.
        #expect(r.headers.first("authorization") == nil && r.headers.first("x-api-key") == nil && r.headers.first("anthropic-version") == nil)
        #expect(!r.url.contains("key="))
        #expect(ProviderEndpoint(provider: provider).chatFormat == .gemini)
    }

    @Test func streamsAndEmbeddingsUseTheirMethods() throws {
        let stream = try request(provider, .chat(stream: true))
        #expect(stream.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        #expect(stream.headers.first("accept") == "text/event-stream")
        let embed = try request(provider, .embeddings, model: "models/gemini-embedding-001")
        #expect(embed.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents")
    }

    @Test func modelNamesArePercentEncodedAsOneSegment() throws {
        #expect(try request(provider, model: "my model/../x?y").url == "https://generativelanguage.googleapis.com/v1beta/models/my%20model%2F..%2Fx%3Fy:generateContent")
        #expect(try request(provider, model: "tunedModels/my-tuned-1").url == "https://generativelanguage.googleapis.com/v1beta/tunedModels/my-tuned-1:generateContent")
    }

    @Test func aBaseURLWithAVersionIsKept() throws {
        let proxy = ProviderConfig(name: "g", kind: .gemini, baseURL: "https://proxy.internal/google/v1alpha/", apiKey: Secret("k"))
        #expect(try request(proxy).url == "https://proxy.internal/google/v1alpha/models/gemini-2.5-flash:generateContent")
        let plain = ProviderConfig(name: "g", kind: .gemini, baseURL: "http://127.0.0.1:9999")
        let r = try request(plain)
        #expect(r.url == "http://127.0.0.1:9999/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(r.headers.first("x-goog-api-key") == nil)
    }
}
