import Testing
@testable import KeelGateway
import KeelTestSupport

// MARK: - Helpers

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Feeds `chunks` one after another, then finishes the stream.
private func parse(
    _ chunks: [[UInt8]],
    configuration: SSEParser.Configuration = SSEParser.Configuration()
) throws -> (events: [SSEEvent], parser: SSEParser) {
    var parser = SSEParser(configuration: configuration)
    var events: [SSEEvent] = []
    for chunk in chunks {
        events += try parser.feed(chunk)
    }
    events += try parser.finish()
    return (events, parser)
}

private func parse(_ text: String, configuration: SSEParser.Configuration = SSEParser.Configuration()) throws -> [SSEEvent] {
    try parse([bytes(text)], configuration: configuration).events
}

/// `stream` cut at the given (sorted) offsets.
private func split(_ stream: [UInt8], at offsets: [Int]) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var start = 0
    for offset in offsets {
        chunks.append(Array(stream[start..<offset]))
        start = offset
    }
    chunks.append(Array(stream[start...]))
    return chunks
}

/// Byte chunks delivered asynchronously, optionally followed by an error.
private struct ChunkSequence: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let chunks: [[UInt8]]
    var failure: TestFailure?

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<[UInt8]>
        let failure: TestFailure?
        mutating func next() async throws -> [UInt8]? {
            await Task.yield()
            if let chunk = remaining.popFirst() { return chunk }
            if let failure { throw failure }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(remaining: chunks[...], failure: failure)
    }
}

private struct TestFailure: Error, Equatable {}

// MARK: - Upstream samples

private let openAIStream = """
    data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}

    data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}

    data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" wörld ✓"},"logprobs":null,"finish_reason":null}]}

    data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}

    data: [DONE]


    """

private let geminiChunks = [
    #"{"candidates": [{"content": {"parts": [{"text": "Hello"}],"role": "model"},"index": 0}],"modelVersion": "gemini-2.0-flash"}"#,
    #"{"candidates": [{"content": {"parts": [{"text": " there"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 4,"candidatesTokenCount": 2,"totalTokenCount": 6}}"#,
]

/// A stream exercising every line ending, a byte order mark, comments, ids, retry, multi-line data
/// and multi-byte characters, for the split tests.
private let mixedStream: [UInt8] = [0xEF, 0xBB, 0xBF] + bytes(
    ": hello\r\n"
        + "retry: 2500\r\n"
        + "event: message_start\r\ndata: {\"a\":1}\r\nid: 1\r\n\r\n"
        + "data: first line\ndata:second line\n\n"
        + "data: crème brûlée ✓ 𝄞\r\rdata\r\r"
        + ": keep-alive\n"
        + "event: ping\ndata: {}\r\n\n"
        + "id\ndata: [DONE]\r\n\r\n"
        + "data: cut off"
)

private let mixedStreamEvents = [
    SSEEvent(event: "message_start", data: #"{"a":1}"#, id: "1", retry: 2500),
    SSEEvent(data: "first line\nsecond line"),
    SSEEvent(data: "crème brûlée ✓ 𝄞"),
    SSEEvent(data: ""),
    SSEEvent(event: "ping", data: "{}"),
    SSEEvent(data: "[DONE]", id: ""),
]

// MARK: - Tests

@Suite("SSEParser")
struct SSEParserTests {
    // MARK: WHATWG examples

    @Test func whatwgMultilineData() throws {
        let events = try parse("data: YHOO\ndata: +2\ndata: 10\n\n")
        #expect(events == [SSEEvent(data: "YHOO\n+2\n10")])
    }

    @Test func whatwgIDsAndComments() throws {
        let stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"
        let (events, parser) = try parse([bytes(stream)])
        #expect(events == [
            SSEEvent(data: "first event", id: "1"),
            SSEEvent(data: "second event", id: ""),
            SSEEvent(data: " third event"),
        ])
        #expect(parser.lastEventID == "")
        #expect(parser.commentCount == 1)
    }

    @Test func whatwgEmptyDataAndUnterminatedEvent() throws {
        let (events, parser) = try parse([bytes("data\n\ndata\ndata\n\ndata:")])
        #expect(events == [SSEEvent(data: ""), SSEEvent(data: "\n")])
        #expect(parser.discardedIncompleteEvent)
    }

    @Test func whatwgSpaceAfterColonIsOptional() throws {
        let events = try parse("data:test\n\ndata: test\n\n")
        #expect(events == [SSEEvent(data: "test"), SSEEvent(data: "test")])
    }

    @Test func whatwgEventTypes() throws {
        let events = try parse("event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n")
        #expect(events == [
            SSEEvent(event: "add", data: "73857293"),
            SSEEvent(event: "remove", data: "2153"),
            SSEEvent(event: "add", data: "113411"),
        ])
        #expect(events.map(\.type) == ["add", "remove", "add"])
    }

    // MARK: Upstream formats

    @Test func openAIChatCompletionsStream() throws {
        let (events, parser) = try parse([bytes(openAIStream)])
        try #require(events.count == 5)
        #expect(events.allSatisfy { $0.event == nil && $0.type == "message" && $0.id == nil })
        #expect(events[1].data.contains(#""content":"Hello""#))
        #expect(events[2].data.contains(#""content":" wörld ✓""#))
        #expect(events[3].data.contains(#""finish_reason":"stop""#))
        #expect(events.last?.data == "[DONE]")
        #expect(!parser.discardedIncompleteEvent)
    }

    @Test func anthropicMessagesStream() throws {
        let events = try parse(StreamFixtures.anthropicText)
        #expect(events.map(\.type) == [
            "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
            "content_block_stop", "message_delta", "message_stop",
        ])
        #expect(events[2].data == #"{"type": "ping"}"#)
        #expect(events[3].data == #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#)
        #expect(events.last?.data == #"{"type":"message_stop"}"#)
    }

    @Test func geminiAltSSEWithCRLF() throws {
        let stream = geminiChunks.map { "data: \($0)\r\n\r\n" }.joined()
        let events = try parse(stream)
        #expect(events == geminiChunks.map { SSEEvent(data: $0) })
        // Also when every CRLF pair is torn apart by the chunking.
        let torn = bytes(stream).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated().map { index, piece in
            index == 0 ? Array(piece) : [0x0A] + Array(piece)
        }
        #expect(try parse(torn).events == geminiChunks.map { SSEEvent(data: $0) })
    }

    // MARK: Chunking

    @Test func wholeMixedStream() throws {
        let (events, parser) = try parse([mixedStream])
        #expect(events == mixedStreamEvents)
        #expect(parser.commentCount == 2)
        #expect(parser.reconnectionTime == 2500)
        #expect(parser.lastEventID == "")
        #expect(parser.discardedIncompleteEvent)
    }

    @Test func byteByByte() throws {
        let (events, parser) = try parse(mixedStream.map { [$0] })
        #expect(events == mixedStreamEvents)
        #expect(parser.commentCount == 2)
        #expect(parser.discardedIncompleteEvent)
    }

    @Test func twoPiecesAtEveryOffset() throws {
        for offset in 0...mixedStream.count {
            let (events, parser) = try parse(split(mixedStream, at: [offset]))
            #expect(events == mixedStreamEvents, "split at \(offset)")
            #expect(parser.commentCount == 2, "split at \(offset)")
        }
    }

    @Test func threePiecesAtEveryPairOfOffsetsInTheHead() throws {
        // The first 80 bytes hold the byte order mark, a comment, retry, CRLF endings and an event.
        for first in 0...80 {
            for second in first...80 {
                let events = try parse(split(mixedStream, at: [first, second])).events
                #expect(events == mixedStreamEvents, "split at \(first), \(second)")
            }
        }
    }

    @Test func randomSplits() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        let streams = [mixedStream, bytes(openAIStream), bytes(StreamFixtures.anthropicText)]
        for stream in streams {
            let expected = try parse([stream]).events
            for _ in 0..<300 {
                let cuts = (0..<Int.random(in: 1...12, using: &generator)).map { _ in
                    Int.random(in: 0...stream.count, using: &generator)
                }.sorted()
                #expect(try parse(split(stream, at: cuts)).events == expected, "cuts \(cuts)")
            }
        }
    }

    @Test func carriageReturnAndLineFeedInSeparateChunks() throws {
        // CR at the end of a chunk and LF at the start of the next form one line end, so the data
        // lines belong to one event.
        #expect(try parse([bytes("data: a\r"), bytes("\ndata: b\r\n\r\n")]).events == [SSEEvent(data: "a\nb")])
        // Empty chunks in between do not break the pair.
        #expect(try parse([bytes("data: a\r"), [], bytes("\n"), [], bytes("\r"), bytes("\n")]).events == [SSEEvent(data: "a")])
        // A CR followed by another CR is a blank line.
        #expect(try parse([bytes("data: a\r"), bytes("\r")]).events == [SSEEvent(data: "a")])
    }

    @Test func loneCarriageReturnLineEndings() throws {
        #expect(try parse("data: a\rdata: b\r\rdata: c\r\r") == [SSEEvent(data: "a\nb"), SSEEvent(data: "c")])
    }

    @Test func nonContiguousInput() throws {
        var parser = SSEParser()
        let events = try parser.feed(bytes("data: x\n\n").lazy.map { $0 })
        #expect(events == [SSEEvent(data: "x")])
    }

    @Test func feedIntoAppends() throws {
        var parser = SSEParser()
        var events = [SSEEvent(data: "earlier")]
        try parser.feed(bytes("data: a\n\nda"), into: &events)
        try parser.feed(bytes("ta: b\n\n"), into: &events)
        try parser.finish(into: &events)
        #expect(events == [SSEEvent(data: "earlier"), SSEEvent(data: "a"), SSEEvent(data: "b")])
    }

    // MARK: Byte order mark

    @Test func byteOrderMarkIsSkippedOnce() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(try parse([bom + bytes("data: x\n\n")]).events == [SSEEvent(data: "x")])
        // Split inside the mark.
        #expect(try parse([[0xEF], [0xBB], [0xBF, 0x64], bytes("ata: x\n\n")]).events == [SSEEvent(data: "x")])
        // A second mark is part of the field name, which is then unknown.
        #expect(try parse([bom + bom + bytes("data: x\n\ndata: y\n\n")]).events == [SSEEvent(data: "y")])
        // Only at the very start of the stream.
        #expect(try parse([bytes("\n") + bom + bytes("data: x\n\ndata: y\n\n")]).events == [SSEEvent(data: "y")])
    }

    @Test func byteOrderMarkIsSkippedAgainAfterFinish() throws {
        var parser = SSEParser()
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(try parser.feed(bom + bytes("data: 1\n\n")) == [SSEEvent(data: "1")])
        #expect(try parser.finish().isEmpty)
        #expect(try parser.feed(bom + bytes("data: 2\n\n")) == [SSEEvent(data: "2")])
    }

    // MARK: Fields

    @Test func commentsAreCountedAndIgnored() throws {
        let (events, parser) = try parse([bytes(": ping\n\n:\n\n: keep-alive\ndata: x\n: between\ndata: y\n\n")])
        #expect(events == [SSEEvent(data: "x\ny")])
        #expect(parser.commentCount == 4)
    }

    @Test func dataWithoutSpaceAndWithExtraSpace() throws {
        #expect(try parse("data:x\n\n") == [SSEEvent(data: "x")])
        #expect(try parse("data:  x \n\n") == [SSEEvent(data: " x ")])
        #expect(try parse("data: a: b\n\n") == [SSEEvent(data: "a: b")])
        #expect(try parse("data\n\n") == [SSEEvent(data: "")])
    }

    @Test func multipleDataLines() throws {
        #expect(try parse("data: a\ndata:\ndata: c\n\n") == [SSEEvent(data: "a\n\nc")])
    }

    @Test func unknownFieldsAreIgnored() throws {
        #expect(try parse("foo: bar\nData: no\ndata : no\ndata: yes\n\n") == [SSEEvent(data: "yes")])
    }

    @Test func eventTypeResetsAfterEachBlock() throws {
        let events = try parse("event: foo\ndata: a\n\ndata: b\n\nevent: bar\n\ndata: c\n\nevent:\ndata: d\n\n")
        #expect(events == [SSEEvent(event: "foo", data: "a"), SSEEvent(data: "b"), SSEEvent(data: "c"), SSEEvent(data: "d")])
    }

    @Test func retry() throws {
        let (events, parser) = try parse([bytes("retry: 3000\ndata: a\n\nretry: 10x\ndata: b\n\nretry:\nretry: -5\nretry: 99999999999999999999999\ndata: c\n\nretry: 7\n\n")])
        #expect(events == [SSEEvent(data: "a", retry: 3000), SSEEvent(data: "b"), SSEEvent(data: "c")])
        #expect(parser.reconnectionTime == 7)
    }

    @Test func idPersistsAndIsIgnoredWithNUL() throws {
        let stream = bytes("id: 1\ndata: a\n\ndata: b\n\nid: 2") + [0] + bytes("x\ndata: c\n\nid: 3\n\n")
        let (events, parser) = try parse([stream])
        #expect(events == [SSEEvent(data: "a", id: "1"), SSEEvent(data: "b"), SSEEvent(data: "c")])
        #expect(parser.lastEventID == "3")
    }

    @Test func lastEventIDIsTrackedAcrossChunks() throws {
        var parser = SSEParser()
        _ = try parser.feed(bytes("id: abc\ndata: 1\n\n"))
        #expect(parser.lastEventID == "abc")
        _ = try parser.feed(bytes("data: 2\n\n"))
        #expect(parser.lastEventID == "abc")
        _ = try parser.feed(bytes("id\n\n"))
        #expect(parser.lastEventID == "")
    }

    // MARK: UTF-8

    @Test func invalidUTF8IsReplaced() throws {
        let stream = bytes("event: a") + [0xC3] + bytes("\ndata: x") + [0xFF, 0xFE] + bytes("y\ndata: ") + [0xE2, 0x9C] + bytes("\nid: ") + [0x80] + bytes("\n\n")
        let events = try parse([stream]).events
        #expect(events == [SSEEvent(event: "a\u{FFFD}", data: "x\u{FFFD}\u{FFFD}y\n\u{FFFD}", id: "\u{FFFD}")])
    }

    @Test func multiByteCharacterSplitAcrossChunks() throws {
        let stream = bytes("data: 𝄞é\n\n")
        for offset in 6...10 {
            #expect(try parse(split(stream, at: [offset])).events == [SSEEvent(data: "𝄞é")])
        }
    }

    // MARK: Limits

    @Test func eventAtTheLimitIsAccepted() throws {
        let configuration = SSEParser.Configuration(maxEventSize: 64)
        let line = "data: " + String(repeating: "x", count: 58)
        #expect(line.utf8.count == 64)
        #expect(try parse(line + "\n\n", configuration: configuration) == [SSEEvent(data: String(repeating: "x", count: 58))])
    }

    @Test func oversizedEventThrows() throws {
        let configuration = SSEParser.Configuration(maxEventSize: 64)
        var parser = SSEParser(configuration: configuration)
        let line = bytes("data: " + String(repeating: "x", count: 30) + "\n")
        #expect(try parser.feed(line) == [])
        let error = #expect(throws: SSEParserError.self) { try parser.feed(line) }
        #expect(error?.code == .eventTooLarge)
        // The parser stays failed until the stream is finished.
        #expect(throws: SSEParserError.self) { try parser.feed(bytes("\n")) }
        #expect(try parser.finish() == [])
        #expect(try parser.feed(bytes("data: ok\n\n")) == [SSEEvent(data: "ok")])
    }

    @Test func oversizedLineWithoutEndThrows() throws {
        var parser = SSEParser(configuration: SSEParser.Configuration(maxEventSize: 1024))
        let chunk = [UInt8](repeating: 0x61, count: 300)
        for _ in 0..<3 { _ = try parser.feed(chunk) }
        let error = #expect(throws: SSEParserError.self) { try parser.feed(chunk) }
        #expect(error?.code == .eventTooLarge)
        // A long comment line counts too.
        var commentParser = SSEParser(configuration: SSEParser.Configuration(maxEventSize: 16))
        #expect(throws: SSEParserError.self) { try commentParser.feed(bytes(": " + String(repeating: "z", count: 20) + "\n")) }
    }

    @Test func largeEventsWithinDefaultLimit() throws {
        let payload = String(repeating: "0123456789abcdef", count: 16 * 1024)
        let stream = bytes("data: \(payload)\n\ndata: small\n\n")
        var chunks: [[UInt8]] = []
        var start = 0
        while start < stream.count {
            chunks.append(Array(stream[start..<min(start + 16 * 1024, stream.count)]))
            start += 16 * 1024
        }
        #expect(try parse(chunks).events == [SSEEvent(data: payload), SSEEvent(data: "small")])
    }

    // MARK: End of stream

    @Test func truncatedFinalEventIsDiscardedAndReported() throws {
        for stream in ["data: a\n\ndata: b", "data: a\n\ndata: b\n", "data: a\n\nevent: x\ndata: b\r"] {
            let (events, parser) = try parse([bytes(stream)])
            #expect(events == [SSEEvent(data: "a")], "\(stream.debugDescription)")
            #expect(parser.discardedIncompleteEvent, "\(stream.debugDescription)")
        }
    }

    @Test func cleanEndIsNotReportedAsTruncated() throws {
        for stream in ["data: a\n\n", "data: a\n\n: ping", "data: a\n\nevent: x\n", "data: a\n\nid: 9", ""] {
            let (_, parser) = try parse([bytes(stream)])
            #expect(!parser.discardedIncompleteEvent, "\(stream.debugDescription)")
        }
    }

    @Test func unterminatedFinalLineDoesNotChangeState() throws {
        let (_, parser) = try parse([bytes("id: 1\ndata: a\n\nid: 2")])
        #expect(parser.lastEventID == "1")
    }

    @Test func dispatchPolicyDeliversTheTruncatedEvent() throws {
        let configuration = SSEParser.Configuration(incompleteEvent: .dispatch)
        let (events, parser) = try parse([bytes("data: a\n\nevent: last\nid: 5\ndata: b")], configuration: configuration)
        #expect(events == [SSEEvent(data: "a"), SSEEvent(event: "last", data: "b", id: "5")])
        #expect(!parser.discardedIncompleteEvent)
        #expect(parser.lastEventID == "5")
    }

    @Test func failPolicyThrows() throws {
        var parser = SSEParser(configuration: SSEParser.Configuration(incompleteEvent: .fail))
        #expect(try parser.feed(bytes("data: a\n\ndata: [DO")) == [SSEEvent(data: "a")])
        let error = #expect(throws: SSEParserError.self) { try parser.finish() }
        #expect(error?.code == .truncatedStream)
        #expect(parser.discardedIncompleteEvent)
        // A complete stream finishes quietly.
        #expect(try parser.feed(bytes("data: [DONE]\n\n")) == [SSEEvent(data: "[DONE]")])
        #expect(try parser.finish() == [])
    }

    @Test func resetForgetsThePendingEvent() throws {
        var parser = SSEParser()
        _ = try parser.feed(bytes("id: 4\ndata: a\n\ndata: half"))
        parser.reset()
        #expect(try parser.feed(bytes("\n\n")) == [])
        #expect(parser.lastEventID == "4")
    }

    // MARK: Async sequence

    @Test func eventSequenceOverChunks() async throws {
        let stream = bytes(StreamFixtures.anthropicText)
        let chunks = split(stream, at: [1, 17, 100, 101, 333, 600])
        var events: [SSEEvent] = []
        for try await event in ChunkSequence(chunks: chunks).serverSentEvents() {
            events.append(event)
        }
        #expect(events == (try parse(StreamFixtures.anthropicText)))
    }

    @Test func eventSequenceReportsTruncation() async throws {
        var iterator = SSEEventSequence(ChunkSequence(chunks: [bytes("data: a\n\ndata: b")])).makeAsyncIterator()
        #expect(try await iterator.next() == SSEEvent(data: "a"))
        #expect(try await iterator.next() == nil)
        #expect(iterator.parser.discardedIncompleteEvent)
        #expect(try await iterator.next() == nil)
    }

    @Test func eventSequencePropagatesBaseErrors() async throws {
        let base = ChunkSequence(chunks: [bytes("data: a\n\ndata: b\n")], failure: TestFailure())
        var iterator = base.serverSentEvents().makeAsyncIterator()
        #expect(try await iterator.next() == SSEEvent(data: "a"))
        await #expect(throws: TestFailure.self) { try await iterator.next() }
        #expect(try await iterator.next() == nil)
    }

    @Test func eventSequencePropagatesParserErrors() async throws {
        let base = ChunkSequence(chunks: [bytes("data: a\n\n"), bytes("data: " + String(repeating: "y", count: 100))])
        var iterator = base.serverSentEvents(configuration: SSEParser.Configuration(maxEventSize: 50)).makeAsyncIterator()
        #expect(try await iterator.next() == SSEEvent(data: "a"))
        let error = await #expect(throws: SSEParserError.self) { try await iterator.next() }
        #expect(error?.code == .eventTooLarge)
        #expect(try await iterator.next() == nil)
    }

    @Test func eventSequenceStopsWhenTheConsumerStops() async throws {
        let chunks = [bytes(openAIStream)]
        var data: [String] = []
        for try await event in ChunkSequence(chunks: chunks).serverSentEvents() {
            if event.data == "[DONE]" { break }
            data.append(event.data)
        }
        #expect(data.count == 4)
    }
}
