import KeelConfig
import KeelCore
import KeelHTTP
import KeelTestSupport
import Testing

@testable import KeelGateway

@Suite("Gemini embeddings codec")
struct GeminiEmbeddingsCodecTests {
    @Test func encodesOneBatchPerHundredInputs() throws {
        let request = EmbeddingsRequest(model: "embed", inputs: [.text("alpha"), .text("beta")], dimensions: 768)
        let bodies = try GeminiEmbeddingsCodec.encodeRequests(request, upstreamModel: "gemini-embedding-001")
        #expect(bodies == [try json(#"""
        {"requests":[
          {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"alpha"}]},"outputDimensionality":768},
          {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"beta"}]},"outputDimensionality":768}]}
        """#)])

        let many = EmbeddingsRequest(model: "embed", inputs: (0..<250).map { .text("t\($0)") })
        let split = try GeminiEmbeddingsCodec.encodeRequests(many, upstreamModel: "models/text-embedding-004")
        #expect(split.map { $0["requests"]?.arrayValue?.count } == [100, 100, 50])
        #expect(split[2]["requests"]?[49]?["content"]?["parts"]?[0]?["text"]?.stringValue == "t249")
        #expect(split[0]["requests"]?[0]?["model"]?.stringValue == "models/text-embedding-004")
        #expect(split[0]["requests"]?[0]?["outputDimensionality"] == nil)
    }

    @Test func refusesTokenInputs() {
        let error = gatewayError { _ = try GeminiEmbeddingsCodec.encodeRequests(EmbeddingsRequest(model: "e", inputs: [.text("a"), .tokens([1, 2])]), upstreamModel: "m") }
        #expect(error?.status == 400)
        #expect(error?.message.contains("input[1]") == true)
        #expect(gatewayError { _ = try GeminiEmbeddingsCodec.encodeRequests(EmbeddingsRequest(model: "e", inputs: []), upstreamModel: "m") }?.status == 400)
    }

    @Test func joinsAnswersInOrder() throws {
        let request = EmbeddingsRequest(model: "embed", inputs: [.text("a"), .text("b"), .text("c")])
        let first = try json(#"{"embeddings":[{"values":[0.0125,-0.5,0.25]},{"values":[1,0,0]}],"usageMetadata":{"promptTokenCount":4}}"#)
        let second = try json(#"{"embeddings":[{"values":[-0.03,0.2,0.9]}],"usageMetadata":{"promptTokenCount":2}}"#)
        let response = try GeminiEmbeddingsCodec.decodeResponses([first, second], request: request)
        #expect(response.vectors == [[0.0125, -0.5, 0.25], [1, 0, 0], [-0.03, 0.2, 0.9]])
        #expect(response.inputTokens == 6)
        #expect(response.model == nil)
        // Without usage metadata the count is unknown, not zero.
        let plain = try GeminiEmbeddingsCodec.decodeResponses([try json(#"{"embeddings":[{"values":[1]},{"values":[2]},{"values":[3]}]}"#)], request: request)
        #expect(plain.inputTokens == nil)
    }

    @Test func shortenedVectorsAreNormalized() throws {
        let request = EmbeddingsRequest(model: "embed", inputs: [.text("a")], dimensions: 2)
        let response = try GeminiEmbeddingsCodec.decodeResponses([try json(#"{"embeddings":[{"values":[3,4]}]}"#)], request: request)
        #expect(response.vectors == [[0.6, 0.8]])
    }

    @Test func rejectsAnswersThatDoNotFit() throws {
        let request = EmbeddingsRequest(model: "embed", inputs: [.text("a"), .text("b")])
        let short = gatewayError { _ = try GeminiEmbeddingsCodec.decodeResponses([try json(#"{"embeddings":[{"values":[1]}]}"#)], request: request) }
        #expect(short?.status == 502)
        #expect(gatewayError { _ = try GeminiEmbeddingsCodec.decodeResponses([try json(#"{"embeddings":[{"values":["x"]},{"values":[1]}]}"#)], request: request) }?.status == 502)
        #expect(gatewayError { _ = try GeminiEmbeddingsCodec.decodeResponses([try json(#"{"nothing":true}"#)], request: request) }?.status == 502)
        let quota = gatewayError { _ = try GeminiEmbeddingsCodec.decodeResponses([try json(#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#)], request: request) }
        #expect(quota?.status == 429)
    }
}

/// The endpoint and the codec together against the fake Gemini API over HTTP, as the embeddings
/// route will use them.
@Suite("Gemini embeddings over the wire", .serialized)
struct GeminiEmbeddingsWireTests {
    static func embed(_ request: EmbeddingsRequest, provider: ProviderConfig, client: HTTPClient) async throws -> (EmbeddingsResponse?, GatewayError?) {
        let endpoint = ProviderEndpoint(provider: provider)
        var bodies: [JSONValue] = []
        for body in try GeminiEmbeddingsCodec.encodeRequests(request, upstreamModel: "gemini-embedding-001") {
            let upstream = try await client.execute(try endpoint.request(.embeddings, model: "gemini-embedding-001", body: body.serialized(), inbound: [:], timeouts: HTTPClientTimeouts()))
            let bytes = try await upstream.collect(upTo: 1 << 24)
            if upstream.status >= 400 { return (nil, GeminiCodec.decodeError(status: upstream.status, body: bytes, headers: upstream.headers)) }
            bodies.append(try JSONValue(parsing: bytes))
        }
        return (try GeminiEmbeddingsCodec.decodeResponses(bodies, request: request), nil)
    }

    @Test func embedsInBatchesOfAHundred() async throws {
        let fake = try FakeGemini(apiKey: "AIzaSyEmbedKey000000000000000000000000")
        let client = HTTPClient()
        let provider = ProviderConfig(name: "g", kind: .gemini, baseURL: fake.baseURL, apiKey: Secret(fake.apiKey))
        let request = EmbeddingsRequest(model: "embed", inputs: (0..<150).map { .text("text \($0)") }, dimensions: 2)
        let (response, error) = try await Self.embed(request, provider: provider, client: client)
        #expect(error == nil)
        #expect(fake.requests.map(\.path) == Array(repeating: "/v1beta/models/gemini-embedding-001:batchEmbedContents", count: 2))
        #expect(fake.requests.map { $0.body["requests"]?.arrayValue?.count } == [100, 50])
        #expect(fake.requests.allSatisfy { $0.headers.first("x-goog-api-key") == fake.apiKey && $0.query.isEmpty })
        // The fake answers (3k, 4k) for the k-th input of a batch; shortened vectors come back normalized.
        #expect(response?.vectors.count == 150)
        #expect(response?.vectors.allSatisfy { $0 == [0.6, 0.8] } == true)

        let wrongKey = ProviderConfig(name: "g", kind: .gemini, baseURL: fake.baseURL, apiKey: Secret("AIzaSyNotTheKey00000000000000000000000"))
        let (_, rejected) = try await Self.embed(EmbeddingsRequest(model: "embed", inputs: [.text("x")]), provider: wrongKey, client: client)
        #expect(rejected?.status == 502 && rejected?.code == "upstream_authentication_failed")
        client.shutdown()
        await fake.stop()
    }
}
