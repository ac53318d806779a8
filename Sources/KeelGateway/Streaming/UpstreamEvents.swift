import KeelCore
import KeelHTTP

/// The events of a streamed upstream response, whatever its framing: Server-Sent Events for
/// OpenAI- and Anthropic-style providers, the AWS binary event stream
/// (`application/vnd.amazon.eventstream`) for Bedrock.
///
/// Either way the gateway sees ``ServerSentEvent``s that the provider format's stream decoder
/// consumes. An event stream message becomes:
///
/// - an `event` message: `event` is its `:event-type` (`contentBlockDelta`, …), `data` its payload;
/// - an `exception` message: `event` is its `:exception-type` (`throttlingException`, …), `data`
///   its payload (`{"message": …}`);
/// - an `error` message, or a stream that fails its CRC checks, breaks the framing or ends inside a
///   message: a final event `error` with data `{"code", "message"}` (the message describes the
///   framing only), after which the sequence ends. Messages are CRC-checked by
///   ``AWSEventStreamDecoder``.
///
/// Errors of the base sequence (transport failures) are rethrown unchanged.
public struct UpstreamEvents<Base: AsyncSequence>: AsyncSequence where Base.Element == [UInt8] {
    public typealias Element = ServerSentEvent
    public typealias Failure = any Error

    private let base: Base
    private let eventStream: Bool

    /// The events of `base`, framed as the provider `format` streams.
    public init(_ base: Base, format: WireFormat) {
        self.base = base
        self.eventStream = format == .bedrockConverse
    }

    public func makeAsyncIterator() -> AsyncIterator {
        eventStream
            ? AsyncIterator(raw: base.makeAsyncIterator())
            : AsyncIterator(sse: base.serverSentEvents().makeAsyncIterator())
    }

    /// Iterates the events of either framing.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Set for Server-Sent Events.
        private var sse: SSEEventSequence<Base>.AsyncIterator?
        /// Set for the AWS event stream, with `decoder`.
        private var raw: Base.AsyncIterator?
        private var decoder = AWSEventStreamDecoder()
        private var ready: [ServerSentEvent] = []
        private var readyIndex = 0
        private var ended = false

        init(sse: SSEEventSequence<Base>.AsyncIterator) {
            self.sse = sse
        }

        init(raw: Base.AsyncIterator) {
            self.raw = raw
        }

        /// The next event, or nil at the end of the stream.
        public mutating func next() async throws -> ServerSentEvent? {
            if sse != nil { return try await sse!.next() }
            while true {
                if readyIndex < ready.count {
                    readyIndex += 1
                    return ready[readyIndex - 1]
                }
                ready.removeAll(keepingCapacity: true)
                readyIndex = 0
                if ended { return nil }
                do {
                    if let chunk = try await raw!.next() {
                        ready = try decoder.feed(chunk).map(EventStreamEvents.event)
                    } else {
                        ended = true
                        try decoder.finish()
                    }
                } catch let error as AWSEventStreamError {
                    ended = true
                    ready = [EventStreamEvents.errorEvent(code: "upstreamEventStreamInvalid", message: "The Bedrock event stream is unreadable (\(error.code)): \(error.message).")]
                }
            }
        }
    }
}

/// How event stream messages become the events a stream decoder reads (see ``UpstreamEvents``).
enum EventStreamEvents {
    /// The event for one event stream message.
    static func event(_ message: AWSEventStreamMessage) -> ServerSentEvent {
        let payload = String(decoding: message.payload, as: UTF8.self)
        switch message.messageType {
        case "exception"?:
            let type = message.exceptionType ?? ""
            if type.lowercased().hasSuffix("exception") {
                return ServerSentEvent(event: type, data: payload)
            }
            let text = (try? JSONValue(parsing: message.payload))?["message"]?.stringValue
            return errorEvent(code: type.isEmpty ? "exception" : type, message: text ?? "The upstream reported an exception.")
        case "error"?:
            return errorEvent(code: message.errorCode ?? "error", message: message.errorMessage ?? "The upstream reported an error.")
        default:
            return ServerSentEvent(event: message.eventType ?? "", data: payload)
        }
    }

    static func errorEvent(code: String, message: String) -> ServerSentEvent {
        ServerSentEvent(event: "error", data: JSONValue.object(["code": .string(code), "message": .string(message)]).serializedString())
    }
}
