/// Encodes spans as an OTLP `ExportTraceServiceRequest` in the Protocol Buffers binary format
/// (`application/x-protobuf`), following `opentelemetry/proto/trace/v1/trace.proto`.
///
/// One `ResourceSpans` with one `ScopeSpans` holds every span of the batch. Fields are written in
/// field-number order and proto3 defaults are left out, so the output is byte-for-byte what the
/// official `opentelemetry-proto` package serialises for the same message.
public enum OTLPProtobufEncoder {
    /// The request body for `spans`.
    public static func encode(_ spans: [Span], resource: TelemetryResource, scope: InstrumentationScope) -> [UInt8] {
        var writer = ProtobufWriter(capacity: 256 + spans.count * 1024)
        // ExportTraceServiceRequest.resource_spans = 1
        writer.message(1) { resourceSpans in
            // ResourceSpans.resource = 1
            resourceSpans.message(1) { resourceMessage in
                writeAttributes(resource.attributes, field: 1, into: &resourceMessage)
            }
            // ResourceSpans.scope_spans = 2
            resourceSpans.message(2) { scopeSpans in
                // ScopeSpans.scope = 1
                scopeSpans.message(1) { scopeMessage in
                    scopeMessage.string(1, scope.name)
                    scopeMessage.string(2, scope.version)
                }
                // ScopeSpans.spans = 2
                for span in spans {
                    writeSpanField(span, into: &scopeSpans)
                }
            }
        }
        return writer.bytes
    }

    /// The request body for spans encoded one by one with ``writeSpanField(_:into:)``: the same
    /// bytes ``encode(_:resource:scope:)`` produces for those spans.
    public static func encode(_ spans: EncodedSpans, resource: TelemetryResource, scope: InstrumentationScope) -> [UInt8] {
        // Everything before the spans is small: encode it apart to know the enclosing lengths.
        var resourceMessage = ProtobufWriter(capacity: 512)
        writeAttributes(resource.attributes, field: 1, into: &resourceMessage)
        var scopeMessage = ProtobufWriter(capacity: 128)
        scopeMessage.string(1, scope.name)
        scopeMessage.string(2, scope.version)
        let resourceField = ProtobufWriter.lengthDelimitedSize(resourceMessage.count)
        let scopeSpansLength = ProtobufWriter.lengthDelimitedSize(scopeMessage.count) + spans.bytes.count
        let resourceSpansLength = resourceField + ProtobufWriter.lengthDelimitedSize(scopeSpansLength)
        var head = ProtobufWriter(capacity: 64 + resourceMessage.count + scopeMessage.count)
        // ExportTraceServiceRequest.resource_spans = 1
        head.lengthDelimitedHeader(1, length: resourceSpansLength)
        // ResourceSpans.resource = 1
        head.lengthDelimitedHeader(1, length: resourceMessage.count)
        resourceMessage.withBytes { head.raw($0) }
        // ResourceSpans.scope_spans = 2
        head.lengthDelimitedHeader(2, length: scopeSpansLength)
        // ScopeSpans.scope = 1, then ScopeSpans.spans = 2 (already framed)
        head.lengthDelimitedHeader(1, length: scopeMessage.count)
        scopeMessage.withBytes { head.raw($0) }
        // The span bytes are copied once, straight into the body.
        return head.withBytes { headBytes in
            spans.bytes.withUnsafeBytes { spanBytes in
                [UInt8](unsafeUninitializedCapacity: headBytes.count + spanBytes.count) { body, count in
                    let base = UnsafeMutableRawPointer(body.baseAddress!)
                    base.copyMemory(from: headBytes.baseAddress!, byteCount: headBytes.count)
                    if let spanBase = spanBytes.baseAddress { (base + headBytes.count).copyMemory(from: spanBase, byteCount: spanBytes.count) }
                    count = headBytes.count + spanBytes.count
                }
            }
        }
    }

    /// One span as a `ScopeSpans.spans` field (tag, length, message).
    static func writeSpanField(_ span: Span, into writer: inout ProtobufWriter) {
        writer.message(2) { writeSpan(span, into: &$0) }
    }

    static func writeSpan(_ span: Span, into writer: inout ProtobufWriter) {
        writeSpan(
            traceID: span.traceID, spanID: span.spanID, traceState: span.traceState, parentSpanID: span.parentSpanID,
            name: span.name, kind: span.kind, start: span.startTimeUnixNano, end: span.endTimeUnixNano,
            attributes: span.attributes, conventions: nil, events: span.events, links: span.links, status: span.status,
            flags: span.otlpFlags, into: &writer
        )
    }

    /// A span still being built, ended at `end`, as a `ScopeSpans.spans` field: the bytes
    /// `writeSpanField(span.end(at: end))` gives, without making the `Span`.
    static func writeSpanField(_ span: borrowing SpanBuilder, end: UInt64, into writer: inout ProtobufWriter) {
        // Opened and closed without a closure, which would capture (copy) the span.
        let start = writer.beginMessage(2)
        writeSpan(
            traceID: span.context.traceID, spanID: span.context.spanID, traceState: span.context.traceState,
            parentSpanID: span.parentSpanID, name: span.name, kind: span.kind,
            start: span.startTimeUnixNano, end: max(end, span.startTimeUnixNano),
            attributes: span.attributes, conventions: span.conventions, events: span.events, links: span.links, status: span.status,
            flags: Span.otlpFlags(span.context.flags, parentIsRemote: span.parentIsRemote),
            into: &writer
        )
        writer.endMessage(start)
    }

    private static func writeSpan(
        traceID: TraceID, spanID: SpanID, traceState: TraceState, parentSpanID: SpanID?, name: String, kind: SpanKind,
        start: UInt64, end: UInt64, attributes: SpanAttributes, conventions: GenAISpanAttributes?, events: [SpanEvent],
        links: [SpanLink], status: SpanStatus, flags: UInt32, into writer: inout ProtobufWriter
    ) {
        writer.bigEndianBytes(1, high: traceID.high, low: traceID.low)
        writer.bigEndianBytes(2, spanID.value)
        writer.string(3, traceState.header)
        if let parentSpanID {
            writer.bigEndianBytes(4, parentSpanID.value)
        }
        writer.string(5, name)
        writer.int64(6, Int64(kind.rawValue))
        writer.fixed64(7, start)
        writer.fixed64(8, end)
        // Convention attributes, then the explicit ones (which replace a convention attribute
        // of the same key): the attributes of `SpanBuilder.allAttributes`.
        if let conventions {
            if attributes.isEmpty {
                // The usual case: written straight from their values.
                withUnsafeMutablePointer(to: &writer) { writer in
                    var sink = ProtobufAttributeSink(writer: writer, field: 9)
                    conventions.write(to: &sink)
                }
            } else {
                for (key, value) in conventions.attributes where attributes[key] == nil {
                    writeKeyValue(key, value, field: 9, into: &writer)
                }
            }
        }
        writeAttributes(attributes, field: 9, into: &writer)
        for event in events {
            writer.message(11) { eventMessage in
                eventMessage.fixed64(1, event.timeUnixNano)
                eventMessage.string(2, event.name)
                writeAttributes(event.attributes, field: 3, into: &eventMessage)
            }
        }
        for link in links {
            writer.message(13) { linkMessage in
                linkMessage.bigEndianBytes(1, high: link.context.traceID.high, low: link.context.traceID.low)
                linkMessage.bigEndianBytes(2, link.context.spanID.value)
                linkMessage.string(3, link.context.traceState.header)
                writeAttributes(link.attributes, field: 4, into: &linkMessage)
                linkMessage.fixed32(6, UInt32(link.context.flags.rawValue) | 0x100 | (link.context.isRemote ? 0x200 : 0))
            }
        }
        writer.message(15) { statusMessage in
            statusMessage.string(2, status.message)
            statusMessage.int64(3, Int64(status.code.rawValue))
        }
        writer.fixed32(16, flags)
    }

    /// Repeated `KeyValue` entries under `field`.
    static func writeAttributes(_ attributes: SpanAttributes, field: Int, into writer: inout ProtobufWriter) {
        for (key, value) in attributes {
            writeKeyValue(key, value, field: field, into: &writer)
        }
    }

    /// One `KeyValue` under `field`.
    static func writeKeyValue(_ key: String, _ value: AttributeValue, field: Int, into writer: inout ProtobufWriter) {
        var key = key
        key.withUTF8 { writeKeyValue($0, value, field: field, into: &writer) }
    }

    /// One `KeyValue` under `field`, the key as UTF-8. Scalars, the common case, are written with
    /// their lengths computed up front; an array nests (its lengths are patched as it closes).
    static func writeKeyValue(_ key: UnsafeBufferPointer<UInt8>, _ value: AttributeValue, field: Int, into writer: inout ProtobufWriter) {
        switch value {
        case .string(let string): writer.keyValue(field, key: key, string: string)
        case .int(let int): writer.keyValue(field, key: key, int: int)
        case .double(let double): writer.keyValue(field, key: key, double: double)
        case .bool(let bool): writer.keyValue(field, key: key, bool: bool)
        case .stringArray:
            writer.message(field) { keyValue in
                // KeyValue.key = 1, KeyValue.value = 2
                keyValue.lengthDelimitedHeader(1, length: key.count)
                keyValue.raw(UnsafeRawBufferPointer(key))
                keyValue.message(2) { writeAnyValue(value, into: &$0) }
            }
        }
    }

    /// The body of an `AnyValue` (a `oneof`: the member is written even when it holds its default).
    static func writeAnyValue(_ value: AttributeValue, into writer: inout ProtobufWriter) {
        switch value {
        case .string(let string): writer.string(1, string, force: true)
        case .bool(let bool): writer.bool(2, bool, force: true)
        case .int(let int): writer.int64(3, int, force: true)
        case .double(let double): writer.double(4, double, force: true)
        case .stringArray(let strings):
            writer.message(5) { array in
                for string in strings {
                    array.message(1) { $0.string(1, string, force: true) }
                }
            }
        }
    }
}

/// Writes attributes as repeated `KeyValue` fields under one field number (a span's attributes
/// are field 9) into the writer it points to; valid only while that writer is.
struct ProtobufAttributeSink: AttributeSink {
    let writer: UnsafeMutablePointer<ProtobufWriter>
    let field: Int

    @inline(__always)
    mutating func add(_ key: StaticString, string value: String) {
        key.withUTF8Buffer { writer.pointee.keyValue(field, key: $0, string: value) }
    }

    @inline(__always)
    mutating func add(_ key: StaticString, int value: Int64) {
        key.withUTF8Buffer { writer.pointee.keyValue(field, key: $0, int: value) }
    }

    @inline(__always)
    mutating func add(_ key: StaticString, double value: Double) {
        key.withUTF8Buffer { writer.pointee.keyValue(field, key: $0, double: value) }
    }

    @inline(__always)
    mutating func add(_ key: StaticString, bool value: Bool) {
        key.withUTF8Buffer { writer.pointee.keyValue(field, key: $0, bool: value) }
    }

    mutating func add(_ key: StaticString, strings value: [String]) {
        key.withUTF8Buffer { OTLPProtobufEncoder.writeKeyValue($0, .stringArray(value), field: field, into: &writer.pointee) }
    }
}
