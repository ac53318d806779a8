/// A span being recorded: a value you fill in while the operation runs, then ``end(at:)`` into a
/// ``Span``.
///
/// Get one from ``Tracer/startSpan(_:kind:parent:attributes:startTimeUnixNano:)`` (which makes the
/// sampling decision) or ``child(_:kind:attributes:startTimeUnixNano:)`` for a span under this one.
/// ``context`` is what to propagate: send `context.traceparent` to the upstream of an attempt span.
///
/// ```swift
/// var request = tracer.startSpan("chat gpt-4o-mini", kind: .server, parent: inboundContext)
/// var attempt = request.child("chat gpt-4o-mini", kind: .client)
/// upstreamHeaders["traceparent"] = attempt.context.traceparent
/// attempt.attributes["gen_ai.response.id"] = "chatcmpl-1"
/// tracer.end(attempt)
/// tracer.end(request)
/// ```
public struct SpanBuilder: Sendable {
    /// This span's context (its own span id, the trace id, flags and state).
    public let context: TraceContext
    /// The parent span, if any.
    public let parentSpanID: SpanID?
    /// Whether the parent is in another process.
    public let parentIsRemote: Bool
    /// The span name; may be refined before the span ends (for example once the model is known).
    public var name: String
    /// The span kind.
    public let kind: SpanKind
    /// When the span started, in Unix nanoseconds.
    public let startTimeUnixNano: UInt64
    /// The attributes recorded so far (besides ``conventions``).
    public var attributes: SpanAttributes
    /// The GenAI convention attributes, kept as values until the span is exported; they come
    /// first, and an attribute in ``attributes`` with the same key replaces theirs. Default none.
    public var conventions: GenAISpanAttributes?
    /// The events recorded so far.
    public var events: [SpanEvent]
    /// Links to other spans.
    public var links: [SpanLink]
    /// The outcome so far.
    public var status: SpanStatus

    /// Whether the span will be exported when it ends (the sampled flag of its context).
    public var isSampled: Bool { context.isSampled }

    /// Starts a span with an explicit context; ``Tracer`` and ``child(_:kind:attributes:startTimeUnixNano:)``
    /// are the usual entry points.
    ///
    /// - Parameters:
    ///   - name: The span name.
    ///   - kind: The span kind.
    ///   - context: The new span's own context.
    ///   - parent: The parent span's context, or nil for a root span.
    ///   - attributes: Initial attributes.
    ///   - startTimeUnixNano: The start time; now by default.
    public init(
        _ name: String,
        kind: SpanKind,
        context: TraceContext,
        parent: TraceContext?,
        attributes: SpanAttributes = SpanAttributes(),
        startTimeUnixNano: UInt64 = UnixNanos.now()
    ) {
        self.name = name
        self.kind = kind
        self.context = context
        self.parentSpanID = parent?.spanID
        self.parentIsRemote = parent?.isRemote ?? false
        self.attributes = attributes
        self.conventions = nil
        self.events = []
        self.links = []
        self.status = SpanStatus()
        self.startTimeUnixNano = startTimeUnixNano
    }

    /// Starts a child span in the same trace, with the same sampling decision and trace state.
    public func child(
        _ name: String,
        kind: SpanKind,
        attributes: SpanAttributes = SpanAttributes(),
        startTimeUnixNano: UInt64 = UnixNanos.now(),
        generator: TraceIDGenerator = .shared
    ) -> SpanBuilder {
        SpanBuilder(name, kind: kind, context: context.child(generator: generator), parent: context, attributes: attributes, startTimeUnixNano: startTimeUnixNano)
    }

    /// Sets one attribute (replacing an earlier value of the same key).
    public mutating func setAttribute(_ key: String, _ value: AttributeValue) {
        attributes[key] = value
    }

    /// Records an event at `timeUnixNano` (now by default).
    public mutating func addEvent(_ name: String, attributes: SpanAttributes = SpanAttributes(), timeUnixNano: UInt64 = UnixNanos.now()) {
        events.append(SpanEvent(name: name, timeUnixNano: timeUnixNano, attributes: attributes))
    }

    /// Marks the span failed: `error.type` (a low-cardinality class such as `timeout` or `429`)
    /// and an error status with `message`.
    public mutating func recordError(type: String, message: String) {
        attributes["error.type"] = .string(type)
        status = .error(message)
    }

    /// ``conventions`` followed by ``attributes`` (which win on a shared key).
    public var allAttributes: SpanAttributes {
        guard var all = conventions?.attributes else { return attributes }
        all.merge(attributes)
        return all
    }

    /// The finished span, ending at `timeUnixNano` (now by default; never before the start).
    public func end(at timeUnixNano: UInt64 = UnixNanos.now()) -> Span {
        Span(
            traceID: context.traceID,
            spanID: context.spanID,
            parentSpanID: parentSpanID,
            parentIsRemote: parentIsRemote,
            traceState: context.traceState,
            traceFlags: context.flags,
            name: name,
            kind: kind,
            startTimeUnixNano: startTimeUnixNano,
            endTimeUnixNano: max(timeUnixNano, startTimeUnixNano),
            attributes: allAttributes,
            events: events,
            links: links,
            status: status
        )
    }
}
