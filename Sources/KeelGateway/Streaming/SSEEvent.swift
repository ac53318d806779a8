import KeelHTTP

/// An event parsed from an upstream `text/event-stream` body: the same value Keel writes to its own
/// clients. `id` is the `id:` field of this event's block (an empty string resets the last event ID);
/// the ID that persists across events is ``SSEParser/lastEventID``.
public typealias SSEEvent = ServerSentEvent
