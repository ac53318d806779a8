import KeelCore

/// Embeddings through Bedrock's InvokeModel (`POST /model/{modelId}/invoke`), whose body is each
/// model family's own format.
///
/// | upstream model | calls | request body | vectors from |
/// |---|---|---|---|
/// | `amazon.titan-embed-text-v2:0` | one per input | `{"inputText", "normalize": true, "dimensions"?}` (256, 512 or 1024) | `embedding`, tokens from `inputTextTokenCount` |
/// | `amazon.titan-embed-text-v1`, `amazon.titan-embed-g1-text-02` | one per input | `{"inputText"}` (no `dimensions`) | `embedding`, `inputTextTokenCount` |
/// | `cohere.embed-*` (English, multilingual v3, v4) | one per 96 inputs | `{"texts", "input_type": "search_document"}` (+ `output_dimension` and `embedding_types: ["float"]` for v4) | `embeddings` (a list, or `embeddings.float`) |
///
/// Model ids may carry an inference-profile prefix (`us.cohere.embed-v4:0`) or be ARNs; the family
/// is recognised inside them. Token inputs (OpenAI's arrays of token ids), other models (image or
/// multimodal embedders), and `dimensions` a model cannot produce are 400s. OpenAI's `user` is not
/// sent. Cohere reports no token counts in the body, so ``EmbeddingsResponse/inputTokens`` is then nil.
public enum BedrockEmbeddingsCodec {
    /// The most texts Cohere embed models accept per call.
    public static let cohereBatchSize = 96
    /// The `dimensions` Titan Text Embeddings v2 can produce.
    public static let titanV2Dimensions: Set<Int> = [256, 512, 1024]
    /// The `output_dimension`s Cohere Embed v4 can produce.
    public static let cohereV4Dimensions: Set<Int> = [256, 512, 1024, 1536]

    enum Family {
        case titanV2, titanV1, cohere(v4: Bool)
    }

    static func family(_ model: String) -> Family? {
        let id = model.lowercased()
        if id.contains("amazon.titan-embed-text-v2") { return .titanV2 }
        if id.contains("amazon.titan-embed-text-v1") || id.contains("amazon.titan-embed-g1-text") { return .titanV1 }
        if id.contains("cohere.embed-") { return .cohere(v4: id.contains("cohere.embed-v4")) }
        return nil
    }

    /// The InvokeModel bodies for `request`, one per upstream call, in input order.
    ///
    /// - Throws: a 400 for token inputs, models Keel cannot embed with, and unsupported `dimensions`.
    public static func encodeRequests(_ request: EmbeddingsRequest, upstreamModel: String) throws(GatewayError) -> [JSONValue] {
        guard let family = family(upstreamModel) else {
            throw GatewayError.invalid(
                "model: the Bedrock model '\(upstreamModel)' is not a supported embeddings model (supported: amazon.titan-embed-text-v2, amazon.titan-embed-text-v1, cohere.embed-*).",
                param: "model", code: "unsupported_model")
        }
        var texts: [String] = []
        texts.reserveCapacity(request.inputs.count)
        for (i, input) in request.inputs.enumerated() {
            guard case .text(let text) = input else {
                throw GatewayError.invalid("input[\(i)]: Bedrock embeddings models take text, not token ids.", param: "input", code: "unsupported_input")
            }
            texts.append(text)
        }
        guard !texts.isEmpty else {
            throw GatewayError.invalid("input: at least one input is required.", param: "input")
        }
        switch family {
        case .titanV2:
            if let d = request.dimensions, !titanV2Dimensions.contains(d) {
                throw GatewayError.invalid("dimensions: \(upstreamModel) produces 256, 512 or 1024 dimensions, not \(d).", param: "dimensions", code: "unsupported_parameter")
            }
            return texts.map { text in
                var body: JSONObject = ["inputText": .string(text), "normalize": true]
                if let d = request.dimensions { body["dimensions"] = JSONValue(d) }
                return .object(body)
            }
        case .titanV1:
            if let d = request.dimensions, d != 1536 {
                throw GatewayError.invalid("dimensions: \(upstreamModel) always produces 1536 dimensions.", param: "dimensions", code: "unsupported_parameter")
            }
            return texts.map { ["inputText": .string($0)] }
        case .cohere(let v4):
            if let d = request.dimensions {
                if v4 {
                    guard cohereV4Dimensions.contains(d) else {
                        throw GatewayError.invalid("dimensions: \(upstreamModel) produces 256, 512, 1024 or 1536 dimensions, not \(d).", param: "dimensions", code: "unsupported_parameter")
                    }
                } else {
                    throw GatewayError.invalid("dimensions: \(upstreamModel) cannot shorten its vectors; leave dimensions out.", param: "dimensions", code: "unsupported_parameter")
                }
            }
            return stride(from: 0, to: texts.count, by: cohereBatchSize).map { start in
                let batch = texts[start..<min(start + cohereBatchSize, texts.count)]
                var body: JSONObject = ["texts": .array(batch.map { .string($0) }), "input_type": "search_document"]
                if v4 {
                    body["embedding_types"] = ["float"]
                    if let d = request.dimensions { body["output_dimension"] = JSONValue(d) }
                }
                return .object(body)
            }
        }
    }

    /// The vectors of the InvokeModel answers `bodies` (in the order of ``encodeRequests(_:upstreamModel:)``),
    /// one per input of `request`, with input tokens summed from `inputTextTokenCount` when present.
    ///
    /// - Throws: a 502 when an answer has no vector or the number of vectors differs from the inputs.
    public static func decodeResponses(_ bodies: [JSONValue], request: EmbeddingsRequest) throws(GatewayError) -> EmbeddingsResponse {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(request.inputs.count)
        var tokens: Int?
        for body in bodies {
            if let embedding = body["embedding"] {
                vectors.append(try vector(embedding))
                if let count = body["inputTextTokenCount"]?.intValue { tokens = (tokens ?? 0) + count }
            } else if let embeddings = body["embeddings"] {
                let list = embeddings.arrayValue ?? embeddings["float"]?.arrayValue
                guard let list else { throw invalidResponse("embeddings is neither a list nor has float vectors") }
                for item in list { vectors.append(try vector(item)) }
            } else {
                throw invalidResponse("an answer has no embedding")
            }
        }
        guard vectors.count == request.inputs.count else {
            throw invalidResponse("\(vectors.count) vectors came back for \(request.inputs.count) inputs")
        }
        return EmbeddingsResponse(vectors: vectors, model: nil, inputTokens: tokens)
    }

    static func vector(_ value: JSONValue) throws(GatewayError) -> [Float] {
        guard let items = value.arrayValue else { throw invalidResponse("a vector is not a list of numbers") }
        var out: [Float] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let number = item.doubleValue else { throw invalidResponse("a vector holds something other than numbers") }
            out.append(Float(number))
        }
        return out
    }

    static func invalidResponse(_ detail: String) -> GatewayError {
        GatewayError(.upstreamProtocol, status: 502, message: "The Bedrock upstream sent an invalid embeddings response: \(detail).", type: "upstream_error", code: "upstream_invalid_response")
    }
}
