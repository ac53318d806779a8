import KeelCore
import KeelHTTP
import Testing

@testable import KeelGateway

/// A chunk as OpenAI streams it (with `stream_options.include_usage`, hence `"usage":null`).
private func chunk(_ delta: String, finish: String? = nil) -> String {
    let reason = finish.map { "\"\($0)\"" } ?? "null"
    return #"{"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1733760000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_9d50cd990b","choices":[{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(reason)}],"usage":null}"#
}

private let usageChunk = #"{"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1733760000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_9d50cd990b","choices":[],"usage":{"prompt_tokens":1337,"completion_tokens":42,"total_tokens":1379,"prompt_tokens_details":{"cached_tokens":1280,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#

private func decodeAll(_ datas: [String], finish: Bool = true) throws -> [ChatStreamEvent] {
    var decoder = OpenAIChatCodec.StreamDecoder()
    var out: [ChatStreamEvent] = []
    for data in datas { out += try decoder.decode(event: nil, data: data) }
    if finish { out += try decoder.finish() }
    return out
}

/// The events' data parsed back to JSON (`[DONE]` kept as a string).
private func payloads(_ events: [ServerSentEvent]) throws -> [JSONValue] {
    try events.map { $0.data == "[DONE]" ? .string("[DONE]") : try JSONValue(parsing: $0.data) }
}

@Suite("OpenAI chat codec: streams")
struct OpenAIChatStreamTests {
    @Test("decodes a text stream with usage and [DONE]")
    func decodeText() throws {
        let events = try decodeAll([
            chunk(#"{"role":"assistant","content":"","refusal":null}"#),
            chunk(#"{"content":"Hello"}"#),
            chunk(#"{"content":" world"}"#),
            chunk(#"{}"#, finish: "stop"),
            usageChunk,
            "[DONE]",
        ])
        #expect(events == [
            .start(id: "chatcmpl-AbC123", model: "gpt-4o-2024-08-06"),
            .textDelta("Hello"), .textDelta(" world"),
            .stop(.endTurn),
            .usage(ChatUsage(inputTokens: 1337, outputTokens: 42, cachedInputTokens: 1280, reasoningTokens: 0)),
        ])
    }

    @Test("reassembles two streamed tool calls with fragmented arguments")
    func decodeParallelToolCalls() throws {
        let events = try decodeAll([
            chunk(#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":""}}],"refusal":null}"#),
            chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"lo"}}]}"#),
            chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"cation\": \"Paris\"}"}}]}"#),
            chunk(#"{"tool_calls":[{"index":1,"id":"call_ABc2","type":"function","function":{"name":"get_time","arguments":""}}]}"#),
            chunk(#"{"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\":"}}]}"#),
            chunk(#"{"tool_calls":[{"index":1,"function":{"arguments":"\"CET\"}"}}]}"#),
            chunk(#"{}"#, finish: "tool_calls"),
            usageChunk,
            "[DONE]",
        ])
        #expect(events.first == .start(id: "chatcmpl-AbC123", model: "gpt-4o-2024-08-06"))
        #expect(Array(events.dropFirst()) == [
            .toolCallStart(index: 0, id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather"),
            .toolCallDelta(index: 0, arguments: "{\"lo"),
            .toolCallDelta(index: 0, arguments: "cation\": \"Paris\"}"),
            .toolCallStart(index: 1, id: "call_ABc2", name: "get_time"),
            .toolCallDelta(index: 1, arguments: "{\"tz\":"),
            .toolCallDelta(index: 1, arguments: "\"CET\"}"),
            .stop(.toolUse),
            .usage(ChatUsage(inputTokens: 1337, outputTokens: 42, cachedInputTokens: 1280, reasoningTokens: 0)),
        ])
        #expect(arguments(events, 0) == #"{"location": "Paris"}"#)
        #expect(arguments(events, 1) == #"{"tz":"CET"}"#)
    }

    private func arguments(_ events: [ChatStreamEvent], _ index: Int) -> String {
        events.compactMap { if case .toolCallDelta(index, let a) = $0 { a } else { nil } }.joined()
    }

    @Test("maps upstream indices to order of appearance; tolerates reused index 0, missing index and early arguments")
    func decodeOddToolCallStreams() throws {
        // Upstream indices 3 and 7 (interleaved) become 0 and 1.
        let sparse = try decodeAll([
            chunk(#"{"tool_calls":[{"index":3,"id":"a","type":"function","function":{"name":"f","arguments":"{"}}]}"#),
            chunk(#"{"tool_calls":[{"index":7,"id":"b","type":"function","function":{"name":"g","arguments":"["}}]}"#),
            chunk(#"{"tool_calls":[{"index":3,"function":{"arguments":"}"}}]}"#),
            chunk(#"{"tool_calls":[{"index":7,"function":{"arguments":"]"}}]}"#),
            chunk(#"{}"#, finish: "tool_calls"),
        ])
        #expect(arguments(sparse, 0) == "{}")
        #expect(arguments(sparse, 1) == "[]")
        #expect(sparse.contains(.toolCallStart(index: 1, id: "b", name: "g")))

        // Every call at index 0 with its own id, whole calls per chunk, finish_reason "stop".
        let reused = try decodeAll([
            chunk(#"{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}"#),
            chunk(#"{"tool_calls":[{"index":0,"id":"c2","type":"function","function":{"name":"g","arguments":"{\"b\":2}"}}]}"#),
            chunk(#"{}"#, finish: "stop"),
        ])
        #expect(Array(reused.dropFirst()) == [
            .toolCallStart(index: 0, id: "c1", name: "f"), .toolCallDelta(index: 0, arguments: #"{"a":1}"#),
            .toolCallStart(index: 1, id: "c2", name: "g"), .toolCallDelta(index: 1, arguments: #"{"b":2}"#),
            .stop(.toolUse),
        ])

        // No index at all; arguments before the name; no id (one is made up).
        let loose = try decodeAll([
            chunk(#"{"tool_calls":[{"function":{"arguments":"{\"x\""}}]}"#),
            chunk(#"{"tool_calls":[{"function":{"name":"h","arguments":":1}"}}]}"#),
            chunk(#"{}"#, finish: "tool_calls"),
        ])
        #expect(Array(loose.dropFirst()) == [
            .toolCallStart(index: 0, id: "call_0", name: "h"), .toolCallDelta(index: 0, arguments: #"{"x":1}"#), .stop(.toolUse),
        ])
    }

    @Test("maps every finish_reason, refusals included", arguments: [
        ("stop", ChatStopReason.endTurn), ("length", .maxTokens), ("tool_calls", .toolUse), ("content_filter", .contentFilter), ("other", .other("other")),
    ])
    func decodeFinishReasons(reason: String, expected: ChatStopReason) throws {
        let events = try decodeAll([chunk(#"{"role":"assistant","content":"x"}"#), chunk(#"{}"#, finish: reason), "[DONE]"])
        #expect(events.last == .stop(expected))
    }

    @Test("a refusal streams as text with a content-filter stop")
    func decodeRefusal() throws {
        let events = try decodeAll([
            chunk(#"{"role":"assistant","content":null,"refusal":""}"#),
            chunk(#"{"refusal":"I'm sorry, "}"#),
            chunk(#"{"refusal":"I can't."}"#),
            chunk(#"{}"#, finish: "stop"),
            "[DONE]",
        ])
        #expect(Array(events.dropFirst()) == [.textDelta("I'm sorry, "), .textDelta("I can't."), .stop(.contentFilter)])
    }

    @Test("ends: [DONE] alone, finish without [DONE], truncation, usage on every chunk")
    func decodeEnds() throws {
        // A finish_reason without [DONE] is complete.
        let noDone = try decodeAll([chunk(#"{"content":"a"}"#), chunk(#"{}"#, finish: "length")])
        #expect(noDone.last == .stop(.maxTokens))

        // Cut off before any finish_reason.
        var decoder = OpenAIChatCodec.StreamDecoder()
        _ = try decoder.decode(event: nil, data: chunk(#"{"content":"a"}"#))
        let error = try #require(gatewayError { _ = try decoder.finish() })
        #expect(error.kind == .upstreamProtocol && error.status == 502)
        var empty = OpenAIChatCodec.StreamDecoder()
        #expect(gatewayError { _ = try empty.finish() } != nil)

        // [DONE] with no finish_reason: complete, with a synthesised stop.
        let bare = try decodeAll([chunk(#"{"content":"a"}"#), "[DONE]"])
        #expect(bare.last == .stop(.endTurn))

        // Usage on every chunk (vLLM continuous usage): reported once, the last value, at the end.
        let cumulative = try decodeAll([
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#,
            "[DONE]",
        ])
        #expect(Array(cumulative.dropFirst()) == [.textDelta("a"), .textDelta("b"), .stop(.endTurn), .usage(ChatUsage(inputTokens: 5, outputTokens: 2))])

        // Events after [DONE] are ignored; choices other than 0 are ignored.
        var d = OpenAIChatCodec.StreamDecoder()
        let other = try d.decode(event: nil, data: #"{"id":"c","model":"m","choices":[{"index":1,"delta":{"content":"B"},"finish_reason":null},{"index":0,"delta":{"content":"A"},"finish_reason":null}]}"#)
        #expect(other == [.start(id: "c", model: "m"), .textDelta("A")])
        _ = try d.decode(event: nil, data: "[DONE]")
        #expect(try d.decode(event: nil, data: chunk(#"{"content":"late"}"#)).isEmpty)
        #expect(try d.finish().isEmpty)
    }

    @Test("in-stream errors and garbage throw")
    func decodeErrors() throws {
        var decoder = OpenAIChatCodec.StreamDecoder()
        _ = try decoder.decode(event: nil, data: chunk(#"{"content":"a"}"#))
        let error = try #require(gatewayError {
            _ = try decoder.decode(event: nil, data: #"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#)
        })
        #expect(error.kind == .upstream)
        #expect(error.status == 502)
        #expect(error.message.contains("The server had an error"))

        var limited = OpenAIChatCodec.StreamDecoder()
        let rate = try #require(gatewayError { _ = try limited.decode(event: nil, data: #"{"error":{"message":"Rate limit","type":"rate_limit_error","code":"rate_limit_exceeded"}}"#) })
        #expect(rate.status == 429)

        var vllm = OpenAIChatCodec.StreamDecoder()
        let vllmError = try #require(gatewayError { _ = try vllm.decode(event: nil, data: #"{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}"#) })
        #expect(vllmError.status == 400)
        #expect(vllmError.kind == .upstream)

        var garbage = OpenAIChatCodec.StreamDecoder()
        let bad = try #require(gatewayError { _ = try garbage.decode(event: nil, data: "{not json") })
        #expect(bad.kind == .upstreamProtocol)
    }

    // MARK: Encoding

    @Test("encodes text, usage and [DONE] like OpenAI")
    func encodeText() throws {
        var encoder = OpenAIChatCodec.StreamEncoder(model: "my-model", includeUsage: true, created: 1733760000)
        var events: [ServerSentEvent] = []
        for e: ChatStreamEvent in [.start(id: "chatcmpl-X", model: "upstream-model"), .textDelta("Hi"), .textDelta(""), .textDelta(" there"),
                                   .usage(ChatUsage(inputTokens: 10, outputTokens: 2, cachedInputTokens: 4)), .stop(.endTurn)] {
            events += encoder.encode(e)
        }
        events += encoder.finish()
        #expect(events.allSatisfy { $0.event == nil })
        let head = #""id":"chatcmpl-X","object":"chat.completion.chunk","created":1733760000,"model":"my-model""#
        #expect(events.map(\.data) == [
            #"{\#(head),"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
            #"{\#(head),"choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
            #"{\#(head),"choices":[{"index":0,"delta":{"content":" there"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
            #"{\#(head),"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
            #"{\#(head),"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":0}}}"#,
            "[DONE]",
        ])
        #expect(encoder.finish().isEmpty)
    }

    @Test("encodes tool calls; without include_usage there is no usage member; system_fingerprint when set")
    func encodeToolCalls() throws {
        var encoder = OpenAIChatCodec.StreamEncoder(model: "m", includeUsage: false, id: "chatcmpl-fixed", created: 7, systemFingerprint: "fp_keel")
        var events: [ServerSentEvent] = []
        for e: ChatStreamEvent in [
            .start(id: "msg_01", model: "claude"), .textDelta("Checking."),
            .toolCallStart(index: 0, id: "toolu_a", name: "weather"), .toolCallDelta(index: 0, arguments: "{\"c\":"), .toolCallDelta(index: 0, arguments: "1}"),
            .toolCallStart(index: 1, id: "toolu_b", name: "clock"), .toolCallDelta(index: 1, arguments: "{}"),
            .stop(.toolUse), .usage(ChatUsage(inputTokens: 1, outputTokens: 1)), .textDelta("ignored after stop"),
        ] {
            events += encoder.encode(e)
        }
        events += encoder.finish()
        let p = try payloads(events)
        #expect(p.count == 9)
        #expect(p.dropLast().allSatisfy { $0["id"] == "chatcmpl-fixed" && $0["created"] == 7 && $0["model"] == "m" && $0["system_fingerprint"] == "fp_keel" && $0["usage"] == nil })
        #expect(p[0]["choices"]?[0]?["delta"] == ["role": "assistant", "content": "", "refusal": nil])
        #expect(p[1]["choices"]?[0]?["delta"] == ["content": "Checking."])
        #expect(p[2]["choices"]?[0]?["delta"] == (try json(#"{"tool_calls":[{"index":0,"id":"toolu_a","type":"function","function":{"name":"weather","arguments":""}}]}"#)))
        #expect(p[3]["choices"]?[0]?["delta"] == (try json(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"c\":"}}]}"#)))
        #expect(p[4]["choices"]?[0]?["delta"] == (try json(#"{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}"#)))
        #expect(p[5]["choices"]?[0]?["delta"]?["tool_calls"]?[0]?["id"] == "toolu_b")
        #expect(p[7]["choices"]?[0]?["finish_reason"] == "tool_calls")
        #expect(p[7]["choices"]?[0]?["delta"] == [:])
        #expect(p[8] == "[DONE]")
    }

    @Test("finish without stop still closes the turn; ids are made up when none is known")
    func encodeWithoutStop() throws {
        var encoder = OpenAIChatCodec.StreamEncoder(model: "m", includeUsage: true)
        let p = try payloads(encoder.finish())
        #expect(p.count == 3)
        #expect(p[0]["choices"]?[0]?["delta"]?["role"] == "assistant")
        #expect(p[1]["choices"]?[0]?["finish_reason"] == "stop")
        #expect(p[2] == "[DONE]")
        let id = try #require(p[0]["id"]?.stringValue)
        #expect(id.hasPrefix("chatcmpl-") && p[1]["id"]?.stringValue == id)
    }

    @Test("error events have OpenAI's shape and no [DONE]")
    func encodeError() throws {
        let encoder = OpenAIChatCodec.StreamEncoder(model: "m", includeUsage: false)
        let events = encoder.errorEvent(GatewayError(.upstream, status: 429, message: "slow down", code: "rate_limit_exceeded"))
        #expect(events.count == 1)
        #expect(events[0].data == #"{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}"#)
        let invalid = encoder.errorEvent(.invalid("bad", param: "messages"))
        #expect(try JSONValue(parsing: invalid[0].data) == (try json(#"{"error":{"message":"bad","type":"invalid_request_error","param":"messages","code":null}}"#)))
    }

    @Test("decoding what the encoder wrote gives back the events")
    func streamRoundTrip() throws {
        let original: [ChatStreamEvent] = [
            .start(id: "chatcmpl-rt", model: "m"), .textDelta("a"), .toolCallStart(index: 0, id: "c0", name: "f"),
            .toolCallDelta(index: 0, arguments: "{\"k\""), .toolCallDelta(index: 0, arguments: ":2}"),
            .toolCallStart(index: 1, id: "c1", name: "g"), .toolCallDelta(index: 1, arguments: "{}"),
            .stop(.toolUse), .usage(ChatUsage(inputTokens: 9, outputTokens: 8, cachedInputTokens: 7, reasoningTokens: 6)),
        ]
        var encoder = OpenAIChatCodec.StreamEncoder(model: "m", includeUsage: true)
        var sse: [ServerSentEvent] = []
        for e in original { sse += encoder.encode(e) }
        sse += encoder.finish()
        var decoder = OpenAIChatCodec.StreamDecoder()
        var decoded: [ChatStreamEvent] = []
        for e in sse { decoded += try decoder.decode(event: e.event, data: e.data) }
        decoded += try decoder.finish()
        #expect(decoded == original)
    }
}

@Suite("OpenAI null usage member")
struct OpenAINullUsageMemberTests {
    @Test(arguments: [
        (#"{"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}"#, #"{"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}]}"#),
        (#"{"id": "c", "usage": null, "choices": []}"#, #"{"id": "c", "choices": []}"#),
        (#"{"usage":null,"id":"c"}"#, #"{"id":"c"}"#),
        (#"{"usage" : null }"#, #"{ }"#),
    ])
    func nullUsageIsRemoved(input: String, expected: String) {
        #expect(OpenAIChatCodec.removingNullUsage(input) == expected)
    }

    @Test(arguments: [
        // Real usage stays; nested and quoted look-alikes are not members of the chunk.
        #"{"id":"c","choices":[],"usage":{"prompt_tokens":1}}"#,
        #"{"id":"c","choices":[{"delta":{"content":"\",\"usage\":null"},"usage":null}]}"#,
        #"{"id":"c","choices":[{"delta":{"content":"x"}}],"usage_extra":null}"#,
    ])
    func otherChunksAreUnchanged(input: String) {
        #expect(OpenAIChatCodec.removingNullUsage(input) == input)
    }
}
