/// Serialises `JSONValue`s to UTF-8 JSON text.
///
/// The default output is compact (no whitespace), keeps object members in order and
/// writes numbers exactly as their `JSONNumber.text`. Strings are escaped by ``JSONString``:
/// `"`, `\` and the control characters U+0000…U+001F (`\n`, `\r`, `\t`, `\b`, `\f` by name, the
/// others as `\u00XX`); everything else, including `/` and non-ASCII text, is written as raw UTF-8.
public struct JSONWriter: Sendable {
    /// Output options.
    public struct Options: OptionSet, Sendable, Hashable {
        /// The option bits.
        public let rawValue: Int

        /// Creates options from bits; prefer the named options.
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// One member or element per line, indented by two spaces, `"key": value`.
        public static let prettyPrinted = Options(rawValue: 1 << 0)
        /// Object members ordered by key, comparing the keys' UTF-8 bytes (code point order),
        /// for output that does not depend on the input's key order.
        public static let sortedKeys = Options(rawValue: 1 << 1)
    }

    /// The options used by `serialize` and `write`. Default: none (compact, source order).
    public var options: Options

    /// Creates a writer; `options` default to compact output in member order.
    public init(options: Options = []) {
        self.options = options
    }

    /// `value` as UTF-8 JSON text.
    public func serialize(_ value: JSONValue) -> [UInt8] {
        var output = JSONOutput(capacity: 1024)
        write(value, to: &output)
        let written = output.bytes
        return [UInt8](unsafeUninitializedCapacity: written.count) { buffer, initialized in
            if let target = buffer.baseAddress, let source = written.baseAddress {
                target.update(from: source, count: written.count)
            }
            initialized = written.count
        }
    }

    /// Appends `value` as UTF-8 JSON text to `out`.
    public func write(_ value: JSONValue, into out: inout [UInt8]) {
        var output = JSONOutput(capacity: 1024)
        write(value, to: &output)
        out.append(contentsOf: output.bytes)
    }

    private func write(_ value: JSONValue, to out: inout JSONOutput) {
        if options.isEmpty {
            JSONWriter.writeCompact(value, into: &out)
        } else {
            writeFormatted(value, into: &out, indent: 0)
        }
    }

    // MARK: Compact

    private static func writeCompact(_ value: JSONValue, into out: inout JSONOutput) {
        switch value {
        case .null:
            out.append("null")
        case .bool(let flag):
            out.append(flag ? "true" : "false")
        case .number(let number):
            out.appendRaw(number.text)
        case .string(let string):
            JSONString.write(string, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            elements.withUnsafeBufferPointer { elements in
                for index in elements.indices {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    writeCompact(elements[index], into: &out)
                }
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            object.withUnsafeMembers { members in
                for index in members.indices {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    JSONString.write(members[index].key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    writeCompact(members[index].value, into: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    // MARK: Pretty / sorted

    private func writeFormatted(_ value: JSONValue, into out: inout JSONOutput, indent: Int) {
        let pretty = options.contains(.prettyPrinted)
        switch value {
        case .array(let elements):
            guard !elements.isEmpty else {
                out.append("[]")
                return
            }
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(indent: indent + 1, into: &out) }
                writeFormatted(element, into: &out, indent: indent + 1)
            }
            if pretty { newline(indent: indent, into: &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            guard !object.isEmpty else {
                out.append("{}")
                return
            }
            var members = Array(object)
            if options.contains(.sortedKeys) {
                members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            }
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(indent: indent + 1, into: &out) }
                JSONString.write(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                writeFormatted(member.value, into: &out, indent: indent + 1)
            }
            if pretty { newline(indent: indent, into: &out) }
            out.append(UInt8(ascii: "}"))
        default:
            JSONWriter.writeCompact(value, into: &out)
        }
    }

    private func newline(indent: Int, into out: inout JSONOutput) {
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<indent {
            out.append("  ")
        }
    }
}

/// A growable byte buffer for the writer: plain stores, no uniqueness checks.
struct JSONOutput: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    init(capacity: Int) {
        self.base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    /// The bytes written so far (valid until the next append; the buffer is freed with the value).
    var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base, count: count)
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(toAtLeast: count + 1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, count length: Int) {
        guard length > 0 else { return }
        if count + length > capacity { grow(toAtLeast: count + length) }
        (base + count).update(from: source, count: length)
        count += length
    }

    @inline(__always)
    mutating func append(_ literal: StaticString) {
        append(literal.utf8Start, count: literal.utf8CodeUnitCount)
    }

    mutating func appendRaw(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            if let start = bytes.baseAddress { append(start, count: bytes.count) }
        }
        if done == nil {
            for byte in text.utf8 { append(byte) }
        }
    }

    @inline(never)
    private mutating func grow(toAtLeast needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    deinit {
        base.deallocate()
    }
}
