import Foundation
import KeelCore
import KeelGateway
import KeelHTTP
import Testing

/// The events of a recorded `text/event-stream` body.
private func events(_ recording: String) throws -> [SSEEvent] {
    var parser = SSEParser()
    return try parser.feed(Array(recording.utf8)) + parser.finish()
}

private func decodeAll(_ recording: String) throws -> [ChatStreamEvent] {
    var decoder = AnthropicMessagesCodec.StreamDecoder()
    var out: [ChatStreamEvent] = []
    for e in try events(recording) {
        out += try decoder.decode(event: e.event, data: e.data)
    }
    out += try decoder.finish()
    return out
}

private func decodeError(_ recording: String) -> GatewayError? {
    gatewayError { _ = try decodeAll(recording) }
}

/// Tool-call arguments reassembled from the fragments, by tool index.
private func arguments(_ events: [ChatStreamEvent]) -> [Int: String] {
    var out: [Int: String] = [:]
    for case .toolCallDelta(let index, let fragment) in events { out[index, default: ""] += fragment }
    return out
}

@Suite("Anthropic Messages codec: upstream streams")
struct AnthropicMessagesStreamDecoderTests {
    @Test func decodesATextStream() throws {
        #expect(try decodeAll(StreamFixtures.anthropicText) == [
            .start(id: "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", model: "claude-sonnet-4-5-20250929"),
            .textDelta("Hello"),
            .textDelta("!"),
            .stop(.endTurn),
            .usage(ChatUsage(inputTokens: 25, outputTokens: 15)),
        ])
    }

    /// Thinking first, then text, then two tool calls with fragmented arguments: Anthropic block
    /// indexes 2 and 3 become Keel tool calls 0 and 1. Usage has cache reads and writes, and the
    /// final `message_delta` repeats the input counts (as the current API does).
    static let multiToolStream = #"""
    event: message_start
    data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":2048,"cache_read_input_tokens":30000,"cache_creation":{"ephemeral_5m_input_tokens":2048,"ephemeral_1h_input_tokens":0},"output_tokens":2,"service_tier":"standard"},"content":[],"stop_reason":null}}

    event: content_block_start
    data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Two cities, two calls."}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":0}

    event: content_block_start
    data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking both."}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":1}

    event: content_block_start
    data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":" \"San Francisc"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"o, CA\", \"unit\": \"fah"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"renheit\"}"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":2}

    event: ping
    data: {"type": "ping"}

    event: content_block_start
    data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_01Bq4SrVx8bVAnp4EgbdGRMf","name":"get_weather","input":{}}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"locat"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"ion\": \"Berlin\"}"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":3}

    event: message_delta
    data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":472,"cache_creation_input_tokens":2048,"cache_read_input_tokens":30000,"output_tokens":189}}

    event: message_stop
    data: {"type":"message_stop"}


    """#

    @Test func decodesSeveralToolCallsWithFragmentedArguments() throws {
        let decoded = try decodeAll(Self.multiToolStream)
        #expect(decoded.first == .start(id: "msg_014p7gG3wDgGV9EUtLvnow3U", model: "claude-sonnet-4-5-20250929"))
        #expect(decoded.contains(.textDelta("Checking both.")))
        let starts = decoded.compactMap { event -> String? in
            if case .toolCallStart(let index, let id, let name) = event { return "\(index) \(id) \(name)" }
            return nil
        }
        #expect(starts == ["0 toolu_01T1x1fJ34qAmk2tNTrN7Up6 get_weather", "1 toolu_01Bq4SrVx8bVAnp4EgbdGRMf get_weather"])
        let args = arguments(decoded)
        #expect(try JSONValue(parsing: #require(args[0])) == ["location": "San Francisco, CA", "unit": "fahrenheit"])
        #expect(try JSONValue(parsing: #require(args[1])) == ["location": "Berlin"])
        // No empty fragments, and nothing from the thinking block.
        #expect(!decoded.contains(.toolCallDelta(index: 0, arguments: "")))
        #expect(decoded.suffix(2) == [
            .stop(.toolUse),
            .usage(ChatUsage(inputTokens: 472 + 30000 + 2048, outputTokens: 189, cachedInputTokens: 30000, cacheWriteTokens: 2048)),
        ])
    }

    @Test func stopSequenceAndMaxTokens() throws {
        let stopSequence = StreamFixtures.anthropicText.replacingOccurrences(
            of: #""stop_reason":"end_turn","stop_sequence":null"#, with: #""stop_reason":"stop_sequence","stop_sequence":"\n\nHuman:""#)
        #expect(try decodeAll(stopSequence).contains(.stop(.stopSequence("\n\nHuman:"))))
        let maxTokens = StreamFixtures.anthropicText.replacingOccurrences(of: #""stop_reason":"end_turn""#, with: #""stop_reason":"max_tokens""#)
        #expect(try decodeAll(maxTokens).contains(.stop(.maxTokens)))
        let refusal = StreamFixtures.anthropicText.replacingOccurrences(of: #""stop_reason":"end_turn""#, with: #""stop_reason":"refusal""#)
        #expect(try decodeAll(refusal).contains(.stop(.contentFilter)))
    }

    @Test func eventNamesAreOptional() throws {
        var decoder = AnthropicMessagesCodec.StreamDecoder()
        var out: [ChatStreamEvent] = []
        for e in try events(StreamFixtures.anthropicText) {
            out += try decoder.decode(event: nil, data: e.data)
        }
        out += try decoder.finish()
        #expect(out.count == 5)
    }

    @Test func inStreamErrorsThrow() throws {
        let overloaded = #"""
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-opus-4-1","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}

        event: error
        data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


        """#
        let error = try #require(decodeError(overloaded))
        #expect(error.status == 529)
        #expect(error.kind == .upstream)
        #expect(error.message.contains("Overloaded"))

        let apiError = try #require(decodeError(#"event: error\#ndata: {"type":"error","error":{"type":"api_error","message":"Internal server error"}}\#n\#n"#))
        #expect(apiError.status == 502)
        let rateLimit = try #require(decodeError(#"event: error\#ndata: {"type":"error","error":{"type":"rate_limit_error","message":"Too many"}}\#n\#n"#))
        #expect(rateLimit.status == 429)
    }

    @Test func truncatedAndMalformedStreamsAre502s() throws {
        let text = StreamFixtures.anthropicText
        let truncated = String(text[..<(try #require(text.range(of: "event: message_delta"))).lowerBound])
        let cut = try #require(decodeError(truncated))
        #expect(cut.status == 502)
        #expect(cut.message.contains("message_stop"))

        let noStop = String(text[..<(try #require(text.range(of: "event: message_stop"))).lowerBound])
        #expect(decodeError(noStop)?.status == 502)

        let notJSON = try #require(decodeError("event: message_start\ndata: {\"type\":\"message_start\",\n\n"))
        #expect(notJSON.kind == .upstreamProtocol)

        let beforeStart = try #require(decodeError(#"event: content_block_start\#ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\#n\#n"#))
        #expect(beforeStart.kind == .upstreamProtocol)

        let unknownBlock = text.replacingOccurrences(of: #""index":0,"delta""#, with: #""index":7,"delta""#)
        #expect(decodeError(unknownBlock)?.kind == .upstreamProtocol)
    }

    @Test func unknownEventsAndLateEventsAreIgnored() throws {
        var decoder = AnthropicMessagesCodec.StreamDecoder()
        var out: [ChatStreamEvent] = []
        for e in try events(StreamFixtures.anthropicText) {
            out += try decoder.decode(event: e.event, data: e.data)
            out += try decoder.decode(event: "future_event", data: #"{"type":"future_event","x":1}"#)
        }
        out += try decoder.decode(event: "ping", data: #"{"type":"ping"}"#)
        out += try decoder.finish()
        #expect(out.count == 5)
    }
}

@Suite("Anthropic Messages codec: client streams")
struct AnthropicMessagesStreamEncoderTests {
    private func encode(_ input: [ChatStreamEvent], model: String = "claude-via-keel") -> [ServerSentEvent] {
        var encoder = AnthropicMessagesCodec.StreamEncoder(model: model)
        var out: [ServerSentEvent] = []
        for event in input { out += encoder.encode(event) }
        out += encoder.finish()
        out += encoder.finish()
        return out
    }

    private func data(_ events: [ServerSentEvent]) throws -> [JSONValue] {
        try events.map { try JSONValue(parsing: $0.data) }
    }

    @Test func textStreamHasTheFullSequence() throws {
        // OpenAI's order: finish_reason first, usage in the last chunk.
        let out = encode([
            .start(id: "chatcmpl-123", model: "gpt-4o"),
            .textDelta("Hel"), .textDelta(""), .textDelta("lo"),
            .stop(.endTurn),
            .usage(ChatUsage(inputTokens: 1200, outputTokens: 7, cachedInputTokens: 1024)),
        ])
        #expect(out.map(\.event) == [
            "message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta",
            "content_block_stop", "message_delta", "message_stop",
        ])
        let d = try data(out)
        for (event, payload) in zip(out, d) { #expect(payload["type"] == .string(event.event ?? "")) }
        #expect(out[0].data == #"{"type":"message_start","message":{"id":"chatcmpl-123","type":"message","role":"assistant","content":[],"model":"claude-via-keel","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}"#)
        #expect(out[2].data == #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)
        #expect(out[3].data == #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#)
        #expect(out[5].data == #"{"type":"content_block_stop","index":0}"#)
        #expect(out[6].data == #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":176,"cache_creation_input_tokens":0,"cache_read_input_tokens":1024,"output_tokens":7}}"#)
        #expect(out[7].data == #"{"type":"message_stop"}"#)
    }

    @Test func toolCallsGetTheirOwnBlocks() throws {
        let out = encode([
            .start(id: "msg_1", model: "x"),
            .textDelta("Let me check."),
            .toolCallStart(index: 0, id: "call_a", name: "get_weather"),
            .toolCallDelta(index: 0, arguments: "{\"city\":"),
            .toolCallDelta(index: 0, arguments: "\"Paris\"}"),
            .toolCallStart(index: 1, id: "call_b", name: "get_time"),
            .toolCallDelta(index: 1, arguments: "{}"),
            .usage(ChatUsage(inputTokens: 50, outputTokens: 30)),
            .stop(.toolUse),
        ])
        let d = try data(out)
        let summary = zip(out, d).map { event, payload -> String in
            let index = payload["index"]?.intValue.map { " \($0)" } ?? ""
            return (event.event ?? "") + index
        }
        #expect(summary == [
            "message_start", "ping",
            "content_block_start 0", "content_block_delta 0", "content_block_stop 0",
            "content_block_start 1", "content_block_delta 1", "content_block_delta 1", "content_block_stop 1",
            "content_block_start 2", "content_block_delta 2", "content_block_stop 2",
            "message_delta", "message_stop",
        ])
        #expect(d[5]["content_block"] == ["type": "tool_use", "id": "call_a", "name": "get_weather", "input": [:]])
        #expect(d[6]["delta"] == ["type": "input_json_delta", "partial_json": "{\"city\":"])
        #expect(d[9]["content_block"] == ["type": "tool_use", "id": "call_b", "name": "get_time", "input": [:]])
        #expect(d[12]["delta"] == ["stop_reason": "tool_use", "stop_sequence": nil])
        #expect(d[12]["usage"]?["output_tokens"] == 30)
        #expect(d[12]["usage"]?["input_tokens"] == 50)
    }

    @Test func messageDeltaWaitsForUsageOrFinish() {
        var encoder = AnthropicMessagesCodec.StreamEncoder(model: "m")
        _ = encoder.encode(.start(id: "msg_1", model: "m"))
        _ = encoder.encode(.textDelta("Hi"))
        let atStop = encoder.encode(.stop(.maxTokens))
        #expect(atStop.map(\.event) == ["content_block_stop"])
        let atUsage = encoder.encode(.usage(ChatUsage(inputTokens: 9, outputTokens: 2)))
        #expect(atUsage.map(\.event) == ["message_delta"])
        #expect(atUsage.first?.data.contains(#""stop_reason":"max_tokens""#) == true)
        // A second usage after message_delta changes nothing.
        #expect(encoder.encode(.usage(ChatUsage(inputTokens: 9, outputTokens: 3))).isEmpty)
        #expect(encoder.finish().map(\.event) == ["message_stop"])
        #expect(encoder.finish().isEmpty)
        #expect(encoder.encode(.textDelta("late")).isEmpty)
    }

    @Test func withoutUsageOrStopFinishStillCompletesTheMessage() throws {
        let out = encode([.start(id: "msg_2", model: "m"), .textDelta("x")])
        #expect(out.map(\.event) == ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"])
        #expect(out[5].data == #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":0}}"#)
    }

    @Test func usageBeforeStopAndStopSequence() throws {
        let out = encode([
            .start(id: "msg_3", model: "m"),
            .usage(ChatUsage(inputTokens: 3, outputTokens: 4)),
            .textDelta("a"),
            .stop(.stopSequence("END")),
        ])
        #expect(out.map(\.event) == ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"])
        #expect(try JSONValue(parsing: out[5].data)["delta"] == ["stop_reason": "stop_sequence", "stop_sequence": "END"])
    }

    @Test func missingStartIsSynthesised() throws {
        let out = encode([.toolCallStart(index: 0, id: "toolu_1", name: "f"), .toolCallDelta(index: 0, arguments: "{}"), .stop(.toolUse)])
        #expect(out.first?.event == "message_start")
        let id = try #require(try JSONValue(parsing: out[0].data)["message"]?["id"]?.stringValue)
        #expect(id.hasPrefix("msg_") && id.count == 28)
        // A fragment for a tool call that never started has no block to go to.
        let orphan = encode([.start(id: "msg_4", model: "m"), .toolCallDelta(index: 3, arguments: "{}")])
        #expect(!orphan.contains { $0.event == "content_block_delta" })
    }

    @Test func lateFragmentGoesToItsOwnBlockIndex() throws {
        let out = encode([
            .start(id: "msg_5", model: "m"),
            .toolCallStart(index: 0, id: "call_a", name: "f"),
            .toolCallDelta(index: 0, arguments: "{\"a\":"),
            .toolCallStart(index: 1, id: "call_b", name: "g"),
            .toolCallDelta(index: 0, arguments: "1}"),
            .toolCallDelta(index: 1, arguments: "{}"),
            .stop(.toolUse),
        ])
        let deltas = try out.filter { $0.event == "content_block_delta" }.map { try JSONValue(parsing: $0.data) }
        #expect(deltas.map { $0["index"] } == [0, 0, 1])
        #expect(deltas.map { $0["delta"]?["partial_json"] } == ["{\"a\":", "1}", "{}"])
    }

    @Test func emptyStreamIsStillAValidMessage() {
        let out = encode([])
        #expect(out.map(\.event) == ["message_start", "ping", "message_delta", "message_stop"])
    }

    @Test func errorEvent() {
        let encoder = AnthropicMessagesCodec.StreamEncoder(model: "m")
        let overloaded = encoder.errorEvent(GatewayError(.upstream, status: 529, message: "Overloaded", type: "overloaded_error"))
        #expect(overloaded == [ServerSentEvent(event: "error", data: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)])
        let timeout = encoder.errorEvent(GatewayError(.upstreamUnavailable, status: 504, message: "The upstream timed out"))
        #expect(timeout.first?.data == #"{"type":"error","error":{"type":"api_error","message":"The upstream timed out"}}"#)
    }

    @Test func encoderOutputDecodesToTheSameEvents() throws {
        let input: [ChatStreamEvent] = [
            .start(id: "msg_rt", model: "claude-via-keel"),
            .textDelta("Two calls: "),
            .toolCallStart(index: 0, id: "toolu_a", name: "read"),
            .toolCallDelta(index: 0, arguments: "{\"path\":"),
            .toolCallDelta(index: 0, arguments: "\"README.md\"}"),
            .toolCallStart(index: 1, id: "toolu_b", name: "grep"),
            .toolCallDelta(index: 1, arguments: "{\"pattern\":\"TODO\"}"),
            .stop(.toolUse),
            .usage(ChatUsage(inputTokens: 5000, outputTokens: 60, cachedInputTokens: 4000, cacheWriteTokens: 500)),
        ]
        var decoder = AnthropicMessagesCodec.StreamDecoder()
        var decoded: [ChatStreamEvent] = []
        for event in encode(input) {
            decoded += try decoder.decode(event: event.event, data: event.data)
        }
        decoded += try decoder.finish()
        #expect(decoded == input)
    }

    @Test func decodedUpstreamStreamReEncodesForClients() throws {
        // Anthropic upstream → Keel events → Anthropic client: same blocks (thinking aside).
        var encoder = AnthropicMessagesCodec.StreamEncoder(model: "claude-sonnet-4-5")
        var out: [ServerSentEvent] = []
        for event in try decodeAll(AnthropicMessagesStreamDecoderTests.multiToolStream) { out += encoder.encode(event) }
        out += encoder.finish()
        let last = try JSONValue(parsing: #require(out.first { $0.event == "message_delta" }).data)
        #expect(last["usage"] == ["input_tokens": 472, "cache_creation_input_tokens": 2048, "cache_read_input_tokens": 30000, "output_tokens": 189])
        #expect(out.filter { $0.event == "content_block_start" }.count == 3)
    }
}
