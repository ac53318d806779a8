/// One Server-Sent Event (WHATWG HTML §9.2): what Keel writes to a `text/event-stream` body, and
/// what the gateway's SSE parser reads from an upstream's.
public struct ServerSentEvent: Sendable, Hashable, CustomStringConvertible {
    /// The `event:` field; nil for the default `message` type.
    public var event: String?
    /// The `data:` payload; several lines become several `data:` fields.
    public var data: String
    /// The `id:` field.
    public var id: String?
    /// The `retry:` field in milliseconds.
    public var retry: Int?

    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }

    /// The event type, `message` when no `event:` field was given.
    public var type: String { event ?? "message" }

    /// Type, id, retry and the data's size — never the data itself, which may hold anything.
    public var description: String {
        var parts = ["type: \(type)"]
        if let id { parts.append("id: \(id)") }
        if let retry { parts.append("retry: \(retry)") }
        parts.append("data: \(data.utf8.count) bytes")
        return "ServerSentEvent(" + parts.joined(separator: ", ") + ")"
    }

    /// The wire form, ending with the blank line that dispatches the event.
    public func encoded() -> [UInt8] {
        var out = ""
        if let event { out += "event: \(event)\n" }
        if let id { out += "id: \(id)\n" }
        if let retry { out += "retry: \(retry)\n" }
        var start = data.startIndex
        var i = data.startIndex
        while i < data.endIndex {
            let c = data[i]
            if c == "\n" || c == "\r" || c == "\r\n" {
                out += "data: " + data[start..<i] + "\n"
                start = data.index(after: i)
            }
            i = data.index(after: i)
        }
        out += "data: " + data[start...] + "\n\n"
        return Array(out.utf8)
    }
}
