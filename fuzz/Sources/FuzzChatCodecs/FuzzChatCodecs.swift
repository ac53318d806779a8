import FuzzSupport
import KeelCore
import KeelGateway
import KeelHTTP

/// Reads arbitrary JSON as a client's chat request in both inbound formats and as an upstream answer
/// of every provider, and writes what it decoded in every format. Malformed input must come back as a
/// `GatewayError`, never a crash. A request translated from one inbound API to the other must be one
/// that Keel itself accepts in that API: a provider would refuse what Keel's own decoder refuses.
func fuzzChatCodecs(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let body = try? JSONParser(maxDepth: 64).parse(Array(bytes)) else { return }

    if let request = try? OpenAIChatCodec.decodeRequest(body) {
        translate(request)
        for stream in [false, true] {
            guard let translated = try? AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "m", stream: stream) else { continue }
            do throws(GatewayError) {
                _ = try AnthropicMessagesCodec.decodeRequest(translated)
            } catch {
                fatalError("an OpenAI request translated for Anthropic is not a valid Anthropic request (\(error.message)): \(translated)")
            }
        }
    }
    if let request = try? AnthropicMessagesCodec.decodeRequest(body) {
        translate(request)
        let translated = OpenAIChatCodec.encodeRequest(request, upstreamModel: "m", stream: request.stream)
        do throws(GatewayError) {
            _ = try OpenAIChatCodec.decodeRequest(translated)
        } catch {
            fatalError("an Anthropic request translated for OpenAI is not a valid OpenAI request (\(error.message)): \(translated)")
        }
    }

    let answers: [ChatResponse?] = [
        try? OpenAIChatCodec.decodeResponse(body),
        try? AnthropicMessagesCodec.decodeResponse(body, created: 0),
        try? GeminiCodec.decodeResponse(body, created: 0),
        try? BedrockConverseCodec.decodeResponse(body, model: "m", created: 0),
    ]
    for case let response? in answers {
        _ = OpenAIChatCodec.encodeResponse(response, model: "m")
        _ = AnthropicMessagesCodec.encodeResponse(response, model: "m")
    }

    let raw = Array(bytes)
    for status in [400, 429, 500] {
        _ = OpenAIChatCodec.decodeError(status: status, body: raw, headers: HTTPHeaders())
        _ = AnthropicMessagesCodec.decodeError(status: status, body: raw, headers: HTTPHeaders())
        _ = GeminiCodec.decodeError(status: status, body: raw, headers: HTTPHeaders())
        _ = BedrockConverseCodec.decodeError(status: status, body: raw, headers: HTTPHeaders())
    }
}

/// Encodes a decoded request for every provider; a request a provider cannot take is an error.
private func translate(_ request: ChatRequest) {
    for stream in [false, true] {
        _ = OpenAIChatCodec.encodeRequest(request, upstreamModel: "m", stream: stream)
        _ = try? AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "m", stream: stream)
        _ = try? GeminiCodec.encodeRequest(request, upstreamModel: "m", stream: stream)
        _ = try? BedrockConverseCodec.encodeRequest(request, upstreamModel: "m", stream: stream)
    }
}
