import KeelCore
import KeelHTTP

/// Dispatches to the codec of a wire format (see `Codecs/`), for the gateway's translation path.
enum Codecs {
    static func decodeRequest(_ format: WireFormat, _ body: JSONValue) throws(GatewayError) -> ChatRequest {
        switch format {
        case .openAI: return try OpenAIChatCodec.decodeRequest(body)
        case .anthropic: return try AnthropicMessagesCodec.decodeRequest(body)
        case .gemini: throw unsupported(format)
        case .bedrockConverse: throw unsupported(format)
        }
    }

    static func encodeRequest(_ format: WireFormat, _ request: ChatRequest, upstreamModel: String, stream: Bool) throws(GatewayError) -> JSONValue {
        switch format {
        case .openAI: return OpenAIChatCodec.encodeRequest(request, upstreamModel: upstreamModel, stream: stream)
        case .anthropic: return try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: upstreamModel, stream: stream)
        case .gemini: return try GeminiCodec.encodeRequest(request, upstreamModel: upstreamModel, stream: stream)
        case .bedrockConverse: return try BedrockConverseCodec.encodeRequest(request, upstreamModel: upstreamModel, stream: stream)
        }
    }

    static func decodeResponse(_ format: WireFormat, _ body: JSONValue) throws(GatewayError) -> ChatResponse {
        switch format {
        case .openAI: return try OpenAIChatCodec.decodeResponse(body)
        case .anthropic: return try AnthropicMessagesCodec.decodeResponse(body)
        case .gemini: return try GeminiCodec.decodeResponse(body)
        case .bedrockConverse: return try BedrockConverseCodec.decodeResponse(body)
        }
    }

    static func encodeResponse(_ format: WireFormat, _ response: ChatResponse, model: String) -> JSONValue {
        switch format {
        case .anthropic: AnthropicMessagesCodec.encodeResponse(response, model: model)
        default: OpenAIChatCodec.encodeResponse(response, model: model)
        }
    }

    static func decodeError(_ format: WireFormat, status: Int, body: [UInt8], headers: HTTPHeaders) -> GatewayError {
        switch format {
        case .anthropic: AnthropicMessagesCodec.decodeError(status: status, body: body, headers: headers)
        case .gemini: GeminiCodec.decodeError(status: status, body: body, headers: headers)
        case .bedrockConverse: BedrockConverseCodec.decodeError(status: status, body: body, headers: headers)
        default: OpenAIChatCodec.decodeError(status: status, body: body, headers: headers)
        }
    }

    static func unsupported(_ format: WireFormat) -> GatewayError {
        GatewayError(.upstreamUnavailable, status: 501, message: "The \(format.rawValue) wire format is not available in this version of Keel.", type: "server_error", code: "provider_not_supported")
    }

    /// A provider-side stream decoder of any format.
    enum StreamDecoder {
        case openAI(OpenAIChatCodec.StreamDecoder)
        case anthropic(AnthropicMessagesCodec.StreamDecoder)
        case gemini(GeminiCodec.StreamDecoder)
        case bedrockConverse(BedrockConverseCodec.StreamDecoder)

        init(_ format: WireFormat) {
            switch format {
            case .anthropic: self = .anthropic(.init())
            case .gemini: self = .gemini(.init())
            case .bedrockConverse: self = .bedrockConverse(.init())
            default: self = .openAI(.init())
            }
        }

        mutating func decode(event: String?, data: String) throws(GatewayError) -> [ChatStreamEvent] {
            switch self {
            case .openAI(var d):
                defer { self = .openAI(d) }
                return try d.decode(event: event, data: data)
            case .anthropic(var d):
                defer { self = .anthropic(d) }
                return try d.decode(event: event, data: data)
            case .gemini(var d):
                defer { self = .gemini(d) }
                return try d.decode(event: event, data: data)
            case .bedrockConverse(var d):
                defer { self = .bedrockConverse(d) }
                return try d.decode(event: event, data: data)
            }
        }

        mutating func finish() throws(GatewayError) -> [ChatStreamEvent] {
            switch self {
            case .openAI(var d):
                defer { self = .openAI(d) }
                return try d.finish()
            case .anthropic(var d):
                defer { self = .anthropic(d) }
                return try d.finish()
            case .gemini(var d):
                defer { self = .gemini(d) }
                return try d.finish()
            case .bedrockConverse(var d):
                defer { self = .bedrockConverse(d) }
                return try d.finish()
            }
        }
    }

    /// An inbound-side stream encoder of either format.
    enum StreamEncoder {
        case openAI(OpenAIChatCodec.StreamEncoder)
        case anthropic(AnthropicMessagesCodec.StreamEncoder)

        init(_ format: WireFormat, model: String, includeUsage: Bool) {
            self = format == .anthropic ? .anthropic(.init(model: model)) : .openAI(.init(model: model, includeUsage: includeUsage))
        }

        mutating func encode(_ event: ChatStreamEvent) -> [ServerSentEvent] {
            switch self {
            case .openAI(var e):
                defer { self = .openAI(e) }
                return e.encode(event)
            case .anthropic(var e):
                defer { self = .anthropic(e) }
                return e.encode(event)
            }
        }

        mutating func finish() -> [ServerSentEvent] {
            switch self {
            case .openAI(var e):
                defer { self = .openAI(e) }
                return e.finish()
            case .anthropic(var e):
                defer { self = .anthropic(e) }
                return e.finish()
            }
        }

        func errorEvent(_ error: GatewayError) -> [ServerSentEvent] {
            switch self {
            case .openAI(let e): e.errorEvent(error)
            case .anthropic(let e): e.errorEvent(error)
            }
        }
    }
}
