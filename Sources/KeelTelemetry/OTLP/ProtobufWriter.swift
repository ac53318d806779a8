/// A minimal Protocol Buffers (proto3) binary writer: what the OTLP encoder needs and no more.
///
/// Fields are written in the order the caller writes them (OTLP's encoder writes them in field
/// number order, as the reference implementations do). Scalar fields holding their default value
/// are skipped, as proto3 serialisers do, unless `force` is set (members of a `oneof`, which are
/// always written). Nested messages are written in place: one byte is reserved for the length,
/// and the contents are shifted only when the length needs more than one byte.
///
/// The bytes live in one growable buffer written through a pointer (no per-byte bounds and
/// uniqueness checks); the writer is non-copyable so the buffer has exactly one owner.
struct ProtobufWriter: ~Copyable {
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    /// Whether `storage` was allocated by the writer (and is freed by it).
    private var ownsStorage: Bool

    init(capacity: Int = 1024) {
        self.capacity = max(16, capacity)
        storage = .allocate(capacity: self.capacity)
        ownsStorage = true
    }

    /// A writer that starts in `scratch` (for example stack memory from
    /// `withUnsafeTemporaryAllocation`) and moves to the heap only if the bytes outgrow it; the
    /// writer must not outlive `scratch`.
    init(scratch: UnsafeMutableBufferPointer<UInt8>) {
        if let base = scratch.baseAddress, scratch.count >= 16 {
            storage = base
            capacity = scratch.count
            ownsStorage = false
        } else {
            capacity = 1024
            storage = .allocate(capacity: capacity)
            ownsStorage = true
        }
    }

    deinit {
        if ownsStorage { storage.deallocate() }
    }

    /// The bytes written so far.
    var bytes: [UInt8] {
        Array(UnsafeBufferPointer(start: storage, count: count))
    }

    /// Calls `body` with the bytes written so far (valid only during the call).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    /// Bytes already encoded elsewhere (whole fields), as they are.
    mutating func raw(_ source: UnsafeRawBufferPointer) {
        append(source)
    }

    /// The tag and length of a length-delimited field whose `length` bytes the caller writes next.
    mutating func lengthDelimitedHeader(_ field: Int, length: Int) {
        tag(field, .lengthDelimited)
        varint(UInt64(length))
    }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStorage.update(from: storage, count: count)
        if ownsStorage { storage.deallocate() }
        storage = newStorage
        capacity = newCapacity
        ownsStorage = true
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    private mutating func append(_ source: UnsafeRawBufferPointer) {
        guard let base = source.baseAddress, !source.isEmpty else { return }
        reserve(source.count)
        UnsafeMutableRawPointer(storage + count).copyMemory(from: base, byteCount: source.count)
        count += source.count
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        reserve(10)
        var value = value
        while value >= 0x80 {
            storage[count] = UInt8(truncatingIfNeeded: value) | 0x80
            count += 1
            value >>= 7
        }
        storage[count] = UInt8(value)
        count += 1
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
        append(value ? 1 : 0)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64, force: Bool = false) {
        guard value != 0 || force else { return }
        tag(field, .fixed64)
        withUnsafeBytes(of: value.littleEndian) { append($0) }
    }

    mutating func fixed32(_ field: Int, _ value: UInt32, force: Bool = false) {
        guard value != 0 || force else { return }
        tag(field, .fixed32)
        withUnsafeBytes(of: value.littleEndian) { append($0) }
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
            append(UnsafeRawBufferPointer(utf8))
        }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8], force: Bool = false) {
        guard !value.isEmpty || force else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        value.withUnsafeBytes { append($0) }
    }

    /// 8 big-endian bytes of `value` as a `bytes` field (span ids).
    mutating func bigEndianBytes(_ field: Int, _ value: UInt64) {
        tag(field, .lengthDelimited)
        append(8)
        withUnsafeBytes(of: value.bigEndian) { append($0) }
    }

    /// 16 big-endian bytes as a `bytes` field (trace ids).
    mutating func bigEndianBytes(_ field: Int, high: UInt64, low: UInt64) {
        tag(field, .lengthDelimited)
        append(16)
        withUnsafeBytes(of: high.bigEndian) { append($0) }
        withUnsafeBytes(of: low.bigEndian) { append($0) }
    }

    /// A nested message field whose contents `body` writes; always written (an empty message is
    /// a present, empty field).
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        let start = beginMessage(field)
        body(&self)
        endMessage(start)
    }

    /// Opens a nested message field whose contents the caller writes next, then closes with
    /// ``endMessage(_:)`` (what ``message(_:_:)`` does without a closure, so a caller's values
    /// need not be captured). Returns where the length goes.
    mutating func beginMessage(_ field: Int) -> Int {
        tag(field, .lengthDelimited)
        let lengthAt = count
        append(0)
        return lengthAt
    }

    /// Closes the message ``beginMessage(_:)`` opened at `lengthAt`: writes its length, shifting
    /// the contents up when the length needs more than the one byte reserved.
    mutating func endMessage(_ lengthAt: Int) {
        let length = count - lengthAt - 1
        if length < 0x80 {
            storage[lengthAt] = UInt8(length)
            return
        }
        var lengthBytes = 1
        var rest = UInt64(length) >> 7
        while rest > 0 {
            lengthBytes += 1
            rest >>= 7
        }
        let shift = lengthBytes - 1
        reserve(shift)
        (storage + lengthAt + 1 + shift).update(from: storage + lengthAt + 1, count: length)
        count += shift
        var value = UInt64(length)
        var at = lengthAt
        while value >= 0x80 {
            storage[at] = UInt8(truncatingIfNeeded: value) | 0x80
            at += 1
            value >>= 7
        }
        storage[at] = UInt8(value)
    }

    // MARK: - OTLP attributes without nesting

    /// The number of bytes `varint(value)` writes.
    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        // 1 byte per 7 significant bits, at least one.
        (64 - (value | 1).leadingZeroBitCount + 6) / 7
    }

    /// The size of a length-delimited field with a one-byte tag and `length` bytes of contents.
    @inline(__always)
    static func lengthDelimitedSize(_ length: Int) -> Int {
        1 + varintSize(UInt64(length)) + length
    }

    /// A `KeyValue` message under `field` (a one-byte tag) whose `AnyValue` body, of `valueLength`
    /// bytes, the caller writes next: every length is known up front, so nothing is patched.
    @inline(__always)
    private mutating func keyValueHeader(_ field: Int, key: UnsafeBufferPointer<UInt8>, valueLength: Int) {
        let length = Self.lengthDelimitedSize(key.count) + Self.lengthDelimitedSize(valueLength)
        reserve(Self.lengthDelimitedSize(length) + 1)
        tag(field, .lengthDelimited)
        varint(UInt64(length))
        // KeyValue.key = 1
        append(0x0A)
        varint(UInt64(key.count))
        append(UnsafeRawBufferPointer(key))
        // KeyValue.value = 2
        append(0x12)
        varint(UInt64(valueLength))
    }

    /// `KeyValue{key, AnyValue{string_value}}` under `field`, the key as UTF-8.
    mutating func keyValue(_ field: Int, key: UnsafeBufferPointer<UInt8>, string value: String) {
        // A native string lends its bytes without a copy; a bridged one is copied first.
        if let done = value.utf8.withContiguousStorageIfAvailable({ keyValue(field, key: key, utf8: $0) }) { return done }
        var value = value
        value.withUTF8 { keyValue(field, key: key, utf8: $0) }
    }

    @inline(__always)
    private mutating func keyValue(_ field: Int, key: UnsafeBufferPointer<UInt8>, utf8 value: UnsafeBufferPointer<UInt8>) {
        keyValueHeader(field, key: key, valueLength: Self.lengthDelimitedSize(value.count))
        // AnyValue.string_value = 1
        append(0x0A)
        varint(UInt64(value.count))
        append(UnsafeRawBufferPointer(value))
    }

    /// `KeyValue{key, AnyValue{int_value}}` under `field`.
    mutating func keyValue(_ field: Int, key: UnsafeBufferPointer<UInt8>, int value: Int64) {
        let bits = UInt64(bitPattern: value)
        keyValueHeader(field, key: key, valueLength: 1 + Self.varintSize(bits))
        // AnyValue.int_value = 3
        append(0x18)
        varint(bits)
    }

    /// `KeyValue{key, AnyValue{double_value}}` under `field`.
    mutating func keyValue(_ field: Int, key: UnsafeBufferPointer<UInt8>, double value: Double) {
        keyValueHeader(field, key: key, valueLength: 9)
        // AnyValue.double_value = 4
        append(0x21)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { append($0) }
    }

    /// `KeyValue{key, AnyValue{bool_value}}` under `field`.
    mutating func keyValue(_ field: Int, key: UnsafeBufferPointer<UInt8>, bool value: Bool) {
        keyValueHeader(field, key: key, valueLength: 2)
        // AnyValue.bool_value = 2
        append(0x10)
        append(value ? 1 : 0)
    }
}
