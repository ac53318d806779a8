/// One event parsed from an upstream `text/event-stream` body (WHATWG HTML §9.2.6).
///
/// This is the receiving side's view of an event; `KeelHTTP.ServerSentEvent` is the one Keel
/// writes to its own clients.
public struct SSEEvent: Sendable, Hashable, CustomStringConvertible {
    /// The `event:` field of the event's block; nil when absent or empty, which means `message`.
    public var event: String?
    /// The `data:` fields of the event's block joined with `"\n"` (no trailing newline).
    public var data: String
    /// The `id:` field given in this event's block, if any (an empty string when the field was
    /// empty, which resets the last event ID). The ID that persists across events, as used for
    /// `Last-Event-ID` on reconnection, is ``SSEParser/lastEventID``.
    public var id: String?
    /// The `retry:` field given in this event's block, in milliseconds, if any.
    public var retry: Int?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }

    /// The event type, `message` when no `event:` field was given.
    public var type: String { event ?? "message" }

    public var description: String {
        var parts = ["type: \(type)"]
        if let id { parts.append("id: \(id)") }
        if let retry { parts.append("retry: \(retry)") }
        parts.append("data: \(data.utf8.count) bytes")
        return "SSEEvent(" + parts.joined(separator: ", ") + ")"
    }
}
