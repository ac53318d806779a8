import KeelCore

/// Encodes spans as an OTLP `ExportTraceServiceRequest` in OTLP/JSON (`application/json`).
///
/// OTLP/JSON is the Protocol Buffers JSON mapping with OTLP's deviations: field names in
/// lowerCamelCase, trace and span ids as lowercase hex (not base64), enums as integers, and 64-bit
/// integers as decimal strings. Fields holding proto3 defaults are left out, as the official
/// serialisers do.
public enum OTLPJSONEncoder {
    /// The request body for `spans`.
    public static func encode(_ spans: [Span], resource: TelemetryResource, scope: InstrumentationScope) -> [UInt8] {
        var out = ""
        out.reserveCapacity(256 + spans.count * 768)
        out += "{\"resourceSpans\":[{\"resource\":{"
        writeAttributes(resource.attributes, into: &out)
        out += "},\"scopeSpans\":[{\"scope\":{"
        var scopeFields: [String] = []
        if !scope.name.isEmpty { scopeFields.append("\"name\":" + JSONString.quote(scope.name)) }
        if !scope.version.isEmpty { scopeFields.append("\"version\":" + JSONString.quote(scope.version)) }
        out += scopeFields.joined(separator: ",")
        out += "}"
        if !spans.isEmpty {
            out += ",\"spans\":["
            for (index, span) in spans.enumerated() {
                if index > 0 { out += "," }
                writeSpan(span, into: &out)
            }
            out += "]"
        }
        out += "}]}]}"
        return Array(out.utf8)
    }

    static func writeSpan(_ span: Span, into out: inout String) {
        out += "{\"traceId\":\""
        out += span.traceID.hex
        out += "\",\"spanId\":\""
        out += span.spanID.hex
        out += "\""
        if !span.traceState.isEmpty {
            out += ",\"traceState\":"
            JSONString.append(span.traceState.header, to: &out)
        }
        if let parent = span.parentSpanID {
            out += ",\"parentSpanId\":\""
            out += parent.hex
            out += "\""
        }
        if span.otlpFlags != 0 {
            out += ",\"flags\":"
            out += String(span.otlpFlags)
        }
        if !span.name.isEmpty {
            out += ",\"name\":"
            JSONString.append(span.name, to: &out)
        }
        out += ",\"kind\":"
        out += String(span.kind.rawValue)
        if span.startTimeUnixNano != 0 {
            out += ",\"startTimeUnixNano\":\""
            out += String(span.startTimeUnixNano)
            out += "\""
        }
        if span.endTimeUnixNano != 0 {
            out += ",\"endTimeUnixNano\":\""
            out += String(span.endTimeUnixNano)
            out += "\""
        }
        if !span.attributes.isEmpty {
            out += ","
            writeAttributes(span.attributes, into: &out)
        }
        if !span.events.isEmpty {
            out += ",\"events\":["
            for (index, event) in span.events.enumerated() {
                if index > 0 { out += "," }
                var fields: [String] = []
                if event.timeUnixNano != 0 { fields.append("\"timeUnixNano\":\"\(event.timeUnixNano)\"") }
                if !event.name.isEmpty { fields.append("\"name\":" + JSONString.quote(event.name)) }
                if !event.attributes.isEmpty {
                    var attributes = ""
                    writeAttributes(event.attributes, into: &attributes)
                    fields.append(attributes)
                }
                out += "{" + fields.joined(separator: ",") + "}"
            }
            out += "]"
        }
        if !span.links.isEmpty {
            out += ",\"links\":["
            for (index, link) in span.links.enumerated() {
                if index > 0 { out += "," }
                out += "{\"traceId\":\"\(link.context.traceID.hex)\",\"spanId\":\"\(link.context.spanID.hex)\""
                if !link.context.traceState.isEmpty {
                    out += ",\"traceState\":" + JSONString.quote(link.context.traceState.header)
                }
                if !link.attributes.isEmpty {
                    out += ","
                    writeAttributes(link.attributes, into: &out)
                }
                let flags = UInt32(link.context.flags.rawValue) | 0x100 | (link.context.isRemote ? 0x200 : 0)
                out += ",\"flags\":\(flags)}"
            }
            out += "]"
        }
        out += ",\"status\":{"
        var statusFields: [String] = []
        if !span.status.message.isEmpty { statusFields.append("\"message\":" + JSONString.quote(span.status.message)) }
        if span.status.code != .unset { statusFields.append("\"code\":\(span.status.code.rawValue)") }
        out += statusFields.joined(separator: ",")
        out += "}}"
    }

    /// `"attributes":[…]` (writes nothing for an empty set, except an empty list is never needed).
    static func writeAttributes(_ attributes: SpanAttributes, into out: inout String) {
        guard !attributes.isEmpty else { return }
        out += "\"attributes\":["
        var first = true
        for (key, value) in attributes {
            if !first { out += "," }
            first = false
            out += "{\"key\":"
            JSONString.append(key, to: &out)
            out += ",\"value\":"
            writeAnyValue(value, into: &out)
            out += "}"
        }
        out += "]"
    }

    static func writeAnyValue(_ value: AttributeValue, into out: inout String) {
        switch value {
        case .string(let string):
            out += "{\"stringValue\":"
            JSONString.append(string, to: &out)
            out += "}"
        case .bool(let bool):
            out += bool ? "{\"boolValue\":true}" : "{\"boolValue\":false}"
        case .int(let int):
            out += "{\"intValue\":\"\(int)\"}"
        case .double(let double):
            out += "{\"doubleValue\":" + formatDouble(double) + "}"
        case .stringArray(let strings):
            if strings.isEmpty {
                out += "{\"arrayValue\":{}}"
                return
            }
            out += "{\"arrayValue\":{\"values\":["
            for (index, string) in strings.enumerated() {
                if index > 0 { out += "," }
                out += "{\"stringValue\":"
                JSONString.append(string, to: &out)
                out += "}"
            }
            out += "]}}"
        }
    }

    /// A double as the Protocol Buffers JSON mapping writes it: a number, or the strings `"NaN"`,
    /// `"Infinity"` and `"-Infinity"`.
    static func formatDouble(_ value: Double) -> String {
        if value.isNaN { return "\"NaN\"" }
        if value == .infinity { return "\"Infinity\"" }
        if value == -.infinity { return "\"-Infinity\"" }
        return value.description
    }
}
