import KeelCore
@testable import KeelGateway
import Testing

/// Event stream messages framed as ConverseStream sends them.
enum BedrockStreamFixtures {
    static func event(_ type: String, _ payload: String) throws -> [UInt8] {
        try AWSEventStreamEncoder.encode(headers: [
            ":event-type": .string(type), ":content-type": .string("application/json"), ":message-type": .string("event"),
        ], payload: Array(payload.utf8))
    }

    static func exception(_ type: String, _ message: String) throws -> [UInt8] {
        try AWSEventStreamEncoder.encode(headers: [
            ":exception-type": .string(type), ":content-type": .string("application/json"), ":message-type": .string("exception"),
        ], payload: Array(#"{"message":"\#(message)"}"#.utf8))
    }

    /// Claude answering with text and two tool calls (input in fragments), then usage.
    static func toolStream() throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes += try event("messageStart", #"{"p":"abcdefghijkl","role":"assistant"}"#)
        bytes += try event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"Checking both."},"p":"abcd"}"#)
        bytes += try event("contentBlockStop", #"{"contentBlockIndex":0,"p":"abcdefgh"}"#)
        bytes += try event("contentBlockStart", #"{"contentBlockIndex":1,"p":"ab","start":{"toolUse":{"name":"get_weather","toolUseId":"tooluse_A1"}}}"#)
        bytes += try event("contentBlockDelta", #"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\": "}},"p":"abc"}"#)
        bytes += try event("contentBlockDelta", #"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}},"p":"abc"}"#)
        bytes += try event("contentBlockStop", #"{"contentBlockIndex":1,"p":"abcdef"}"#)
        bytes += try event("contentBlockStart", #"{"contentBlockIndex":2,"p":"ab","start":{"toolUse":{"name":"get_weather","toolUseId":"tooluse_B2"}}}"#)
        bytes += try event("contentBlockDelta", #"{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\"city\": \"Berlin\"}"}},"p":"abc"}"#)
        bytes += try event("contentBlockStop", #"{"contentBlockIndex":2,"p":"abcdef"}"#)
        bytes += try event("messageStop", #"{"p":"abcdefghijklmnopqrstu","stopReason":"tool_use"}"#)
        bytes += try event("metadata", #"{"metrics":{"latencyMs":1203},"p":"abcdef","usage":{"cacheReadInputTokens":100,"cacheWriteInputTokens":20,"inputTokens":412,"outputTokens":96,"totalTokens":628}}"#)
        return bytes
    }
}

/// Reads `bytes`, delivered in chunks of `chunkSize`, through ``UpstreamEvents`` and the Bedrock decoder.
private func decode(_ bytes: [UInt8], chunkSize: Int) async throws -> (events: [ChatStreamEvent], error: GatewayError?) {
    let stream = AsyncStream<[UInt8]> { continuation in
        var start = 0
        while start < bytes.count {
            continuation.yield(Array(bytes[start..<min(start + chunkSize, bytes.count)]))
            start += chunkSize
        }
        continuation.finish()
    }
    var decoder = BedrockConverseCodec.StreamDecoder()
    var events: [ChatStreamEvent] = []
    do throws(GatewayError) {
        var iterator = UpstreamEvents(stream, format: .bedrockConverse).makeAsyncIterator()
        while let event = try? await iterator.next() {
            events += try decoder.decode(event: event.event, data: event.data)
        }
        events += try decoder.finish()
        return (events, nil)
    } catch {
        return (events, error)
    }
}

@Suite("Bedrock Converse codec: streams")
struct BedrockConverseStreamTests {
    @Test(arguments: [1, 7, 64, 100_000])
    func aToolStreamDecodesWhateverTheChunking(chunkSize: Int) async throws {
        let (events, error) = try await decode(BedrockStreamFixtures.toolStream(), chunkSize: chunkSize)
        #expect(error == nil)
        guard case .start(let id, _)? = events.first else {
            Issue.record("no start event")
            return
        }
        #expect(id.hasPrefix("bedrock-"))
        #expect(Array(events.dropFirst()) == [
            .textDelta("Checking both."),
            .toolCallStart(index: 0, id: "tooluse_A1", name: "get_weather"),
            .toolCallDelta(index: 0, arguments: #"{"city": "#),
            .toolCallDelta(index: 0, arguments: #""Paris"}"#),
            .toolCallStart(index: 1, id: "tooluse_B2", name: "get_weather"),
            .toolCallDelta(index: 1, arguments: #"{"city": "Berlin"}"#),
            .stop(.toolUse),
            .usage(ChatUsage(inputTokens: 532, outputTokens: 96, cachedInputTokens: 100, cacheWriteTokens: 20)),
        ])
    }

    @Test func aToolStreamBecomesAnthropicEvents() async throws {
        let (events, _) = try await decode(BedrockStreamFixtures.toolStream(), chunkSize: 33)
        var encoder = AnthropicMessagesCodec.StreamEncoder(model: "sonnet")
        let out = events.flatMap { encoder.encode($0) } + encoder.finish()
        #expect(out.map(\.type) == [
            "message_start", "ping",
            "content_block_start", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop",
        ])
        let delta = try JSONValue(parsing: out[12].data)
        #expect(delta["delta"]?["stop_reason"] == "tool_use")
        #expect(delta["usage"]?["input_tokens"] == 412)
        #expect(delta["usage"]?["cache_read_input_tokens"] == 100)
    }

    @Test func reasoningDeltasAreSkipped() throws {
        var decoder = BedrockConverseCodec.StreamDecoder()
        _ = try decoder.decode(event: "messageStart", data: #"{"role":"assistant"}"#)
        #expect(try decoder.decode(event: "contentBlockDelta", data: #"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Hmm"}}}"#) == [])
        #expect(try decoder.decode(event: "contentBlockDelta", data: #"{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"EqoB"}}}"#) == [])
        #expect(try decoder.decode(event: "contentBlockDelta", data: #"{"contentBlockIndex":1,"delta":{"text":"Answer"}}"#) == [.textDelta("Answer")])
    }

    @Test func exceptionsMidStreamAreThrownWithTheirStatus() async throws {
        var bytes = try BedrockStreamFixtures.event("messageStart", #"{"role":"assistant"}"#)
        bytes += try BedrockStreamFixtures.event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"Hel"}}"#)
        bytes += try BedrockStreamFixtures.exception("throttlingException", "Too many tokens, please wait before trying again.")
        let (events, error) = try await decode(bytes, chunkSize: 10)
        #expect(events.count == 2)
        #expect(error?.status == 429)
        #expect(error?.message == "Too many tokens, please wait before trying again.")

        var decoder = BedrockConverseCodec.StreamDecoder()
        let model = #expect(throws: GatewayError.self) {
            try decoder.decode(event: "modelStreamErrorException", data: #"{"message":"Model stream error","originalStatusCode":500}"#)
        }
        #expect(model?.status == 502)
        #expect(model?.code == "upstream_model_error")
    }

    @Test func corruptAndTruncatedStreamsBecomeErrors() async throws {
        var good = try BedrockStreamFixtures.event("messageStart", #"{"role":"assistant"}"#)
        var corrupt = try BedrockStreamFixtures.event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"Hel"}}"#)
        corrupt[corrupt.count - 2] ^= 0x01
        let (_, crc) = try await decode(good + corrupt, chunkSize: 16)
        #expect(crc?.status == 502)
        #expect(crc?.message.contains("messageCRCMismatch") == true)

        good += try BedrockStreamFixtures.event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"Hel"}}"#)
        let (_, cut) = try await decode(good + Array(corrupt.prefix(20)), chunkSize: 16)
        #expect(cut?.status == 502)
        #expect(cut?.message.contains("truncated") == true)

        // Framing intact, but no messageStop.
        let (_, early) = try await decode(good, chunkSize: 16)
        #expect(early?.status == 502)
        #expect(early?.message.contains("messageStop") == true)
    }

    @Test func deltasBeforeStartOrForUnknownToolsAreProtocolErrors() throws {
        var decoder = BedrockConverseCodec.StreamDecoder()
        #expect(throws: GatewayError.self) { try decoder.decode(event: "contentBlockDelta", data: #"{"contentBlockIndex":0,"delta":{"text":"x"}}"#) }
        var started = BedrockConverseCodec.StreamDecoder()
        _ = try started.decode(event: "messageStart", data: #"{"role":"assistant"}"#)
        let error = #expect(throws: GatewayError.self) {
            try started.decode(event: "contentBlockDelta", data: #"{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}}"#)
        }
        #expect(error?.status == 502)
    }
}
