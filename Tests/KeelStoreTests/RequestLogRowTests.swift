import Foundation
import Testing
@testable import KeelStore

@Suite("Request log values")
struct RequestLogRowTests {
    @Test("metadata is stored as a JSON object with sorted keys and read back unchanged")
    func metadataRoundTrip() {
        let metadata = ["b": "2", "a": "quote \" and \\ and \n", "ü": "🦀"]
        let json = RequestLogRow.encodeMetadata(metadata)
        #expect(json.hasPrefix(#"{"a":"quote \" and \\ and \n","b":"2","#))
        #expect(RequestLogRow.decodeMetadata(json) == metadata)
        #expect(RequestLogRow.encodeMetadata([:]) == "{}")
        #expect(RequestLogRow.decodeMetadata("{}") == [:])
    }

    @Test("unreadable metadata reads as empty instead of failing the query")
    func malformedMetadata() {
        #expect(RequestLogRow.decodeMetadata(nil) == [:])
        #expect(RequestLogRow.decodeMetadata("not json") == [:])
        #expect(RequestLogRow.decodeMetadata(#"{"n": 1}"#) == [:])
        #expect(RequestLogRow.decodeMetadata(#"["a"]"#) == [:])
        #expect(RequestLogRow.decodeMetadata(#"{"a": "x", "n": 1, "b": null}"#) == ["a": "x"])
    }

    @Test("times convert between Date and milliseconds since the epoch")
    func timeConversion() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.1239)
        let ms = RequestLogEntry.millisecondsSinceEpoch(date)
        #expect(ms == 1_700_000_000_123)
        let entry = RequestLogEntry(id: "x", time: ms, inboundAPI: "openai.chat_completions", model: "m")
        #expect(entry.date.timeIntervalSince1970 == 1_700_000_000.123)
    }

    @Test("a cursor continues after the entry it was made from")
    func cursorFromEntry() {
        let entry = RequestLogEntry(id: "abc", time: 42, inboundAPI: "anthropic.messages", model: "m")
        #expect(RequestLogCursor(after: entry) == RequestLogCursor(time: 42, id: "abc"))
    }
}

@Suite("OneShot")
struct OneShotTests {
    @Test("a result delivered before the wait is returned; later results are ignored")
    func completeBeforeWait() async throws {
        let shot = OneShot<Int>()
        shot.complete(.success(1))
        shot.complete(.success(2))
        #expect(try await shot.wait(cancellable: true) == 1)
    }

    @Test("a result delivered from another thread resumes the waiting task")
    func completeFromThread() async throws {
        let shot = OneShot<String>()
        let thread = Thread { shot.complete(.success("done")) }
        thread.start()
        #expect(try await shot.wait(cancellable: false) == "done")
    }

    @Test("cancelling a cancellable wait ends it with CancellationError")
    func cancellation() async throws {
        let shot = OneShot<Int>()
        let task = Task { try await shot.wait(cancellable: true) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        shot.complete(.success(3))
    }
}
