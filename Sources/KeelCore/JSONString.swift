/// Escapes strings for JSON output without going through an encoder.
///
/// This is the one JSON string escaper of the project: ``JSONWriter`` uses it too. It escapes `"`,
/// `\` and the control characters U+0000…U+001F (`\n`, `\r`, `\t`, `\b`, `\f` by name, the others
/// as `\u00XX`); everything else, including `/` and non-ASCII text, is written as raw UTF-8.
public enum JSONString {
    /// Appends `value` to `out` as a quoted JSON string literal.
    public static func append(_ value: String, to out: inout String) {
        // Most strings (ids, model names, messages) need no escaping: append them as they are.
        let clean = value.utf8.withContiguousStorageIfAvailable { !needsEscaping($0) } ?? false
        if clean {
            out.append("\"")
            out.append(value)
            out.append("\"")
            return
        }
        var output = JSONOutput(capacity: value.utf8.count + 16)
        write(value, into: &output)
        out.append(String(decoding: output.bytes, as: UTF8.self))
    }

    /// `value` as a quoted JSON string literal.
    public static func quote(_ value: String) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }

    // MARK: Byte level (shared with the writer)

    /// Appends `string` to `out` as a quoted JSON string, copying unescaped runs in bulk.
    static func write(_ string: String, into out: inout JSONOutput) {
        out.append(UInt8(ascii: "\""))
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            writeEscaped(bytes, into: &out)
        }
        if done == nil {
            Array(string.utf8).withUnsafeBufferPointer { writeEscaped($0, into: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `true` if any byte of `word` is `"`, `\` or below 0x20 (the bytes that end a run of plain
    /// string content, for the writer and the parser alike).
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let found = ((quote &- ones) & ~quote)
            | ((backslash &- ones) & ~backslash)
            | ((word &- ones &* 0x20) & ~word)
        return found & 0x8080_8080_8080_8080 != 0
    }

    /// `true` if `byte` is `"`, `\` or below 0x20.
    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20
    }

    /// `true` if any byte of `bytes` must be escaped.
    static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var index = 0
        while index + 8 <= bytes.count {
            if needsEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) { return true }
            index += 8
        }
        while index < bytes.count {
            if needsEscape(base[index]) { return true }
            index += 1
        }
        return false
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    private static func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout JSONOutput) {
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
            if needsEscape(byte) {
                out.append(base + runStart, count: index - runStart)
                appendEscape(byte, to: &out)
                runStart = index + 1
            }
            index += 1
        }
        out.append(base + runStart, count: count - runStart)
    }

    private static func appendEscape(_ byte: UInt8, to out: inout JSONOutput) {
        switch byte {
        case UInt8(ascii: "\""): out.append("\\\"")
        case UInt8(ascii: "\\"): out.append("\\\\")
        case 0x0A: out.append("\\n")
        case 0x0D: out.append("\\r")
        case 0x09: out.append("\\t")
        case 0x08: out.append("\\b")
        case 0x0C: out.append("\\f")
        default:
            let digits = hexDigits.utf8Start
            out.append("\\u00")
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }
}
