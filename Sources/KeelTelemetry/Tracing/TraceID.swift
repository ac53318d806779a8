/// A W3C / OpenTelemetry trace id: 16 bytes, never all zero when valid.
///
/// Stored as two big-endian halves so that comparing, hashing and formatting need no allocation.
public struct TraceID: Sendable, Hashable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public let high: UInt64
    /// The last 8 bytes, big-endian (the random part a ratio sampler looks at).
    public let low: UInt64

    /// A trace id from its two big-endian halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses 32 lowercase hexadecimal digits; nil for any other text (upper case included, as W3C
    /// Trace Context requires). The all-zero id parses: check ``isValid``.
    public init?(hex: some StringProtocol) {
        let utf8 = hex.utf8
        guard utf8.count == 32 else { return nil }
        guard let high = HexDigits.parseUInt64(utf8.prefix(16)), let low = HexDigits.parseUInt64(utf8.dropFirst(16)) else {
            return nil
        }
        self.init(high: high, low: low)
    }

    /// A trace id from 16 bytes; nil when `bytes` has another length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// The invalid all-zero id.
    public static let invalid = TraceID(high: 0, low: 0)

    /// Whether the id is usable: W3C Trace Context forbids the all-zero id.
    public var isValid: Bool { high != 0 || low != 0 }

    /// 32 lowercase hexadecimal digits.
    public var hex: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            HexDigits.write(high, into: buffer, at: 0)
            HexDigits.write(low, into: buffer, at: 16)
            return 32
        }
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        HexDigits.appendBigEndian(high, to: &out)
        HexDigits.appendBigEndian(low, to: &out)
        return out
    }

    /// A new random, valid trace id (see ``TraceIDGenerator``).
    public static func random() -> TraceID { TraceIDGenerator.shared.traceID() }

    public var description: String { hex }
}

/// A W3C / OpenTelemetry span id (the `parent-id` of `traceparent`): 8 bytes, never zero when valid.
public struct SpanID: Sendable, Hashable, CustomStringConvertible {
    /// The 8 bytes, big-endian.
    public let value: UInt64

    /// A span id from its big-endian value.
    public init(_ value: UInt64) {
        self.value = value
    }

    /// Parses 16 lowercase hexadecimal digits; nil for any other text. Zero parses: check ``isValid``.
    public init?(hex: some StringProtocol) {
        let utf8 = hex.utf8
        guard utf8.count == 16, let value = HexDigits.parseUInt64(utf8) else { return nil }
        self.value = value
    }

    /// A span id from 8 bytes; nil when `bytes` has another length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 8 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The invalid zero id.
    public static let invalid = SpanID(0)

    /// Whether the id is usable: W3C Trace Context forbids the all-zero id.
    public var isValid: Bool { value != 0 }

    /// 16 lowercase hexadecimal digits.
    public var hex: String { HexDigits.format(value) }

    /// The 8 bytes, big-endian.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8)
        HexDigits.appendBigEndian(value, to: &out)
        return out
    }

    /// A new random, valid span id (see ``TraceIDGenerator``).
    public static func random() -> SpanID { TraceIDGenerator.shared.spanID() }

    public var description: String { hex }
}

/// Lowercase hexadecimal helpers shared by the id types and the encoders.
enum HexDigits {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The value of one lowercase hex digit, or nil.
    @inline(__always)
    static func value(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(byte &- UInt8(ascii: "a") &+ 10)
        default: nil
        }
    }

    /// Parses up to 16 lowercase hex digits.
    static func parseUInt64(_ digits: some Collection<UInt8>) -> UInt64? {
        var result: UInt64 = 0
        for byte in digits {
            guard let nibble = value(byte) else { return nil }
            result = result << 4 | nibble
        }
        return result
    }

    /// 16 lowercase hex digits, zero padded.
    static func format(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            write(value, into: buffer, at: 0)
            return 16
        }
    }

    /// Writes 16 lowercase hex digits of `value` at `offset`.
    @inline(__always)
    static func write(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for index in 0..<16 {
            let shift = UInt64(60 - index * 4)
            buffer[offset + index] = digits[Int((value >> shift) & 0xF)]
        }
    }

    /// Two lowercase hex digits.
    static func format(byte: UInt8) -> String {
        String(unsafeUninitializedCapacity: 2) { buffer in
            buffer[0] = digits[Int(byte >> 4)]
            buffer[1] = digits[Int(byte & 0xF)]
            return 2
        }
    }

    static func appendBigEndian(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
