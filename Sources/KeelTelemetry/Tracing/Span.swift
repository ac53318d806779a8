/// A finished span, ready to export: what OTLP's `Span` message carries.
///
/// Times are nanoseconds since the Unix epoch (UTC), as OTLP encodes them. Build spans with
/// ``SpanBuilder``; a `Span` is an immutable record.
public struct Span: Sendable, Hashable {
    /// The trace the span belongs to.
    public var traceID: TraceID
    /// This span's id.
    public var spanID: SpanID
    /// The parent span's id; nil for a root span.
    public var parentSpanID: SpanID?
    /// Whether the parent lives in another process (continued from an inbound `traceparent`).
    public var parentIsRemote: Bool
    /// The W3C `tracestate` of the span's context.
    public var traceState: TraceState
    /// The trace flags of the span's context.
    public var traceFlags: TraceFlags
    /// The span name, such as `chat gpt-4o-mini`.
    public var name: String
    /// SERVER for the request Keel serves, CLIENT for each upstream attempt.
    public var kind: SpanKind
    /// Start time, in Unix nanoseconds.
    public var startTimeUnixNano: UInt64
    /// End time, in Unix nanoseconds.
    public var endTimeUnixNano: UInt64
    /// The attributes, in insertion order.
    public var attributes: SpanAttributes
    /// Timestamped events, in the order they were added.
    public var events: [SpanEvent]
    /// Links to spans of other traces (or other spans of this one).
    public var links: [SpanLink]
    /// The outcome.
    public var status: SpanStatus

    /// A span from all of its fields; ``SpanBuilder`` is the usual way to make one.
    public init(
        traceID: TraceID,
        spanID: SpanID,
        parentSpanID: SpanID? = nil,
        parentIsRemote: Bool = false,
        traceState: TraceState = TraceState(),
        traceFlags: TraceFlags = .sampled,
        name: String,
        kind: SpanKind,
        startTimeUnixNano: UInt64,
        endTimeUnixNano: UInt64,
        attributes: SpanAttributes = SpanAttributes(),
        events: [SpanEvent] = [],
        links: [SpanLink] = [],
        status: SpanStatus = SpanStatus()
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.parentIsRemote = parentIsRemote
        self.traceState = traceState
        self.traceFlags = traceFlags
        self.name = name
        self.kind = kind
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.attributes = attributes
        self.events = events
        self.links = links
        self.status = status
    }

    /// The span's own context, as propagated to children and upstreams.
    public var context: TraceContext {
        TraceContext(traceID: traceID, spanID: spanID, flags: traceFlags, traceState: traceState)
    }

    /// The OTLP `Span.flags` field: the trace flags in bits 0–7, plus bit 8 ("has is-remote") and
    /// bit 9 ("parent is remote").
    public var otlpFlags: UInt32 { Self.otlpFlags(traceFlags, parentIsRemote: parentIsRemote) }

    static func otlpFlags(_ traceFlags: TraceFlags, parentIsRemote: Bool) -> UInt32 {
        var flags = UInt32(traceFlags.rawValue) | 0x100
        if parentIsRemote { flags |= 0x200 }
        return flags
    }
}

/// The OpenTelemetry span kind; raw values are OTLP's `SpanKind` numbers.
public enum SpanKind: Int, Sendable, Hashable {
    case `internal` = 1
    case server = 2
    case client = 3
    case producer = 4
    case consumer = 5
}

/// A span's outcome; raw values of ``Code`` are OTLP's `Status.StatusCode` numbers.
public struct SpanStatus: Sendable, Hashable {
    /// OTLP's status codes.
    public enum Code: Int, Sendable, Hashable {
        case unset = 0
        case ok = 1
        case error = 2
    }

    /// The code. Default `unset` (the operation completed, nothing to report).
    public var code: Code
    /// A description, for errors only. Default empty.
    public var message: String

    /// A status; unset with no message by default.
    public init(code: Code = .unset, message: String = "") {
        self.code = code
        self.message = message
    }

    /// An error status with a description.
    public static func error(_ message: String) -> SpanStatus {
        SpanStatus(code: .error, message: message)
    }
}

/// Something that happened at one instant during a span (an exception, a guardrail verdict, an
/// evaluation result).
public struct SpanEvent: Sendable, Hashable {
    /// The event name, such as `gen_ai.evaluation.result`.
    public var name: String
    /// When it happened, in Unix nanoseconds.
    public var timeUnixNano: UInt64
    /// The event's attributes.
    public var attributes: SpanAttributes

    /// An event.
    public init(name: String, timeUnixNano: UInt64, attributes: SpanAttributes = SpanAttributes()) {
        self.name = name
        self.timeUnixNano = timeUnixNano
        self.attributes = attributes
    }
}

/// A reference from a span to another span, possibly in another trace.
public struct SpanLink: Sendable, Hashable {
    /// The linked span's context.
    public var context: TraceContext
    /// Attributes describing the link.
    public var attributes: SpanAttributes

    /// A link.
    public init(context: TraceContext, attributes: SpanAttributes = SpanAttributes()) {
        self.context = context
        self.attributes = attributes
    }
}
