/// Serialises `JSONValue`s to UTF-8 JSON text.
///
/// The default output is compact (no whitespace), keeps object members in order and
/// writes numbers exactly as their `JSONNumber.text`. Strings escape `"`, `\` and the
/// control characters U+0000…U+001F (`\n`, `\r`, `\t`, `\b`, `\f` by name, the others as
/// `\u00XX`); everything else, including `/` and non-ASCII text, is written as raw UTF-8.
public struct JSONWriter: Sendable {
    /// Output options.
    public struct Options: OptionSet, Sendable, Hashable {
        public let rawValue: Int

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
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(value, into: &out)
        return out
    }

    /// Appends `value` as UTF-8 JSON text to `out`.
    public func write(_ value: JSONValue, into out: inout [UInt8]) {
        if options.isEmpty {
            JSONWriter.writeCompact(value, into: &out)
        } else {
            writeFormatted(value, into: &out, indent: 0)
        }
    }

    // MARK: Compact

    private static func writeCompact(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null:
            appendLiteral("null", to: &out)
        case .bool(let flag):
            appendLiteral(flag ? "true" : "false", to: &out)
        case .number(let number):
            appendRaw(number.text, to: &out)
        case .string(let string):
            writeString(string, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeCompact(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            var first = true
            for member in object {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                writeCompact(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    // MARK: Pretty / sorted

    private func writeFormatted(_ value: JSONValue, into out: inout [UInt8], indent: Int) {
        let pretty = options.contains(.prettyPrinted)
        switch value {
        case .array(let elements):
            guard !elements.isEmpty else {
                JSONWriter.appendLiteral("[]", to: &out)
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
                JSONWriter.appendLiteral("{}", to: &out)
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
                JSONWriter.writeString(member.key, into: &out)
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

    private func newline(indent: Int, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    // MARK: Pieces

    @inline(__always)
    private static func appendLiteral(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    @inline(__always)
    private static func appendRaw(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    /// `true` if any byte of `word` is `"`, `\` or below 0x20.
    @inline(__always)
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let found = ((quote &- ones) & ~quote)
            | ((backslash &- ones) & ~backslash)
            | ((word &- ones &* 0x20) & ~word)
        return found & 0x8080_8080_8080_8080 != 0
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends `string` as a quoted JSON string, copying unescaped runs in bulk.
    static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            let count = bytes.count
            var runStart = 0
            var index = 0
            while true {
                while index + 8 <= count {
                    let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                    if needsEscape(word) { break }
                    index += 8
                }
                guard index < count else { break }
                let byte = base[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                    if index > runStart {
                        out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: index - runStart))
                    }
                    appendEscape(byte, to: &out)
                    runStart = index + 1
                }
                index += 1
            }
            if count > runStart {
                out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        default:
            let digits = hexDigits.utf8Start
            out.append(UInt8(ascii: "u"))
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "0"))
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }
}
