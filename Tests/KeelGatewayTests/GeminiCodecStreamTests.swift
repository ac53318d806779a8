import KeelCore
import KeelHTTP
import Testing

@testable import KeelGateway

/// Recorded `streamGenerateContent?alt=sse` bodies.
enum GeminiStreamFixtures {
    /// A text answer after a thought summary: usage grows on every chunk, the last has the finish
    /// reason and the full counts (with cache and thoughts).
    static let text = #"""
    data: {"candidates": [{"content": {"parts": [{"text": "**Greeting**\nThe user says hi.","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 1040,"totalTokenCount": 1040,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 1040}],"thoughtsTokenCount": 31},"modelVersion": "gemini-2.5-flash","responseId": "Ql7aaJ3JLc2qkdUPl8yA8Aw"}

    data: {"candidates": [{"content": {"parts": [{"text": "Hello","thoughtSignature": "CiQBz3nX"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 1040,"totalTokenCount": 1072,"thoughtsTokenCount": 31},"modelVersion": "gemini-2.5-flash","responseId": "Ql7aaJ3JLc2qkdUPl8yA8Aw"}

    data: {"candidates": [{"content": {"parts": [{"text": " there!"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 1040,"totalTokenCount": 1074,"thoughtsTokenCount": 31},"modelVersion": "gemini-2.5-flash","responseId": "Ql7aaJ3JLc2qkdUPl8yA8Aw"}

    data: {"candidates": [{"content": {"parts": [{"text": ""}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 1040,"candidatesTokenCount": 3,"totalTokenCount": 1074,"cachedContentTokenCount": 1024,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 1040}],"cacheTokensDetails": [{"modality": "TEXT","tokenCount": 1024}],"thoughtsTokenCount": 31},"modelVersion": "gemini-2.5-flash","responseId": "Ql7aaJ3JLc2qkdUPl8yA8Aw"}


    """#

    /// Two function calls, whole, in one chunk that also finishes the answer.
    static let twoCalls = #"""
    data: {"candidates": [{"content": {"parts": [{"text": "Checking both."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 95,"totalTokenCount": 95},"modelVersion": "gemini-3-pro-preview","responseId": "s2"}

    data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather","args": {"city": "Paris"}},"thoughtSignature": "EpQFCpEFAdHtim"},{"functionCall": {"name": "get_time","args": {"tz": "Europe/Paris"}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 95,"candidatesTokenCount": 40,"totalTokenCount": 160,"thoughtsTokenCount": 25},"modelVersion": "gemini-3-pro-preview","responseId": "s2"}


    """#
}

private func decodeAll(_ recording: String) throws -> [ChatStreamEvent] {
    var parser = SSEParser()
    var decoder = GeminiCodec.StreamDecoder()
    var out: [ChatStreamEvent] = []
    for e in try parser.feed(Array(recording.utf8)) + parser.finish() {
        out += try decoder.decode(event: e.event, data: e.data)
    }
    return out + (try decoder.finish())
}

@Suite("Gemini codec: upstream streams")
struct GeminiStreamDecoderTests {
    @Test func decodesATextStream() throws {
        #expect(try decodeAll(GeminiStreamFixtures.text) == [
            .start(id: "Ql7aaJ3JLc2qkdUPl8yA8Aw", model: "gemini-2.5-flash"),
            .textDelta("Hello"),
            .textDelta(" there!"),
            .stop(.endTurn),
            .usage(ChatUsage(inputTokens: 1040, outputTokens: 34, cachedInputTokens: 1024, reasoningTokens: 31)),
        ])
    }

    @Test func functionCallsArriveWholeAndStopAsToolUse() throws {
        let events = try decodeAll(GeminiStreamFixtures.twoCalls)
        #expect(events.count == 8)
        #expect(events[1] == .textDelta("Checking both."))
        guard case .toolCallStart(0, let id0, "get_weather") = events[2], case .toolCallStart(1, let id1, "get_time") = events[4] else {
            Issue.record("expected two tool call starts, got \(events)")
            return
        }
        #expect(id0.hasPrefix("call_") && id1.hasPrefix("call_") && id0 != id1)
        #expect(events[3] == .toolCallDelta(index: 0, arguments: #"{"city":"Paris"}"#))
        #expect(events[5] == .toolCallDelta(index: 1, arguments: #"{"tz":"Europe/Paris"}"#))
        #expect(events[6] == .stop(.toolUse))
        #expect(events[7] == .usage(ChatUsage(inputTokens: 95, outputTokens: 65, reasoningTokens: 25)))
    }

    @Test func reEncodesForAnthropicClientsAsAFullEventSequence() throws {
        var encoder = AnthropicMessagesCodec.StreamEncoder(model: "gemini")
        var names: [String] = []
        for event in try decodeAll(GeminiStreamFixtures.twoCalls) {
            names += encoder.encode(event).compactMap(\.event)
        }
        names += encoder.finish().compactMap(\.event)
        #expect(names == [
            "message_start", "ping",
            "content_block_start", "content_block_delta",
            "content_block_stop", "content_block_start", "content_block_delta",
            "content_block_stop", "content_block_start", "content_block_delta",
            "content_block_stop", "message_delta", "message_stop",
        ])
    }

    @Test func aStreamWithoutFinishReasonIsTruncated() throws {
        let cut = String(GeminiStreamFixtures.text.split(separator: "\n\n").prefix(2).joined(separator: "\n\n")) + "\n\n"
        var parser = SSEParser()
        var decoder = GeminiCodec.StreamDecoder()
        var events: [ChatStreamEvent] = []
        for e in try parser.feed(Array(cut.utf8)) { events += try decoder.decode(event: e.event, data: e.data) }
        #expect(events.last == .textDelta("Hello"))
        let error = gatewayError { _ = try decoder.finish() }
        #expect(error?.status == 502)
        #expect(error?.message.contains("ended before") == true)
    }

    @Test func inStreamErrorsAndBlockedPrompts() throws {
        var decoder = GeminiCodec.StreamDecoder()
        let error = gatewayError { _ = try decoder.decode(event: nil, data: #"{"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}"#) }
        #expect(error?.status == 502)
        #expect(error?.message.contains("overloaded") == true)

        var blocked = GeminiCodec.StreamDecoder()
        let events = try blocked.decode(event: nil, data: #"{"promptFeedback": {"blockReason": "SAFETY"},"usageMetadata": {"promptTokenCount": 7,"totalTokenCount": 7},"modelVersion": "gemini-2.5-flash","responseId": "x"}"#)
        #expect(events.dropFirst().first == .stop(.contentFilter))
        #expect(try blocked.finish() == [.usage(ChatUsage(inputTokens: 7))])

        var garbage = GeminiCodec.StreamDecoder()
        #expect(gatewayError { _ = try garbage.decode(event: nil, data: "not json") }?.status == 502)
    }

    @Test func chunksAfterTheFinishOnlyUpdateUsage() throws {
        var decoder = GeminiCodec.StreamDecoder()
        _ = try decoder.decode(event: nil, data: #"{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}]}"#)
        let late = try decoder.decode(event: nil, data: #"{"candidates":[{"content":{"parts":[{"text":"late"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"totalTokenCount":4}}"#)
        #expect(late.isEmpty)
        #expect(try decoder.finish() == [.usage(ChatUsage(inputTokens: 3, outputTokens: 1))])
    }
}
