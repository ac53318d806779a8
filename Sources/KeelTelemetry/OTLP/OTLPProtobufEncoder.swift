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
                    scopeSpans.message(2) { writeSpan(span, into: &$0) }
                }
            }
        }
        return writer.bytes
    }

    static func writeSpan(_ span: Span, into writer: inout ProtobufWriter) {
        writer.bigEndianBytes(1, high: span.traceID.high, low: span.traceID.low)
        writer.bigEndianBytes(2, span.spanID.value)
        writer.string(3, span.traceState.header)
        if let parent = span.parentSpanID {
            writer.bigEndianBytes(4, parent.value)
        }
        writer.string(5, span.name)
        writer.int64(6, Int64(span.kind.rawValue))
        writer.fixed64(7, span.startTimeUnixNano)
        writer.fixed64(8, span.endTimeUnixNano)
        writeAttributes(span.attributes, field: 9, into: &writer)
        for event in span.events {
            writer.message(11) { eventMessage in
                eventMessage.fixed64(1, event.timeUnixNano)
                eventMessage.string(2, event.name)
                writeAttributes(event.attributes, field: 3, into: &eventMessage)
            }
        }
        for link in span.links {
            writer.message(13) { linkMessage in
                linkMessage.bigEndianBytes(1, high: link.context.traceID.high, low: link.context.traceID.low)
                linkMessage.bigEndianBytes(2, link.context.spanID.value)
                linkMessage.string(3, link.context.traceState.header)
                writeAttributes(link.attributes, field: 4, into: &linkMessage)
                linkMessage.fixed32(6, UInt32(link.context.flags.rawValue) | 0x100 | (link.context.isRemote ? 0x200 : 0))
            }
        }
        writer.message(15) { status in
            status.string(2, span.status.message)
            status.int64(3, Int64(span.status.code.rawValue))
        }
        writer.fixed32(16, span.otlpFlags)
    }

    /// Repeated `KeyValue` entries under `field`.
    static func writeAttributes(_ attributes: SpanAttributes, field: Int, into writer: inout ProtobufWriter) {
        for (key, value) in attributes {
            writer.message(field) { keyValue in
                keyValue.string(1, key)
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
