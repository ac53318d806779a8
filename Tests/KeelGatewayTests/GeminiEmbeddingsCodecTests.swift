import KeelCore
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
