/// The events of a `text/event-stream` body, read from an `AsyncSequence` of byte chunks such as
/// `HTTPClientResponse.Body`.
///
/// Errors from the base sequence are rethrown unchanged; ``SSEParserError`` is thrown when an event
/// is too large (or, with the `.fail` policy, when the stream is cut off mid-event). After an error
/// or the end, the iterator returns nil. Cancelling the iterating task cancels the base iteration,
/// as the base sequence defines.
///
/// ```swift
/// for try await event in response.body.serverSentEvents() {
///     if event.data == "[DONE]" { break }
/// }
/// ```
public struct SSEEventSequence<Base: AsyncSequence>: AsyncSequence where Base.Element == [UInt8] {
    /// A parsed event.
    public typealias Element = SSEEvent
    /// Errors of the base sequence or of the parser.
    public typealias Failure = any Error

    private let base: Base
    /// The parser settings used for each iteration.
    public let configuration: SSEParser.Configuration

    /// Wraps a sequence of byte chunks.
    public init(_ base: Base, configuration: SSEParser.Configuration = SSEParser.Configuration()) {
        self.base = base
        self.configuration = configuration
    }

    /// Returns an iterator with a fresh parser.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), parser: SSEParser(configuration: configuration))
    }

    /// Iterates the events; its ``parser`` exposes the stream state (last event ID, comments seen,
    /// whether the final event was cut off).
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var base: Base.AsyncIterator
        /// The parser state after the events returned so far.
        public private(set) var parser: SSEParser
        private var ready: [SSEEvent] = []
        private var readyIndex = 0
        private var ended = false

        init(base: Base.AsyncIterator, parser: SSEParser) {
            self.base = base
            self.parser = parser
        }

        /// The next event, or nil at the end of the stream.
        public mutating func next() async throws -> SSEEvent? {
            try await next(isolation: nil)
        }

        /// The next event, or nil at the end of the stream, iterating the base on `actor`.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> SSEEvent? {
            while true {
                if readyIndex < ready.count {
                    let event = ready[readyIndex]
                    readyIndex += 1
                    return event
                }
                ready.removeAll(keepingCapacity: true)
                readyIndex = 0
                if ended { return nil }
                do {
                    if let chunk = try await base.next(isolation: actor) {
                        try parser.feed(chunk, into: &ready)
                    } else {
                        ended = true
                        try parser.finish(into: &ready)
                    }
                } catch {
                    ended = true
                    ready.removeAll()
                    throw error
                }
            }
        }
    }
}

extension SSEEventSequence: Sendable where Base: Sendable {}

extension AsyncSequence where Element == [UInt8] {
    /// The Server-Sent Events carried by this sequence of `text/event-stream` byte chunks.
    public func serverSentEvents(
        configuration: SSEParser.Configuration = SSEParser.Configuration()
    ) -> SSEEventSequence<Self> {
        SSEEventSequence(self, configuration: configuration)
    }
}
