import Foundation
import KeelCore

/// OpenAI Embeddings (`POST /v1/embeddings`), both as the inbound API Keel serves and as the wire
/// format of OpenAI-compatible upstreams.
///
/// - ``decodeRequest(_:)`` reads a client's request into an ``EmbeddingsRequest``;
/// - ``encodeRequest(_:upstreamModel:)`` writes an upstream request body;
/// - ``decodeResponse(_:)`` reads an upstream answer; ``encodeResponse(_:model:encoding:)`` writes one;
/// - ``base64(_:)`` and ``floats(base64:)`` convert a vector to and from OpenAI's base64 form.
///
/// Decisions worth knowing:
/// - `input` is a string, an array of strings, an array of token ids (one input) or an array of
///   token-id arrays; empty strings and empty arrays are refused, as OpenAI refuses them, and so
///   are more than ``maxInputs`` inputs.
/// - `encoding_format: "base64"` is the little-endian bytes of each component as an IEEE-754
///   float32, base64-encoded with padding: what OpenAI sends, and what its SDKs decode with
///   `numpy.frombuffer(…, dtype="float32")` or a `Float32Array`. The official Python SDK asks for
///   base64 whenever the caller did not choose a format.
/// - Numbers read from an upstream are converted from their JSON text straight to `Float`
///   (`Float(String)`, correctly rounded), never through `Double`, so no value is rounded twice.
/// - Float vectors are written with `Float`'s shortest round-trip spelling (`0.1`, not
///   `0.10000000149011612`); read back as float32 they are the same bits.
public enum OpenAIEmbeddingsCodec {
    /// The most inputs one request may carry (OpenAI's limit).
    public static let maxInputs = 2048

    /// Members of a request Keel reads; others are forwarded untouched to OpenAI-compatible
    /// upstreams and ignored otherwise.
    static let knownRequestMembers: Set<String> = ["model", "input", "encoding_format", "dimensions", "user"]

    // MARK: Requests

    /// Decodes a client's embeddings request body.
    ///
    /// Every error is a 400 naming the parameter at fault (`input[3]`, `dimensions`, …) with
    /// OpenAI's codes (`missing_required_parameter`, `invalid_type`, `invalid_value`,
    /// `empty_array`, `empty_string`, `array_above_max_length`, `integer_below_min_value`).
    public static func decodeRequest(_ body: JSONValue) throws(GatewayError) -> EmbeddingsRequest {
        guard case .object(let root) = body else {
            throw GatewayError.invalid("The request body must be a JSON object.", code: "invalid_type")
        }
        guard let model = try optional(root, "model", .string) else {
            throw GatewayError.invalid("You must provide a model parameter.", param: "model", code: "missing_required_parameter")
        }
        let inputs = try decodeInput(required(root["input"], at: "input"))
        var request = EmbeddingsRequest(model: model, inputs: inputs)
        if let format = try optional(root, "encoding_format", .string) {
            guard let encoding = EmbeddingsEncoding(rawValue: format) else {
                throw OpenAIChatCodec.invalidValue("encoding_format", format, supported: ["float", "base64"])
            }
            request.encodingFormat = encoding
        }
        if let dimensions = try optional(root, "dimensions", .int) {
            guard dimensions >= 1 else {
                throw belowMinimum("dimensions", dimensions, minimum: 1)
            }
            request.dimensions = dimensions
        }
        request.user = try optional(root, "user", .string)
        return request
    }

    /// `input` in any of its four shapes, as one ``EmbeddingsInput`` per vector wanted.
    static func decodeInput(_ value: JSONValue) throws(GatewayError) -> [EmbeddingsInput] {
        switch value {
        case .string(let text):
            guard !text.isEmpty else { throw emptyString("input") }
            return [.text(text)]
        case .array(let items):
            guard let first = items.first else { throw emptyArray("input") }
            switch first {
            case .string:
                guard items.count <= maxInputs else { throw tooManyInputs(items.count) }
                var inputs: [EmbeddingsInput] = []
                inputs.reserveCapacity(items.count)
                for (i, item) in items.enumerated() {
                    let text = try read(item, at: "input[\(i)]", .string)
                    guard !text.isEmpty else { throw emptyString("input[\(i)]") }
                    inputs.append(.text(text))
                }
                return inputs
            case .number:
                // One input given as token ids.
                return [.tokens(try decodeTokens(items, at: "input"))]
            case .array:
                guard items.count <= maxInputs else { throw tooManyInputs(items.count) }
                var inputs: [EmbeddingsInput] = []
                inputs.reserveCapacity(items.count)
                for (i, item) in items.enumerated() {
                    let tokens = try read(item, at: "input[\(i)]", .array)
                    guard !tokens.isEmpty else { throw emptyArray("input[\(i)]") }
                    inputs.append(.tokens(try decodeTokens(tokens, at: "input[\(i)]")))
                }
                return inputs
            default:
                throw OpenAIChatCodec.invalidType("input[0]", expected: "a string, an integer or an array of integers", got: first)
            }
        default:
            throw OpenAIChatCodec.invalidType("input", expected: "a string or an array", got: value)
        }
    }

    /// Token ids: non-negative integers.
    static func decodeTokens(_ items: [JSONValue], at path: String) throws(GatewayError) -> [Int] {
        var tokens: [Int] = []
        tokens.reserveCapacity(items.count)
        for (j, item) in items.enumerated() {
            let param = "\(path)[\(j)]"
            guard case .number(let n) = item else { throw invalidType(param, expected: .integer, got: item) }
            guard let token = n.int else {
                // Integers beyond Int's range.
                if n.text.hasPrefix("-"), n.text.dropFirst().allSatisfy(\.isNumber) {
                    throw GatewayError.invalid("Invalid '\(param)': integer below minimum value. Expected a value >= 0, but got \(n.text) instead.", param: param, code: "integer_below_min_value")
                }
                if n.text.allSatisfy(\.isNumber) {
                    throw GatewayError.invalid("Invalid '\(param)': integer above maximum value.", param: param, code: "integer_above_max_value")
                }
                throw invalidType(param, expected: .integer, got: item)
            }
            guard token >= 0 else { throw belowMinimum(param, token, minimum: 0) }
            tokens.append(token)
        }
        return tokens
    }

    /// The body of an upstream request to an OpenAI-compatible server for `request`.
    ///
    /// Text inputs go as an array of strings, token inputs as an array of token-id arrays;
    /// `encoding_format` is sent only when base64 is wanted (float is every server's default).
    /// OpenAI cannot take text and tokens in one request, so such a mix is a 400.
    public static func encodeRequest(_ request: EmbeddingsRequest, upstreamModel: String) throws(GatewayError) -> JSONValue {
        var texts: [JSONValue] = []
        var tokenLists: [JSONValue] = []
        for input in request.inputs {
            switch input {
            case .text(let text): texts.append(.string(text))
            case .tokens(let tokens): tokenLists.append(.array(tokens.map { JSONValue($0) }))
            }
        }
        guard texts.isEmpty || tokenLists.isEmpty else {
            throw GatewayError.invalid("Text and token inputs cannot be embedded in one request to this provider.", param: "input", code: "invalid_value")
        }
        var body: JSONObject = ["model": .string(upstreamModel), "input": .array(texts.isEmpty ? tokenLists : texts)]
        if request.encodingFormat == .base64 { body["encoding_format"] = "base64" }
        if let dimensions = request.dimensions { body["dimensions"] = JSONValue(dimensions) }
        if let user = request.user { body["user"] = .string(user) }
        return .object(body)
    }

    // MARK: Responses

    /// Reads an upstream's embeddings answer (`{"data": [{"index", "embedding"}], "model", "usage"}`).
    ///
    /// Vectors may be float arrays or base64 strings and are put in `index` order (position order
    /// when an item has no index). An `{"error": …}` body is mapped like an error answer.
    public static func decodeResponse(_ body: JSONValue) throws(GatewayError) -> EmbeddingsResponse {
        guard case .object(let root) = body else { throw protocolError("the body is not a JSON object") }
        if root["data"] == nil, let error = root["error"], !error.isNull {
            throw OpenAIChatCodec.streamError(error, fallbackStatus: 502)
        }
        guard case .array(let items)? = root["data"] else { throw protocolError("'data' is missing") }
        var indexed: [(index: Int, vector: [Float])] = []
        indexed.reserveCapacity(items.count)
        for (position, item) in items.enumerated() {
            let index = item["index"]?.intValue ?? position
            switch item["embedding"] {
            case .array(let numbers)?:
                guard let vector = floats(numbers) else { throw protocolError("data[\(position)].embedding holds a value that is not a number") }
                indexed.append((index, vector))
            case .string(let encoded)?:
                guard let vector = floats(base64: encoded) else { throw protocolError("data[\(position)].embedding is not valid base64 float32 data") }
                indexed.append((index, vector))
            default:
                throw protocolError("data[\(position)].embedding is missing")
            }
        }
        indexed.sort { $0.index < $1.index }
        return EmbeddingsResponse(vectors: indexed.map(\.vector), model: root["model"]?.stringValue,
                                  inputTokens: root["usage"]?["prompt_tokens"]?.intValue)
    }

    /// OpenAI's answer for `response`: `{"object": "list", "data": [{"object": "embedding",
    /// "index", "embedding"}], "model", "usage": {"prompt_tokens", "total_tokens"}}`, with `model`
    /// the name the client asked for and each vector as floats or base64 as `encoding` says.
    /// Unknown token counts are written as 0.
    public static func encodeResponse(_ response: EmbeddingsResponse, model: String, encoding: EmbeddingsEncoding) -> JSONValue {
        var data: [JSONValue] = []
        data.reserveCapacity(response.vectors.count)
        for (i, vector) in response.vectors.enumerated() {
            let embedding: JSONValue = switch encoding {
            case .float: .array(vector.map(jsonNumber))
            case .base64: .string(base64(vector))
            }
            data.append(["object": "embedding", "index": JSONValue(i), "embedding": embedding])
        }
        let tokens = JSONValue(response.inputTokens ?? 0)
        return ["object": "list", "data": .array(data), "model": .string(model), "usage": ["prompt_tokens": tokens, "total_tokens": tokens]]
    }

    /// A float as a JSON number in its shortest round-trip spelling; `null` for infinities and NaN.
    static func jsonNumber(_ value: Float) -> JSONValue {
        guard value.isFinite, let number = JSONNumber(text: value.description) else { return .null }
        return .number(number)
    }

    /// An OpenAI-compatible answer (as parsed JSON) with every `data[i].embedding` that is an
    /// array of numbers replaced by its base64 form, for clients that asked for base64 from a
    /// server that ignores `encoding_format` (Ollama and other compatible servers do). Nil when
    /// nothing needed converting; everything else in the answer is kept as it was.
    static func convertingFloatVectorsToBase64(_ body: JSONValue) throws(GatewayError) -> JSONValue? {
        guard case .object(var root) = body, case .array(var items)? = root["data"] else {
            throw protocolError("'data' is missing")
        }
        var changed = false
        for i in items.indices {
            guard case .object(var item) = items[i], case .array(let numbers)? = item["embedding"] else { continue }
            guard let vector = floats(numbers) else { throw protocolError("data[\(i)].embedding holds a value that is not a number") }
            item["embedding"] = .string(base64(vector))
            items[i] = .object(item)
            changed = true
        }
        guard changed else { return nil }
        root["data"] = .array(items)
        return .object(root)
    }

    // MARK: Vectors

    /// JSON numbers as floats, each converted from its text straight to the nearest `Float`;
    /// nil when an element is not a number.
    static func floats(_ numbers: [JSONValue]) -> [Float]? {
        var vector: [Float] = []
        vector.reserveCapacity(numbers.count)
        for value in numbers {
            guard case .number(let n) = value, let f = Float(n.text) else { return nil }
            vector.append(f)
        }
        return vector
    }

    /// A vector in OpenAI's base64 form: the little-endian IEEE-754 float32 bytes of each
    /// component, in order, base64-encoded with padding.
    public static func base64(_ vector: [Float]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }

    /// The vector of an OpenAI base64 embedding; nil when `text` is not base64 or its length is
    /// not a whole number of float32 values.
    public static func floats(base64 text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        var vector: [Float] = []
        vector.reserveCapacity(data.count / 4)
        var index = data.startIndex
        while index < data.endIndex {
            var bits: UInt32 = 0
            for shift in 0..<4 { bits |= UInt32(data[index + shift]) << (8 * shift) }
            vector.append(Float(bitPattern: bits))
            index += 4
        }
        return vector
    }

    // MARK: Errors

    static func protocolError(_ what: String) -> GatewayError {
        GatewayError(.upstreamProtocol, status: 502, message: "The upstream answered with an invalid embeddings response: \(what).", type: "upstream_error", code: "upstream_invalid_response")
    }

    static func emptyString(_ param: String) -> GatewayError {
        .invalid("Invalid '\(param)': empty string. Expected a string with minimum length 1, but got an empty string instead.", param: param, code: "empty_string")
    }

    static func emptyArray(_ param: String) -> GatewayError {
        .invalid("Invalid '\(param)': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: param, code: "empty_array")
    }

    static func tooManyInputs(_ count: Int) -> GatewayError {
        .invalid("Invalid 'input': array too long. Expected an array with maximum length \(maxInputs), but got an array with length \(count) instead.", param: "input", code: "array_above_max_length")
    }

    static func belowMinimum(_ param: String, _ value: Int, minimum: Int) -> GatewayError {
        .invalid("Invalid '\(param)': integer below minimum value. Expected a value >= \(minimum), but got \(value) instead.", param: param, code: "integer_below_min_value")
    }
}

extension OpenAIEmbeddingsCodec: ChatCodec {
    static func missingMember(_ param: String) -> GatewayError {
        OpenAIChatCodec.missingMember(param)
    }

    static func invalidType(_ param: String, expected: JSONKind, got value: JSONValue) -> GatewayError {
        OpenAIChatCodec.invalidType(param, expected: expected, got: value)
    }
}
