/// A minimal Protocol Buffers (proto3) binary writer: what the OTLP encoder needs and no more.
///
/// Fields are written in the order the caller writes them (OTLP's encoder writes them in field
/// number order, as the reference implementations do). Scalar fields holding their default value
/// are skipped, as proto3 serialisers do, unless `force` is set (members of a `oneof`, which are
/// always written). Nested messages are written in place: one byte is reserved for the length,
/// and the contents are shifted only when the length needs more than one byte.
struct ProtobufWriter {
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private(set) var bytes: [UInt8]

    init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    @inline(__always)
    mutating func tag(_ field: Int, _ wireType: WireType) {
        varint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// An `int64`/`uint64`/`enum` field (negative numbers take ten bytes, as proto3 requires).
    mutating func int64(_ field: Int, _ value: Int64, force: Bool = false) {
        guard value != 0 || force else { return }
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool, force: Bool = false) {
        guard value || force else { return }
        tag(field, .varint)
        bytes.append(value ? 1 : 0)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64, force: Bool = false) {
        guard value != 0 || force else { return }
        tag(field, .fixed64)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func fixed32(_ field: Int, _ value: UInt32, force: Bool = false) {
        guard value != 0 || force else { return }
        tag(field, .fixed32)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func double(_ field: Int, _ value: Double, force: Bool = false) {
        // proto3 skips +0.0 only; -0.0 has a non-zero bit pattern and is written.
        guard value.bitPattern != 0 || force else { return }
        fixed64(field, value.bitPattern, force: true)
    }

    mutating func string(_ field: Int, _ value: String, force: Bool = false) {
        guard !value.isEmpty || force else { return }
        tag(field, .lengthDelimited)
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8], force: Bool = false) {
        guard !value.isEmpty || force else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// 8 big-endian bytes of `value` as a `bytes` field (span ids).
    mutating func bigEndianBytes(_ field: Int, _ value: UInt64) {
        tag(field, .lengthDelimited)
        bytes.append(8)
        appendBigEndian(value)
    }

    /// 16 big-endian bytes as a `bytes` field (trace ids).
    mutating func bigEndianBytes(_ field: Int, high: UInt64, low: UInt64) {
        tag(field, .lengthDelimited)
        bytes.append(16)
        appendBigEndian(high)
        appendBigEndian(low)
    }

    private mutating func appendBigEndian(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A nested message field whose contents `body` writes; always written (an empty message is
    /// a present, empty field).
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        tag(field, .lengthDelimited)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
            return
        }
        var encoded: [UInt8] = []
        var value = UInt64(length)
        while value >= 0x80 {
            encoded.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        encoded.append(UInt8(value))
        bytes.replaceSubrange(lengthAt..<(lengthAt + 1), with: encoded)
    }
}
