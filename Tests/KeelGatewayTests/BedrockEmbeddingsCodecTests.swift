import KeelCore
import KeelGateway
import Testing

@Suite("Bedrock embeddings codec")
struct BedrockEmbeddingsCodecTests {
    @Test func titanV2TakesOneTextPerCall() throws {
        let request = EmbeddingsRequest(model: "embed", inputs: [.text("first text"), .text("second")], dimensions: 512)
        let bodies = try BedrockEmbeddingsCodec.encodeRequests(request, upstreamModel: "amazon.titan-embed-text-v2:0")
        #expect(bodies == [
            ["inputText": "first text", "normalize": true, "dimensions": 512],
            ["inputText": "second", "normalize": true, "dimensions": 512],
        ])
        let answers: [JSONValue] = try [
            json(#"{"embedding":[0.0123,-0.5,0.25],"embeddingsByType":{"float":[0.0123,-0.5,0.25]},"inputTextTokenCount":3}"#),
            json(#"{"embedding":[1,0,-1],"inputTextTokenCount":2}"#),
        ]
        let response = try BedrockEmbeddingsCodec.decodeResponses(answers, request: request)
        #expect(response.vectors == [[0.0123, -0.5, 0.25], [1, 0, -1]])
        #expect(response.inputTokens == 5)
        #expect(response.model == nil)

        let unsupported = #expect(throws: GatewayError.self) {
            try BedrockEmbeddingsCodec.encodeRequests(EmbeddingsRequest(model: "e", inputs: [.text("x")], dimensions: 300), upstreamModel: "amazon.titan-embed-text-v2:0")
        }
        #expect(unsupported?.param == "dimensions")
        #expect(try BedrockEmbeddingsCodec.encodeRequests(EmbeddingsRequest(model: "e", inputs: [.text("x")]), upstreamModel: "amazon.titan-embed-text-v1") == [["inputText": "x"]])
    }

    @Test func cohereTakesBatchesOf96() throws {
        let texts = (0..<100).map { "text \($0)" }
        let request = EmbeddingsRequest(model: "embed", inputs: texts.map { .text($0) })
        let bodies = try BedrockEmbeddingsCodec.encodeRequests(request, upstreamModel: "cohere.embed-english-v3")
        #expect(bodies.count == 2)
        #expect(bodies[0]["texts"]?.arrayValue?.count == 96)
        #expect(bodies[1]["texts"] == ["text 96", "text 97", "text 98", "text 99"])
        #expect(bodies[0]["input_type"] == "search_document")
        #expect(bodies[0]["embedding_types"] == nil)

        func answer(_ range: Range<Int>) -> JSONValue {
            ["embeddings": .array(range.map { [JSONValue($0), 0.5] }), "id": "e1", "response_type": "embeddings_floats", "texts": []]
        }
        let response = try BedrockEmbeddingsCodec.decodeResponses([answer(0..<96), answer(96..<100)], request: request)
        #expect(response.vectors.count == 100)
        #expect(response.vectors[97] == [97, 0.5])
        #expect(response.inputTokens == nil)

        // v4 with a shortened vector and typed embeddings.
        let v4 = EmbeddingsRequest(model: "embed", inputs: [.text("a")], dimensions: 256)
        let v4Body = try BedrockEmbeddingsCodec.encodeRequests(v4, upstreamModel: "us.cohere.embed-v4:0")
        #expect(v4Body == [["texts": ["a"], "input_type": "search_document", "embedding_types": ["float"], "output_dimension": 256]])
        let typed = try BedrockEmbeddingsCodec.decodeResponses([json(#"{"embeddings":{"float":[[0.1,0.2]]},"id":"x","response_type":"embeddings_by_type"}"#)], request: v4)
        #expect(typed.vectors == [[0.1, 0.2]])
        #expect(throws: GatewayError.self) {
            try BedrockEmbeddingsCodec.encodeRequests(v4, upstreamModel: "cohere.embed-multilingual-v3")
        }
    }

    @Test func whatCannotBeEmbeddedIsRefused() throws {
        let tokens = #expect(throws: GatewayError.self) {
            try BedrockEmbeddingsCodec.encodeRequests(EmbeddingsRequest(model: "e", inputs: [.text("a"), .tokens([1, 2, 3])]), upstreamModel: "amazon.titan-embed-text-v2:0")
        }
        #expect(tokens?.status == 400)
        #expect(tokens?.message.hasPrefix("input[1]") == true)
        let model = #expect(throws: GatewayError.self) {
            try BedrockEmbeddingsCodec.encodeRequests(EmbeddingsRequest(model: "e", inputs: [.text("a")]), upstreamModel: "amazon.titan-embed-image-v1")
        }
        #expect(model?.status == 400)
    }

    @Test func answersThatDoNotMatchTheInputsAre502s() throws {
        let request = EmbeddingsRequest(model: "e", inputs: [.text("a"), .text("b")])
        let short = #expect(throws: GatewayError.self) {
            try BedrockEmbeddingsCodec.decodeResponses([json(#"{"embedding":[1,2]}"#)], request: request)
        }
        #expect(short?.status == 502)
        #expect(throws: GatewayError.self) {
            try BedrockEmbeddingsCodec.decodeResponses([json(#"{"embedding":[1,"x"]}"#), json(#"{"embedding":[1]}"#)], request: request)
        }
    }
}
