import KeelCore
import Testing

@testable import KeelGateway

@Suite("OpenAI embeddings codec")
struct OpenAIEmbeddingsCodecTests {
    // MARK: Requests

    @Test("decodes every input shape")
    func inputShapes() throws {
        let single = try OpenAIEmbeddingsCodec.decodeRequest(json(#"{"model":"emb","input":"hello world"}"#))
        #expect(single == EmbeddingsRequest(model: "emb", inputs: [.text("hello world")]))

        let texts = try OpenAIEmbeddingsCodec.decodeRequest(json(#"{"model":"emb","input":["a","b c"," "]}"#))
        #expect(texts.inputs == [.text("a"), .text("b c"), .text(" ")])

        let tokens = try OpenAIEmbeddingsCodec.decodeRequest(json(#"{"model":"emb","input":[1,2,100257]}"#))
        #expect(tokens.inputs == [.tokens([1, 2, 100257])])

        let tokenLists = try OpenAIEmbeddingsCodec.decodeRequest(json(#"{"model":"emb","input":[[0,5],[7]]}"#))
        #expect(tokenLists.inputs == [.tokens([0, 5]), .tokens([7])])
    }

    @Test("decodes the optional members and ignores unknown ones")
    func optionalMembers() throws {
        let r = try OpenAIEmbeddingsCodec.decodeRequest(json(#"{"model":"emb","input":"x","encoding_format":"base64","dimensions":256,"user":"u-1","extra_body":{"a":1}}"#))
        #expect(r == EmbeddingsRequest(model: "emb", inputs: [.text("x")], dimensions: 256, encodingFormat: .base64, user: "u-1"))
        let defaults = try OpenAIEmbeddingsCodec.decodeRequest(json(#"{"model":"emb","input":"x","encoding_format":null,"dimensions":null,"user":null}"#))
        #expect(defaults.encodingFormat == .float && defaults.dimensions == nil && defaults.user == nil)
        let float = try OpenAIEmbeddingsCodec.decodeRequest(json(#"{"model":"emb","input":"x","encoding_format":"float"}"#))
        #expect(float.encodingFormat == .float)
    }

    @Test("accepts 2048 inputs and refuses 2049")
    func inputLimit() throws {
        let ok = "[" + Array(repeating: #""a""#, count: 2048).joined(separator: ",") + "]"
        #expect(try OpenAIEmbeddingsCodec.decodeRequest(json(#"{"model":"m","input":\#(ok)}"#)).inputs.count == 2048)
        let tooMany = "[" + Array(repeating: "[1]", count: 2049).joined(separator: ",") + "]"
        let e = gatewayError { _ = try OpenAIEmbeddingsCodec.decodeRequest(json(#"{"model":"m","input":\#(tooMany)}"#)) }
        #expect(e?.status == 400 && e?.param == "input" && e?.code == "array_above_max_length")
        #expect(e?.message == "Invalid 'input': array too long. Expected an array with maximum length 2048, but got an array with length 2049 instead.")
    }

    @Test("refuses what OpenAI refuses, naming the parameter", arguments: [
        (#"[1]"#, nil, "invalid_type"),
        (#"{"input":"x"}"#, "model", "missing_required_parameter"),
        (#"{"model":5,"input":"x"}"#, "model", "invalid_type"),
        (#"{"model":"m"}"#, "input", "missing_required_parameter"),
        (#"{"model":"m","input":null}"#, "input", "missing_required_parameter"),
        (#"{"model":"m","input":42}"#, "input", "invalid_type"),
        (#"{"model":"m","input":{"text":"x"}}"#, "input", "invalid_type"),
        (#"{"model":"m","input":""}"#, "input", "empty_string"),
        (#"{"model":"m","input":[]}"#, "input", "empty_array"),
        (#"{"model":"m","input":["a",""]}"#, "input[1]", "empty_string"),
        (#"{"model":"m","input":["a",1]}"#, "input[1]", "invalid_type"),
        (#"{"model":"m","input":[true]}"#, "input[0]", "invalid_type"),
        (#"{"model":"m","input":[1,"a"]}"#, "input[1]", "invalid_type"),
        (#"{"model":"m","input":[1,2.5]}"#, "input[1]", "invalid_type"),
        (#"{"model":"m","input":[1,-3]}"#, "input[1]", "integer_below_min_value"),
        (#"{"model":"m","input":[99999999999999999999]}"#, "input[0]", "integer_above_max_value"),
        (#"{"model":"m","input":[[1],[]]}"#, "input[1]", "empty_array"),
        (#"{"model":"m","input":[[1],"a"]}"#, "input[1]", "invalid_type"),
        (#"{"model":"m","input":[[1,"a"]]}"#, "input[0][1]", "invalid_type"),
        (#"{"model":"m","input":[[-1]]}"#, "input[0][0]", "integer_below_min_value"),
        (#"{"model":"m","input":"x","encoding_format":"binary"}"#, "encoding_format", "invalid_value"),
        (#"{"model":"m","input":"x","encoding_format":1}"#, "encoding_format", "invalid_type"),
        (#"{"model":"m","input":"x","dimensions":0}"#, "dimensions", "integer_below_min_value"),
        (#"{"model":"m","input":"x","dimensions":-5}"#, "dimensions", "integer_below_min_value"),
        (#"{"model":"m","input":"x","dimensions":1.5}"#, "dimensions", "invalid_type"),
        (#"{"model":"m","input":"x","dimensions":"256"}"#, "dimensions", "invalid_type"),
        (#"{"model":"m","input":"x","user":7}"#, "user", "invalid_type"),
    ] as [(String, String?, String)])
    func refusals(body: String, param: String?, code: String) throws {
        let e = gatewayError { _ = try OpenAIEmbeddingsCodec.decodeRequest(json(body)) }
        #expect(e?.status == 400)
        #expect(e?.type == "invalid_request_error")
        #expect(e?.param == param)
        #expect(e?.code == code)
    }

    @Test("error messages read like OpenAI's")
    func messages() {
        func message(_ body: String) -> String? { gatewayError { _ = try OpenAIEmbeddingsCodec.decodeRequest(json(body)) }?.message }
        #expect(message(#"{"model":"m"}"#) == "Missing required parameter: 'input'.")
        #expect(message(#"{"model":"m","input":["a",""]}"#) == "Invalid 'input[1]': empty string. Expected a string with minimum length 1, but got an empty string instead.")
        #expect(message(#"{"model":"m","input":"x","dimensions":0}"#) == "Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got 0 instead.")
        #expect(message(#"{"model":"m","input":"x","encoding_format":"binary"}"#)?.hasPrefix("Invalid value: 'binary'.") == true)
        #expect(message(#"{"model":"m","input":["a",1]}"#) == "Invalid type for 'input[1]': expected a string, but got an integer instead.")
    }

    @Test("encodes upstream requests for OpenAI-compatible servers")
    func encodeRequest() throws {
        let texts = EmbeddingsRequest(model: "client-name", inputs: [.text("a"), .text("b")], dimensions: 64, encodingFormat: .base64, user: "u")
        #expect(try OpenAIEmbeddingsCodec.encodeRequest(texts, upstreamModel: "text-embedding-3-small")
            == json(#"{"model":"text-embedding-3-small","input":["a","b"],"encoding_format":"base64","dimensions":64,"user":"u"}"#))
        let tokens = EmbeddingsRequest(model: "m", inputs: [.tokens([1, 2]), .tokens([3])])
        #expect(try OpenAIEmbeddingsCodec.encodeRequest(tokens, upstreamModel: "up") == json(#"{"model":"up","input":[[1,2],[3]]}"#))
        let mixed = EmbeddingsRequest(model: "m", inputs: [.text("a"), .tokens([3])])
        #expect(gatewayError { _ = try OpenAIEmbeddingsCodec.encodeRequest(mixed, upstreamModel: "up") }?.status == 400)
    }

    // MARK: Vectors

    @Test("base64 is little-endian float32, byte for byte as OpenAI and Python's struct.pack('<3f', …) write it")
    func base64KnownVectors() throws {
        // base64.b64encode(struct.pack('<3f', 1.0, -2.5, 0.1))
        #expect(OpenAIEmbeddingsCodec.base64([1.0, -2.5, 0.1]) == "AACAPwAAIMDNzMw9")
        // base64.b64encode(struct.pack('<4f', 0.0, -0.0, 1e-45, 3.4028234663852886e38)): signed zero, subnormal, max.
        let edges: [Float] = [0, -0.0, Float(bitPattern: 1), .greatestFiniteMagnitude]
        #expect(OpenAIEmbeddingsCodec.base64(edges) == "AAAAAAAAAIABAAAA//9/fw==")
        let decoded = try #require(OpenAIEmbeddingsCodec.floats(base64: "AAAAAAAAAIABAAAA//9/fw=="))
        #expect(decoded.map(\.bitPattern) == edges.map(\.bitPattern))
        #expect(OpenAIEmbeddingsCodec.floats(base64: "AACAPwAAIMDNzMw9") == [1.0, -2.5, 0.1])
        #expect(OpenAIEmbeddingsCodec.base64([]) == "")
        // Not base64, or not a whole number of floats.
        #expect(OpenAIEmbeddingsCodec.floats(base64: "not base64!") == nil)
        #expect(OpenAIEmbeddingsCodec.floats(base64: "AACA") == nil)
    }

    @Test("numbers are converted from their text straight to Float, never rounded twice through Double")
    func noDoubleRounding() throws {
        // Just above the midpoint between 1 and the next float: correctly rounded it is 1 + 2^-23,
        // but through Double it becomes the midpoint exactly and rounds (to even) down to 1.
        let text = "1.0000000596046447755"
        #expect(Float(Double(text)!) == 1)
        let vector = try #require(OpenAIEmbeddingsCodec.floats([.number(JSONNumber(text: text)!)]))
        #expect(vector[0].bitPattern == 0x3F80_0001)
        // base64.b64encode(struct.pack('<f', 1 + 2**-23))
        #expect(OpenAIEmbeddingsCodec.base64(vector) == "AQCAPw==")
    }

    @Test("float arrays in an upstream answer are converted to base64, everything else kept")
    func convertFloatAnswer() throws {
        let upstream = try json(#"""
        {"object":"list","data":[{"object":"embedding","index":0,"embedding":[1.0,-2.5,0.1]},
          {"object":"embedding","index":1,"embedding":[1.0000000596046447755]}],"model":"nomic-embed-text","usage":{"prompt_tokens":3,"total_tokens":3},"x":1}
        """#)
        let converted = try #require(try OpenAIEmbeddingsCodec.convertingFloatVectorsToBase64(upstream))
        #expect(try converted == json(#"""
        {"object":"list","data":[{"object":"embedding","index":0,"embedding":"AACAPwAAIMDNzMw9"},
          {"object":"embedding","index":1,"embedding":"AQCAPw=="}],"model":"nomic-embed-text","usage":{"prompt_tokens":3,"total_tokens":3},"x":1}
        """#))
        // Already base64: nothing to do.
        #expect(try OpenAIEmbeddingsCodec.convertingFloatVectorsToBase64(converted) == nil)
        let broken = gatewayError { _ = try OpenAIEmbeddingsCodec.convertingFloatVectorsToBase64(json(#"{"data":[{"embedding":[1,"x"]}]}"#)) }
        #expect(broken?.status == 502)
        #expect(gatewayError { _ = try OpenAIEmbeddingsCodec.convertingFloatVectorsToBase64(json(#"{"object":"list"}"#)) }?.status == 502)
    }

    // MARK: Responses

    @Test("encodes OpenAI's answer with the client's model name, as floats or base64")
    func encodeResponse() throws {
        let response = EmbeddingsResponse(vectors: [[1, -2.5, 0.1], [0.25]], model: "amazon.titan-embed-text-v2:0", inputTokens: 9)
        let floats = OpenAIEmbeddingsCodec.encodeResponse(response, model: "my-embedder", encoding: .float)
        #expect(floats.serializedString() == #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1.0,-2.5,0.1]},{"object":"embedding","index":1,"embedding":[0.25]}],"model":"my-embedder","usage":{"prompt_tokens":9,"total_tokens":9}}"#)
        let base64 = OpenAIEmbeddingsCodec.encodeResponse(response, model: "my-embedder", encoding: .base64)
        #expect(base64["data"]?[0]?["embedding"]?.stringValue == "AACAPwAAIMDNzMw9")
        #expect(base64["data"]?[1]?["index"]?.intValue == 1)
        let noUsage = OpenAIEmbeddingsCodec.encodeResponse(EmbeddingsResponse(vectors: [[1]]), model: "m", encoding: .float)
        #expect(try noUsage["usage"] == json(#"{"prompt_tokens":0,"total_tokens":0}"#))
        // Written floats read back to the same bits.
        let odd: [Float] = [0.1, 1e-5, -3.4028235e38, Float(bitPattern: 0x3F80_0001)]
        let written = OpenAIEmbeddingsCodec.encodeResponse(EmbeddingsResponse(vectors: [odd]), model: "m", encoding: .float)
        let reread = try OpenAIEmbeddingsCodec.decodeResponse(JSONValue(parsing: written.serialized()))
        #expect(reread.vectors[0].map(\.bitPattern) == odd.map(\.bitPattern))
    }

    @Test("decodes upstream answers in index order, floats or base64")
    func decodeResponse() throws {
        let r = try OpenAIEmbeddingsCodec.decodeResponse(json(#"""
        {"object":"list","data":[{"object":"embedding","index":1,"embedding":"AACAPwAAIMDNzMw9"},{"object":"embedding","index":0,"embedding":[0.5,-1]}],
         "model":"text-embedding-3-small","usage":{"prompt_tokens":5,"total_tokens":5}}
        """#))
        #expect(r == EmbeddingsResponse(vectors: [[0.5, -1], [1, -2.5, 0.1]], model: "text-embedding-3-small", inputTokens: 5))
        #expect(gatewayError { _ = try OpenAIEmbeddingsCodec.decodeResponse(json(#"{"object":"list"}"#)) }?.code == "upstream_invalid_response")
        #expect(gatewayError { _ = try OpenAIEmbeddingsCodec.decodeResponse(json(#"{"data":[{"embedding":"@@"}]}"#)) }?.status == 502)
        let error = gatewayError { _ = try OpenAIEmbeddingsCodec.decodeResponse(json(#"{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}"#)) }
        #expect(error?.status == 429)
    }

    @Test("the dispatch refuses providers without embeddings and reaches every other format's codec")
    func dispatch() throws {
        let request = EmbeddingsRequest(model: "m", inputs: [.text("a")])
        let anthropic = gatewayError { _ = try EmbeddingsCodecs.encodeRequests(.anthropic, request, upstreamModel: "x") }
        #expect(anthropic?.status == 400 && anthropic?.code == "unsupported_operation")
        #expect(try EmbeddingsCodecs.encodeRequests(.gemini, request, upstreamModel: "x") == GeminiEmbeddingsCodec.encodeRequests(request, upstreamModel: "x"))
        #expect(try EmbeddingsCodecs.encodeRequests(.bedrockConverse, request, upstreamModel: "amazon.titan-embed-text-v2:0") == BedrockEmbeddingsCodec.encodeRequests(request, upstreamModel: "amazon.titan-embed-text-v2:0"))
        #expect(try EmbeddingsCodecs.encodeRequests(.openAI, request, upstreamModel: "x") == [json(#"{"model":"x","input":["a"]}"#)])
        let combined = try EmbeddingsCodecs.decodeResponses(.openAI, [
            json(#"{"data":[{"index":0,"embedding":[1]}],"usage":{"prompt_tokens":2}}"#),
            json(#"{"data":[{"index":0,"embedding":[2]}],"usage":{"prompt_tokens":3}}"#),
        ], request: request)
        #expect(combined == EmbeddingsResponse(vectors: [[1], [2]], inputTokens: 5))
    }
}
