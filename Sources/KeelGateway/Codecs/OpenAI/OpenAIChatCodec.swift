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

// MARK: - Request errors in OpenAI's wording

extension OpenAIChatCodec: ChatCodec {
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

    static func invalidType(_ param: String, expected: JSONKind, got value: JSONValue) -> GatewayError {
        let name = switch expected {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .boolean: "a boolean"
        case .integer: "an integer"
        case .number: "a number"
        }
        return invalidType(param, expected: name, got: value)
    }

    static func invalidType(_ param: String, expected: String, got value: JSONValue) -> GatewayError {
        .invalid("Invalid type for '\(param)': expected \(expected), but got \(typeName(value)) instead.", param: param, code: "invalid_type")
    }

    static func missingMember(_ param: String) -> GatewayError {
        .invalid("Missing required parameter: '\(param)'.", param: param, code: "missing_required_parameter")
    }

    static func invalidValue(_ param: String, _ value: String, supported: [String]) -> GatewayError {
        let quoted = supported.map { "'\($0)'" }
        let list = switch quoted.count {
        case 0: ""
        case 1: " Supported values are: \(quoted[0])."
        default: " Supported values are: " + quoted.dropLast().joined(separator: ", ") + ", and " + quoted[quoted.count - 1] + "."
        }
        return .invalid("Invalid value: '\(value)'.\(list)", param: param, code: "invalid_value")
    }

    static func unsupported(_ param: String, _ what: String) -> GatewayError {
        .invalid("\(what) is not supported by this gateway.", param: param, code: "unsupported_value")
    }
}
