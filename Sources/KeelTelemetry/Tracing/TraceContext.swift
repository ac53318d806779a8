/// The identity of a span as it crosses a process boundary: the W3C Trace Context `traceparent`
/// (trace id, span id, flags) and `tracestate` headers.
///
/// Inbound, ``init(traceparent:tracestate:)`` validates the header as W3C Trace Context requires
/// (invalid headers are ignored and a new trace starts); outbound, ``traceparent`` and
/// ``tracestate`` format the headers for the upstream request.
public struct TraceContext: Sendable, Hashable, CustomStringConvertible {
    /// The trace the span belongs to.
    public var traceID: TraceID
    /// The span id (for an inbound header, the caller's span: the parent of ours).
    public var spanID: SpanID
    /// The trace flags.
    public var flags: TraceFlags
    /// The vendor-specific `tracestate` list, passed along unchanged.
    public var traceState: TraceState
    /// Whether this context came from another process (set when parsed from headers).
    public var isRemote: Bool

    /// A context from its parts.
    public init(traceID: TraceID, spanID: SpanID, flags: TraceFlags = .sampled, traceState: TraceState = TraceState(), isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
        self.traceState = traceState
        self.isRemote = isRemote
    }

    /// Whether the sampled flag is set.
    public var isSampled: Bool { flags.contains(.sampled) }

    /// The header names, lowercase.
    public static let traceparentHeader = "traceparent"
    public static let tracestateHeader = "tracestate"

    /// Parses a `traceparent` header value (and, when given, the combined `tracestate` header).
    ///
    /// Follows W3C Trace Context: `version "-" trace-id "-" parent-id "-" trace-flags`, lowercase
    /// hex only. Version `00` must be exactly 55 characters; a higher version (not `ff`) may be
    /// longer, in which case the 56th character must be `-` and the fields after the flags are
    /// ignored. An all-zero trace id or parent id is invalid. Returns nil for an invalid
    /// `traceparent`; an invalid `tracestate` is dropped (an empty ``traceState``) without
    /// invalidating the `traceparent`.
    public init?(traceparent: String, tracestate: String? = nil) {
        let bytes = Array(traceparent.utf8)
        guard bytes.count >= 55 else { return nil }
        guard let versionHigh = HexDigits.value(bytes[0]), let versionLow = HexDigits.value(bytes[1]) else { return nil }
        let version = versionHigh << 4 | versionLow
        if version == 0xFF { return nil }
        if version == 0 {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55, bytes[55] != UInt8(ascii: "-") {
            return nil
        }
        guard bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-") else { return nil }
        guard let traceID = TraceID(hex: String(decoding: bytes[3..<35], as: UTF8.self)), traceID.isValid,
              let spanID = SpanID(hex: String(decoding: bytes[36..<52], as: UTF8.self)), spanID.isValid,
              let flagsHigh = HexDigits.value(bytes[53]), let flagsLow = HexDigits.value(bytes[54])
        else { return nil }
        self.init(
            traceID: traceID,
            spanID: spanID,
            flags: TraceFlags(rawValue: UInt8(flagsHigh << 4 | flagsLow)),
            traceState: tracestate.flatMap { TraceState(header: $0) } ?? TraceState(),
            isRemote: true
        )
    }

    /// The `traceparent` header value, version `00`.
    ///
    /// Only the flags defined for version 00 (`sampled`, and `random` from level 2) are sent.
    public var traceparent: String {
        let sent = flags.rawValue & (TraceFlags.sampled.rawValue | TraceFlags.random.rawValue)
        // "00-" 32 hex "-" 16 hex "-" 2 hex: 55 bytes written in place.
        return String(unsafeUninitializedCapacity: 55) { buffer in
            let dash = UInt8(ascii: "-")
            buffer[0] = UInt8(ascii: "0")
            buffer[1] = UInt8(ascii: "0")
            buffer[2] = dash
            HexDigits.write(traceID.high, into: buffer, at: 3)
            HexDigits.write(traceID.low, into: buffer, at: 19)
            buffer[35] = dash
            HexDigits.write(spanID.value, into: buffer, at: 36)
            buffer[52] = dash
            buffer[53] = HexDigits.digits[Int(sent >> 4)]
            buffer[54] = HexDigits.digits[Int(sent & 0xF)]
            return 55
        }
    }

    /// The context of a new span under this one: same trace, sampling decision and trace state, a
    /// new span id, local.
    public func child(generator: TraceIDGenerator = .shared) -> TraceContext {
        var child = self
        child.spanID = generator.spanID()
        child.isRemote = false
        return child
    }

    /// The `tracestate` header value, or nil when there is nothing to send.
    public var tracestate: String? {
        traceState.isEmpty ? nil : traceState.header
    }

    public var description: String { traceparent }
}
