import Foundation
import KeelCore
import KeelHTTP

/// OpenAI's embeddings API on the fake provider: `POST /v1/embeddings` (OpenAI-compatible, under
/// `openAIBaseURL`) and `POST /openai/deployments/{deployment}/embeddings` (Azure, under
/// `anthropicBaseURL`, which is the server's root).
///
/// Vectors are deterministic: ``embedding(for:dimensions:)`` derives each from the input's text
/// (or token ids), ``defaultEmbeddingDimensions`` long unless the request sets `dimensions`.
/// Like OpenAI, the fake answers base64 (little-endian float32) when `encoding_format` is
/// `base64`; a provider configured to send the header ``ignoreEncodingFormatHeader`` gets float
/// arrays whatever it asked for, as from Ollama and other servers that ignore `encoding_format`.
/// Float components are written as OpenAI writes them: the float32 value in a double's
/// shortest spelling (`-0.4204697608947754`). `usage.prompt_tokens` counts one token per word
/// of text and per token id. Received requests are recorded like the chat routes'; for the Azure
/// route the recorded `path` includes the query string.
extension FakeProvider {
    /// A request header that makes the fake answer float arrays even when base64 was asked for.
    public static let ignoreEncodingFormatHeader = "x-fake-ignore-encoding-format"
    /// The length of the fake's vectors when a request does not set `dimensions`.
    public static let defaultEmbeddingDimensions = 8

    /// The vector the fake answers for a text input.
    public static func embedding(for text: String, dimensions: Int = defaultEmbeddingDimensions) -> [Float] {
        var vector: [Float] = []
        vector.reserveCapacity(dimensions)
        var block = 0
        while vector.count < dimensions {
            let digest = Digest.sha256("\(text)#\(block)")
            for i in stride(from: 0, to: digest.count, by: 4) where vector.count < dimensions {
                let bits = UInt32(digest[i]) | UInt32(digest[i + 1]) << 8 | UInt32(digest[i + 2]) << 16 | UInt32(digest[i + 3]) << 24
                vector.append(Float(Int32(bitPattern: bits)) / 2_147_483_648)
            }
            block += 1
        }
        return vector
    }

    /// The vector the fake answers for an input given as token ids.
    public static func embedding(forTokens tokens: [Int], dimensions: Int = defaultEmbeddingDimensions) -> [Float] {
        embedding(for: "tokens:" + tokens.map(String.init).joined(separator: ","), dimensions: dimensions)
    }

    /// Adds the embeddings routes to the fake's router.
    static func registerEmbeddings(in router: inout Router, received: Locked<[Received]>, failure: Locked<Failure?>, counters: Locked<[String: Int]>) {
        router.post("/v1/embeddings") { request, _ in
            // The faults of `FakeProvider+Faults.swift` apply to embeddings models too.
            if let body = try? JSONValue(parsing: request.body), let fault = await injectFault(body, anthropic: false, counters: counters) {
                received.withLock { $0.append(Received(path: request.path, headers: request.headers, body: body)) }
                return fault
            }
            return try embeddingsAnswer(request, recordedPath: request.path, received: received, failure: failure)
        }
        router.post("/openai/deployments/{deployment}/embeddings") { request, context in
            let query = request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
            let path = query.isEmpty ? request.path : "\(request.path)?\(query)"
            return try embeddingsAnswer(request, recordedPath: path, received: received, failure: failure, deployment: context.parameters["deployment"])
        }
    }

    static func embeddingsAnswer(_ request: Request, recordedPath: String, received: Locked<[Received]>, failure: Locked<Failure?>, deployment: String? = nil) throws -> Response {
        let body = try JSONValue(parsing: request.body)
        received.withLock { $0.append(Received(path: recordedPath, headers: request.headers, body: body)) }
        if let f = failure.value {
            // A cut-off body stands in for a truncated stream.
            return fail(f, anthropic: false) ?? .json(#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,"#)
        }
        let dimensions = body["dimensions"]?.intValue ?? defaultEmbeddingDimensions
        let ignoresFormat = request.headers.first(ignoreEncodingFormatHeader) != nil
        let base64 = body["encoding_format"]?.stringValue == "base64" && !ignoresFormat
        var vectors: [[Float]] = []
        var tokens = 0
        switch body["input"] {
        case .string(let text)?:
            vectors.append(embedding(for: text, dimensions: dimensions))
            tokens += wordCount(text)
        case .array(let items)? where items.first?.numberValue != nil:
            let ids = items.compactMap(\.intValue)
            vectors.append(embedding(forTokens: ids, dimensions: dimensions))
            tokens += ids.count
        case .array(let items)?:
            for item in items {
                if let text = item.stringValue {
                    vectors.append(embedding(for: text, dimensions: dimensions))
                    tokens += wordCount(text)
                } else {
                    let ids = (item.arrayValue ?? []).compactMap(\.intValue)
                    vectors.append(embedding(forTokens: ids, dimensions: dimensions))
                    tokens += ids.count
                }
            }
        default:
            return .json(#"{"error":{"message":"'input' is required","type":"invalid_request_error","param":"input","code":null}}"#, status: 400)
        }
        let data: [JSONValue] = vectors.enumerated().map { index, vector in
            let embedding: JSONValue = base64
                ? .string(base64Encoded(vector))
                : .array(vector.map { .number(JSONNumber(text: Double($0).description)!) })
            return ["object": "embedding", "index": JSONValue(index), "embedding": embedding]
        }
        let answer: JSONValue = [
            "object": "list", "data": .array(data), "model": .string(body["model"]?.stringValue ?? deployment ?? "unknown"),
            "usage": ["prompt_tokens": JSONValue(tokens), "total_tokens": JSONValue(tokens)],
        ]
        return .json(bytes: answer.serialized())
    }

    /// `vector` as OpenAI's base64: little-endian float32 bytes.
    public static func base64Encoded(_ vector: [Float]) -> String {
        var bytes: [UInt8] = []
        for value in vector {
            let bits = value.bitPattern
            bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
        }
        return Data(bytes).base64EncodedString()
    }

    static func wordCount(_ text: String) -> Int {
        max(1, text.split(whereSeparator: \.isWhitespace).count)
    }
}
