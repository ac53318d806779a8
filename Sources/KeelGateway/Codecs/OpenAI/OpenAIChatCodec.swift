import KeelCore

/// OpenAI Chat Completions (`POST /v1/chat/completions`), both as the inbound API Keel serves and
/// as the wire format of OpenAI-compatible upstreams.
///
/// The codec translates between the Chat Completions JSON and Keel's provider-neutral model
/// (``ChatRequest``, ``ChatResponse``, ``ChatStreamEvent``):
///
/// - ``decodeRequest(_:)`` reads a client's request body (inbound side);
/// - ``encodeRequest(_:upstreamModel:stream:maxTokensParameter:)`` writes an upstream request body;
/// - ``decodeResponse(_:)`` reads an upstream `chat.completion`; ``encodeResponse(_:model:)`` writes one;
/// - ``StreamDecoder`` reads upstream `chat.completion.chunk` events; ``StreamEncoder`` writes them;
/// - ``decodeError(status:body:headers:)`` maps an upstream error answer to a ``GatewayError``.
///
/// Decisions worth knowing:
/// - `system` and `developer` messages (wherever they appear) become ``ChatRequest/system`` in
///   order; upstream, the system instructions are sent as one leading `system` message whose
///   content is the text parts joined with a blank line (the form every OpenAI-compatible server
///   and chat template accepts).
/// - A `refusal` from the model is decoded as text with stop reason ``ChatStopReason/contentFilter``
///   (Anthropic's `refusal`); encoded back, a content-filter stop becomes `finish_reason:
///   "content_filter"` with the text as ordinary `content`.
/// - An upstream that reports `finish_reason: "stop"` (or none) after producing tool calls is read
///   as ``ChatStopReason/toolUse``, so clients of other APIs still see a tool-use turn.
/// - Streams: only choice 0 is translated (`n > 1` streams need passthrough); reasoning deltas that
///   some compatible servers add (`reasoning_content`) have no neutral event and are dropped.
public enum OpenAIChatCodec {
    /// Which member carries the output-token limit in upstream requests.
    public enum MaxTokensParameter: Sendable, Equatable {
        /// `max_completion_tokens`: current OpenAI and Azure OpenAI (required by reasoning models).
        case maxCompletionTokens
        /// `max_tokens`: the older member many OpenAI-compatible servers still expect.
        case maxTokens
    }
}

// MARK: - Reading JSON with precise errors

extension OpenAIChatCodec {
    /// How a JSON value's type is named in error messages.
    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let n): n.int != nil ? "an integer" : "a decimal"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    static func invalidType(_ param: String, expected: String, got value: JSONValue) -> GatewayError {
        .invalid("Invalid type for '\(param)': expected \(expected), but got \(typeName(value)) instead.", param: param, code: "invalid_type")
    }

    static func missing(_ param: String) -> GatewayError {
        .invalid("Missing required parameter: '\(param)'.", param: param, code: "missing_required_parameter")
    }

    static func invalidValue(_ param: String, _ value: String, supported: [String]) -> GatewayError {
        let list: String
        switch supported.count {
        case 0: list = ""
        case 1: list = " Supported values are: '\(supported[0])'."
        default:
            let quoted = supported.map { "'\($0)'" }
            list = " Supported values are: " + quoted.dropLast().joined(separator: ", ") + ", and " + quoted.last! + "."
        }
        return .invalid("Invalid value: '\(value)'.\(list)", param: param, code: "invalid_value")
    }

    static func unsupported(_ param: String, _ what: String) -> GatewayError {
        .invalid("\(what) is not supported by this gateway.", param: param, code: "unsupported_value")
    }

    /// The object at `param`, or an `invalid_type` error.
    static func object(_ value: JSONValue, _ param: String) throws(GatewayError) -> JSONObject {
        guard case .object(let o) = value else { throw invalidType(param, expected: "an object", got: value) }
        return o
    }

    /// A member that must be present (and not null).
    static func required(_ object: JSONObject, _ key: String, _ param: String) throws(GatewayError) -> JSONValue {
        guard let v = object[key], !v.isNull else { throw missing(param) }
        return v
    }

    /// A member that may be absent or null.
    static func optional(_ object: JSONObject, _ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    static func string(_ value: JSONValue, _ param: String) throws(GatewayError) -> String {
        guard case .string(let s) = value else { throw invalidType(param, expected: "a string", got: value) }
        return s
    }

    static func bool(_ value: JSONValue, _ param: String) throws(GatewayError) -> Bool {
        guard case .bool(let b) = value else { throw invalidType(param, expected: "a boolean", got: value) }
        return b
    }

    static func int(_ value: JSONValue, _ param: String) throws(GatewayError) -> Int {
        guard case .number(let n) = value, let i = n.int else { throw invalidType(param, expected: "an integer", got: value) }
        return i
    }

    static func double(_ value: JSONValue, _ param: String) throws(GatewayError) -> Double {
        guard case .number(let n) = value, let d = n.double else { throw invalidType(param, expected: "a number", got: value) }
        return d
    }

    static func array(_ value: JSONValue, _ param: String) throws(GatewayError) -> [JSONValue] {
        guard case .array(let a) = value else { throw invalidType(param, expected: "an array", got: value) }
        return a
    }

    /// A fresh id such as `chatcmpl-4f1c…` for responses an upstream sent without one.
    static func makeID(prefix: String) -> String {
        prefix + Digest.hex(Digest.randomBytes(12))
    }
}
