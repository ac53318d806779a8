import KeelCore

/// Embeddings through the Gemini API's `batchEmbedContents`
/// (`POST {base_url}/v1beta/models/{model}:batchEmbedContents`).
///
/// - Each input becomes one `EmbedContentRequest` `{model: "models/NAME", content: {parts: [{text}]},
///   outputDimensionality}`; at most ``maxBatchSize`` go in one body, so a larger request is sent as
///   several bodies, whose answers are joined in order.
/// - `dimensions` becomes `outputDimensionality`. Gemini only normalizes full-size vectors; OpenAI
///   clients expect unit vectors, so shortened ones are scaled to length 1 here.
/// - Token inputs (arrays of token ids) cannot be sent to Gemini and are a 400; `user` is dropped.
/// - `usageMetadata.promptTokenCount`, when Gemini reports it, is the input token count.
public enum GeminiEmbeddingsCodec {
    /// The most `requests` Gemini accepts in one `batchEmbedContents` call: 100.
    public static let maxBatchSize = 100

    /// The `batchEmbedContents` bodies for `request`, in order, each with at most ``maxBatchSize`` inputs.
    ///
    /// - Throws: a 400 when an input is a token array or there is no input.
    public static func encodeRequests(_ request: EmbeddingsRequest, upstreamModel: String) throws(GatewayError) -> [JSONValue] {
        guard !request.inputs.isEmpty else {
            throw GatewayError.invalid("'input' must not be empty.", param: "input", code: "invalid_value")
        }
        let model = JSONValue.string(GeminiCodec.resourceName(upstreamModel))
        var texts: [String] = []
        texts.reserveCapacity(request.inputs.count)
        for (i, input) in request.inputs.enumerated() {
            switch input {
            case .text(let text):
                texts.append(text)
            case .tokens:
                throw GatewayError.invalid(
                    "input[\(i)]: Gemini embedding models take text; token arrays cannot be sent to this model's provider.",
                    param: "input", code: "unsupported_value")
            }
        }
        var bodies: [JSONValue] = []
        var start = 0
        while start < texts.count {
            let end = min(start + maxBatchSize, texts.count)
            let requests: [JSONValue] = texts[start..<end].map { text in
                var one: JSONObject = ["model": model, "content": ["parts": [["text": .string(text)]]]]
                if let dimensions = request.dimensions { one["outputDimensionality"] = JSONValue(dimensions) }
                return .object(one)
            }
            bodies.append(["requests": .array(requests)])
            start = end
        }
        return bodies
    }

    /// Joins the answers to the bodies ``encodeRequests(_:upstreamModel:)`` made for `request`.
    ///
    /// - Throws: the upstream's error for an `{"error": …}` body; a 502 when an answer is not a list
    ///   of embeddings or the number of vectors does not match the inputs.
    public static func decodeResponses(_ bodies: [JSONValue], request: EmbeddingsRequest) throws(GatewayError) -> EmbeddingsResponse {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(request.inputs.count)
        var tokens: Int?
        for body in bodies {
            if let error = body["error"], !error.isNull {
                throw GeminiCodec.mapError(status: 0, details: GeminiCodec.ErrorDetails(error))
            }
            guard let embeddings = body["embeddings"]?.arrayValue else {
                throw GeminiCodec.protocolError("an embeddings answer has no embeddings list")
            }
            for embedding in embeddings {
                guard let values = embedding["values"]?.arrayValue else {
                    throw GeminiCodec.protocolError("an embedding has no values")
                }
                var vector: [Float] = []
                vector.reserveCapacity(values.count)
                for value in values {
                    guard let number = value.doubleValue else { throw GeminiCodec.protocolError("an embedding value is not a number") }
                    vector.append(Float(number))
                }
                vectors.append(request.dimensions == nil ? vector : normalized(vector))
            }
            if let count = body["usageMetadata"]?["promptTokenCount"]?.intValue {
                tokens = (tokens ?? 0) + count
            }
        }
        guard vectors.count == request.inputs.count else {
            throw GeminiCodec.protocolError("\(vectors.count) embeddings came back for \(request.inputs.count) inputs")
        }
        return EmbeddingsResponse(vectors: vectors, model: nil, inputTokens: tokens)
    }

    /// `vector` scaled to length 1 (unchanged when it is all zeros).
    static func normalized(_ vector: [Float]) -> [Float] {
        var sum: Double = 0
        for v in vector { sum += Double(v) * Double(v) }
        guard sum > 0 else { return vector }
        let scale = 1 / sum.squareRoot()
        return vector.map { Float(Double($0) * scale) }
    }
}

extension GeminiCodec {
    /// The API resource name of a model: `models/NAME`, or the name as configured when it already
    /// is one (`models/…`, `tunedModels/…`).
    public static func resourceName(_ model: String) -> String {
        model.hasPrefix("models/") || model.hasPrefix("tunedModels/") ? model : "models/" + model
    }
}
