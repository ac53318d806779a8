#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental parser for `text/event-stream` bodies, following the WHATWG HTML "event stream
/// interpretation" (§9.2.6).
///
/// Feed it the body's bytes in whatever chunks the network delivers; it returns the events that
/// became complete. Lines may end with CRLF, LF or CR, also when a CRLF pair is split between two
/// chunks; a leading UTF-8 byte order mark is skipped; comment lines (starting with `:`) are counted
/// in ``commentCount`` (callers may treat them as keep-alives) and otherwise ignored. A blank line
/// dispatches the event when its data buffer is non-empty. Field values are decoded as UTF-8 with
/// invalid bytes replaced by U+FFFD; everything else works on bytes.
///
/// Call ``finish()`` at the end of the body. An event still missing its blank line is handled as
/// ``Configuration/incompleteEvent`` says (discarded by default, as the specification requires, with
/// ``discardedIncompleteEvent`` set so the caller can report a truncated upstream stream).
///
/// ```swift
/// var parser = SSEParser()
/// for try await chunk in response.body {
///     for event in try parser.feed(chunk) { handle(event) }
/// }
/// for event in try parser.finish() { handle(event) }
/// ```
public struct SSEParser: Sendable {
    /// What ``SSEParser/finish()`` does with an event whose terminating blank line never came.
    public enum IncompleteEventPolicy: Sendable, Hashable {
        /// Drop it, as the WHATWG specification requires, and set
        /// ``SSEParser/discardedIncompleteEvent``.
        case discard
        /// Dispatch it as if the blank line had arrived, as many lenient clients do.
        case dispatch
        /// Drop it and throw ``SSEParserError`` with code `.truncatedStream`.
        case fail
    }

    /// Limits and end-of-stream behaviour.
    public struct Configuration: Sendable, Hashable {
        /// The largest event accepted, in bytes: any single line, plus the `data` already
        /// collected for the event it belongs to, must fit. Default: 8 MiB (8,388,608 bytes).
        public var maxEventSize: Int
        /// What ``SSEParser/finish()`` does with an unterminated final event. Default: `.discard`.
        public var incompleteEvent: IncompleteEventPolicy

        /// Creates a configuration; every parameter defaults to the value documented on its property.
        public init(maxEventSize: Int = 8 * 1024 * 1024, incompleteEvent: IncompleteEventPolicy = .discard) {
            precondition(maxEventSize > 0, "maxEventSize must be positive")
            self.maxEventSize = maxEventSize
            self.incompleteEvent = incompleteEvent
        }
    }

    /// The limits and end-of-stream behaviour this parser was created with.
    public let configuration: Configuration

    /// The last event ID buffer: the value of the most recent valid `id:` field (empty if none),
    /// kept across events and across ``finish()``, for a `Last-Event-ID` header on reconnection.
    public private(set) var lastEventID: String = ""
    /// The reconnection time in milliseconds from the most recent valid `retry:` field, if any.
    public private(set) var reconnectionTime: Int?
    /// How many comment lines (`:` …) have been seen since the parser was created.
    public private(set) var commentCount: Int = 0
    /// Whether the last ``finish()`` dropped an event that lacked its terminating blank line, that
    /// is, whether the upstream stream was cut off in the middle of an event.
    public private(set) var discardedIncompleteEvent: Bool = false

    /// The bytes of a line whose end has not arrived yet.
    private var partialLine: [UInt8] = []
    /// The data buffer: every `data` field value of the current event, each followed by LF.
    private var dataBuffer: [UInt8] = []
    /// The event type buffer; nil stands for the empty string (type `message`).
    private var eventType: String?
    /// The `id` field seen in the current event's block.
    private var blockID: String?
    /// The `retry` field seen in the current event's block.
    private var blockRetry: Int?
    /// The previous chunk ended with CR: an LF starting the next chunk belongs to that line end.
    private var skipLeadingLF = false
    /// No line has been processed yet in this stream, so a byte order mark may still come.
    private var atStreamStart = true
    /// The error that stopped parsing of the current stream, thrown again until ``finish()``.
    private var failure: SSEParserError?

    /// Buffers larger than this are released rather than kept for reuse after an event.
    private static let retainedCapacity = 64 * 1024

    /// Creates a parser at the start of a stream.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    // MARK: - Feeding

    /// Parses the next chunk of the stream and returns the events it completed, in order.
    ///
    /// - Throws: ``SSEParserError`` with code `.eventTooLarge` when a line or event exceeds
    ///   ``Configuration/maxEventSize``. The oversized event is dropped and every later call throws
    ///   the same error until ``finish()`` or ``reset()``; the stream should be abandoned.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(SSEParserError) -> [SSEEvent] {
        var events: [SSEEvent] = []
        try feed(bytes, into: &events)
        return events
    }

    /// Parses the next chunk of the stream and appends the events it completed to `events`.
    ///
    /// This is ``feed(_:)`` without a new array per chunk. Throws as ``feed(_:)`` does.
    public mutating func feed(_ bytes: some Collection<UInt8>, into events: inout [SSEEvent]) throws(SSEParserError) {
        if let failure { throw failure }
        var thrown: SSEParserError?
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(SSEParserError) { try self.parse(buffer, into: &events) } catch { thrown = error }
        }
        if handled == nil {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { buffer in
                do throws(SSEParserError) { try self.parse(buffer, into: &events) } catch { thrown = error }
            }
        }
        if let thrown {
            failure = thrown
            partialLine = []
            dataBuffer = []
            eventType = nil
            blockID = nil
            blockRetry = nil
            throw thrown
        }
    }

    /// Ends the stream and returns what it still held: nothing, unless the policy is `.dispatch`
    /// and the stream stopped in the middle of an event.
    ///
    /// Afterwards the parser is ready for a new stream (a reconnection): ``lastEventID``,
    /// ``reconnectionTime`` and ``commentCount`` are kept, everything else starts over, including the
    /// byte order mark check. Sets ``discardedIncompleteEvent``.
    ///
    /// - Throws: ``SSEParserError`` with code `.truncatedStream` when the policy is `.fail` and an
    ///   event was cut off. A failure from ``feed(_:)`` is not thrown again.
    public mutating func finish() throws(SSEParserError) -> [SSEEvent] {
        var events: [SSEEvent] = []
        try finish(into: &events)
        return events
    }

    /// Ends the stream, appending what it still held to `events`; see ``finish()``.
    public mutating func finish(into events: inout [SSEEvent]) throws(SSEParserError) {
        defer { startNewStream() }
        discardedIncompleteEvent = false
        guard failure == nil else { return }

        // The specification discards an unterminated last line together with the pending event;
        // it is interpreted here only to learn whether an event was cut off (or to dispatch it).
        let saved = (lastEventID, reconnectionTime, commentCount)
        if !partialLine.isEmpty {
            var carried: [UInt8] = []
            swap(&carried, &partialLine)
            carried.withUnsafeBufferPointer { line in
                // Cannot throw here: the size of the carried line was checked as it was collected.
                try? self.processLine(line, into: &events)
            }
        }
        let cutOff = !dataBuffer.isEmpty
        switch configuration.incompleteEvent {
        case .dispatch:
            if cutOff { dispatch(into: &events) }
        case .discard, .fail:
            (lastEventID, reconnectionTime, commentCount) = saved
            discardedIncompleteEvent = cutOff
            if cutOff && configuration.incompleteEvent == .fail {
                throw SSEParserError(.truncatedStream, "the stream ended in the middle of an event")
            }
        }
    }

    /// Forgets the current stream, as ``finish()`` does but without looking at what is pending.
    /// ``lastEventID``, ``reconnectionTime`` and ``commentCount`` are kept.
    public mutating func reset() {
        discardedIncompleteEvent = false
        startNewStream()
    }

    private mutating func startNewStream() {
        partialLine = []
        dataBuffer = []
        eventType = nil
        blockID = nil
        blockRetry = nil
        skipLeadingLF = false
        atStreamStart = true
        failure = nil
    }

    // MARK: - Lines

    private static let lf: UInt8 = 0x0A
    private static let cr: UInt8 = 0x0D
    private static let colon: UInt8 = 0x3A
    private static let space: UInt8 = 0x20

    private var tooLarge: SSEParserError {
        SSEParserError(.eventTooLarge, "an event exceeds the limit of \(configuration.maxEventSize) bytes")
    }

    /// Splits `input` into lines, processing the complete ones and keeping the rest.
    private mutating func parse(_ input: UnsafeBufferPointer<UInt8>, into events: inout [SSEEvent]) throws(SSEParserError) {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        let end = input.count
        var start = 0
        if skipLeadingLF {
            skipLeadingLF = false
            if base[0] == Self.lf { start = 1 }
        }
        while start < end {
            let lineEnd = Self.lineEnd(in: base, from: start, to: end)
            let length = lineEnd - start
            guard partialLine.count + length + dataBuffer.count <= configuration.maxEventSize else { throw tooLarge }
            let piece = UnsafeBufferPointer(start: base + start, count: length)
            if lineEnd == end {
                partialLine.append(contentsOf: piece)
                return
            }
            if partialLine.isEmpty {
                try processLine(piece, into: &events)
            } else {
                partialLine.append(contentsOf: piece)
                var carried: [UInt8] = []
                swap(&carried, &partialLine)
                try carried.withUnsafeBufferPointer { (line) throws(SSEParserError) in
                    try self.processLine(line, into: &events)
                }
                if carried.capacity <= Self.retainedCapacity {
                    carried.removeAll(keepingCapacity: true)
                    partialLine = carried
                }
            }
            if base[lineEnd] == Self.cr {
                if lineEnd + 1 == end {
                    skipLeadingLF = true
                    start = end
                } else {
                    start = base[lineEnd + 1] == Self.lf ? lineEnd + 2 : lineEnd + 1
                }
            } else {
                start = lineEnd + 1
            }
        }
    }

    /// The index of the first CR or LF in `base[from..<to]`, or `to` if there is none.
    private static func lineEnd(in base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        let start = UnsafeRawPointer(base + from)
        var limit = to - from
        if let found = memchr(start, Int32(lf), limit) {
            limit = start.distance(to: UnsafeRawPointer(found))
        }
        if let found = memchr(start, Int32(cr), limit) {
            limit = start.distance(to: UnsafeRawPointer(found))
        }
        return from + limit
    }

    private static let dataField: [UInt8] = Array("data".utf8)
    private static let eventField: [UInt8] = Array("event".utf8)
    private static let idField: [UInt8] = Array("id".utf8)
    private static let retryField: [UInt8] = Array("retry".utf8)

    /// Interprets one complete line (without its line end).
    private mutating func processLine(_ input: UnsafeBufferPointer<UInt8>, into events: inout [SSEEvent]) throws(SSEParserError) {
        var line = input
        if atStreamStart {
            atStreamStart = false
            if line.count >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
                line = UnsafeBufferPointer(rebasing: line[3...])
            }
        }
        guard let first = line.first else {
            dispatch(into: &events)
            return
        }
        if first == Self.colon {
            commentCount += 1
            return
        }
        let field: UnsafeBufferPointer<UInt8>
        let value: UnsafeBufferPointer<UInt8>
        if let colon = line.firstIndex(of: Self.colon) {
            field = UnsafeBufferPointer(rebasing: line[..<colon])
            var valueStart = colon + 1
            if valueStart < line.count && line[valueStart] == Self.space { valueStart += 1 }
            value = UnsafeBufferPointer(rebasing: line[valueStart...])
        } else {
            field = line
            value = UnsafeBufferPointer(rebasing: line[line.count...])
        }

        switch field.count {
        case 4 where field.elementsEqual(Self.dataField):
            guard dataBuffer.count + value.count + 1 <= configuration.maxEventSize else { throw tooLarge }
            dataBuffer.append(contentsOf: value)
            dataBuffer.append(Self.lf)
        case 5 where field.elementsEqual(Self.eventField):
            eventType = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
        case 2 where field.elementsEqual(Self.idField):
            if !value.contains(0) {
                let id = String(decoding: value, as: UTF8.self)
                lastEventID = id
                blockID = id
            }
        case 5 where field.elementsEqual(Self.retryField):
            if let milliseconds = Self.decimal(value) {
                reconnectionTime = milliseconds
                blockRetry = milliseconds
            }
        default:
            break
        }
    }

    /// The value of a non-empty string of ASCII digits, or nil (also when it does not fit an `Int`).
    private static func decimal(_ digits: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var result = 0
        for byte in digits {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (shifted, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int(byte - 0x30))
            if overflow1 || overflow2 { return nil }
            result = sum
        }
        return result
    }

    /// Handles a blank line: dispatches the pending event if its data buffer is non-empty, and
    /// starts the next one either way.
    private mutating func dispatch(into events: inout [SSEEvent]) {
        let type = eventType
        let id = blockID
        let retry = blockRetry
        eventType = nil
        blockID = nil
        blockRetry = nil
        guard !dataBuffer.isEmpty else { return }
        let data = dataBuffer.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer.dropLast()), as: UTF8.self)
        }
        if dataBuffer.capacity > Self.retainedCapacity {
            dataBuffer = []
        } else {
            dataBuffer.removeAll(keepingCapacity: true)
        }
        events.append(SSEEvent(event: type, data: data, id: id, retry: retry))
    }
}

/// An error from ``SSEParser``: a stable ``Code`` to branch on and a message for logs.
///
/// Messages never quote stream content, so they are safe to log.
public struct SSEParserError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong. Compare with the static members (`error.code == .eventTooLarge`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case eventTooLarge, truncatedStream
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A line or event exceeded ``SSEParser/Configuration/maxEventSize``.
        public static let eventTooLarge = Code(.eventTooLarge)
        /// The stream ended in the middle of an event (only with the `.fail` policy).
        public static let truncatedStream = Code(.truncatedStream)

        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation, free of stream content.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "SSEParserError(\(code)): \(message)" }
}
