import KeelCore

/// An embeddings request in Keel's provider-neutral form (decoded from OpenAI's `POST /v1/embeddings`).
public struct EmbeddingsRequest: Sendable, Equatable {
    /// The model name the client asked for (a configured `models[].name`).
    public var model: String
    /// What to embed, one vector per input, in order.
    public var inputs: [EmbeddingsInput]
    /// The number of dimensions the client wants (OpenAI `dimensions`), when the model can shorten.
    public var dimensions: Int?
    /// How the client wants vectors written: JSON floats or base64 of little-endian float32.
    public var encodingFormat: EmbeddingsEncoding
    /// OpenAI `user`.
    public var user: String?

    public init(model: String, inputs: [EmbeddingsInput], dimensions: Int? = nil, encodingFormat: EmbeddingsEncoding = .float, user: String? = nil) {
        self.model = model
        self.inputs = inputs
        self.dimensions = dimensions
        self.encodingFormat = encodingFormat
        self.user = user
    }
}

/// One input of an embeddings request: text, or tokens already encoded by the client.
public enum EmbeddingsInput: Sendable, Equatable {
    case text(String)
    case tokens([Int])
}

/// OpenAI `encoding_format`.
public enum EmbeddingsEncoding: String, Sendable, Equatable {
    case float
    case base64
}

/// An embeddings answer in Keel's provider-neutral form.
public struct EmbeddingsResponse: Sendable, Equatable {
    /// One vector per input, in input order.
    public var vectors: [[Float]]
    /// The model that answered, as the provider named it (nil when it did not say).
    public var model: String?
    /// Input tokens the provider counted (nil when it did not say).
    public var inputTokens: Int?

    public init(vectors: [[Float]], model: String? = nil, inputTokens: Int? = nil) {
        self.vectors = vectors
        self.model = model
        self.inputTokens = inputTokens
    }
}
