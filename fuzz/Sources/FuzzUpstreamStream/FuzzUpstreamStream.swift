import FuzzSupport
import KeelGateway

/// Parses arbitrary bytes as a provider's Server-Sent Events stream, cut into chunks whose sizes come
/// from the first byte, decodes every event with one provider's stream decoder (chosen by the
/// second byte) and re-encodes what it decoded for both inbound APIs. A malformed stream must end in
/// an error, never a crash; and the events must not depend on where the chunks were cut.
func fuzzUpstreamStream(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard bytes.count >= 2 else { return }
    let chunkSize = 1 + Int(bytes[0] % 64)
    let provider = Int(bytes[1] % 4)
    let stream = Array(bytes[2...])

    let whole = parse(stream, chunkSize: stream.count + 1)
    let chunked = parse(stream, chunkSize: chunkSize)
    require(whole == chunked, "the events depend on how the stream was cut (chunks of \(chunkSize) bytes)")
    guard case .success(let events) = whole else { return }

    var openAI = OpenAIChatCodec.StreamEncoder(model: "m", includeUsage: true, id: "chatcmpl-1", created: 0)
    var anthropic = AnthropicMessagesCodec.StreamEncoder(model: "m")
    var decoder = Decoder(provider)
    for event in events {
        guard let decoded = try? decoder.decode(event: event.event, data: event.data) else { return }
        for item in decoded {
            _ = openAI.encode(item)
            _ = anthropic.encode(item)
        }
    }
    if let last = try? decoder.finish() {
        for item in last {
            _ = openAI.encode(item)
            _ = anthropic.encode(item)
        }
    }
    _ = openAI.finish()
    _ = anthropic.finish()
}

private func parse(_ stream: [UInt8], chunkSize: Int) -> Result<[SSEEvent], SSEParserError> {
    var parser = SSEParser(configuration: .init(maxEventSize: 4096))
    var events: [SSEEvent] = []
    do throws(SSEParserError) {
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + chunkSize)
            try parser.feed(stream[start..<end], into: &events)
            start = end
        }
        try parser.finish(into: &events)
        return .success(events)
    } catch {
        return .failure(error)
    }
}

/// One provider's stream decoder.
private enum Decoder {
    case openAI(OpenAIChatCodec.StreamDecoder)
    case anthropic(AnthropicMessagesCodec.StreamDecoder)
    case gemini(GeminiCodec.StreamDecoder)
    case bedrock(BedrockConverseCodec.StreamDecoder)

    init(_ index: Int) {
        switch index {
        case 0: self = .openAI(.init())
        case 1: self = .anthropic(.init())
        case 2: self = .gemini(.init())
        default: self = .bedrock(.init())
        }
    }

    mutating func decode(event: String?, data: String) throws(GatewayError) -> [ChatStreamEvent] {
        switch self {
        case .openAI(var decoder): defer { self = .openAI(decoder) }; return try decoder.decode(event: event, data: data)
        case .anthropic(var decoder): defer { self = .anthropic(decoder) }; return try decoder.decode(event: event, data: data)
        case .gemini(var decoder): defer { self = .gemini(decoder) }; return try decoder.decode(event: event, data: data)
        case .bedrock(var decoder): defer { self = .bedrock(decoder) }; return try decoder.decode(event: event, data: data)
        }
    }

    mutating func finish() throws(GatewayError) -> [ChatStreamEvent] {
        switch self {
        case .openAI(var decoder): defer { self = .openAI(decoder) }; return try decoder.finish()
        case .anthropic(var decoder): defer { self = .anthropic(decoder) }; return try decoder.finish()
        case .gemini(var decoder): defer { self = .gemini(decoder) }; return try decoder.finish()
        case .bedrock(var decoder): defer { self = .bedrock(decoder) }; return try decoder.finish()
        }
    }
}
