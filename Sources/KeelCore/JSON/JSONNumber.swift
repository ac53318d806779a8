/// A JSON number that keeps its exact source text.
///
/// The gateway must pass numbers such as `seed`, token ids or `0.1` through unchanged,
/// so a parsed number is never converted: `text` is what the input said, and the writer
/// emits it byte for byte. `int` and `double` convert on demand.
///
/// Equality and hashing compare the text: `1`, `1.0` and `1e0` are different values.
/// Numbers built from `Int` print as plain integers; numbers built from `Double` use
/// Swift's shortest round-trip `description` (`0.1`, `1.0`, `1e+20`).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as written in JSON, e.g. `-12.5e3`.
    public let text: String

    /// Wraps text the parser has already validated.
    init(uncheckedText text: String) {
        self.text = text
    }

    /// Creates a number from text, or `nil` if `text` is not a JSON number (RFC 8259 §6).
    public init?(text: String) {
        var copy = text
        let valid = copy.withUTF8 { bytes in
            JSONNumber.grammarLength(bytes, from: 0) == bytes.count && !bytes.isEmpty
        }
        guard valid else { return nil }
        self.text = text
    }

    /// Creates a number from an integer.
    public init(_ value: Int) {
        self.text = String(value)
    }

    /// Creates a number from a double, or `nil` for infinities and NaN (JSON has no spelling for them).
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        self.text = value.description
    }

    /// The value as an `Int` when it is an integer that fits: `42`, `-7`, `1e2`, `3.0`.
    ///
    /// `nil` for fractions (`0.5`) and for integers outside `Int`'s range
    /// (`12345678901234567890`). Non-plain spellings (`1e2`) are accepted only while the
    /// value is exactly representable as a `Double` (below 2^53 in magnitude).
    public var int: Int? {
        if let exact = Int(text) {
            return exact
        }
        guard let value = double, value.rounded(.towardZero) == value,
              abs(value) <= 9_007_199_254_740_992 else { return nil }
        return Int(value)
    }

    /// The value as the nearest `Double`, or `nil` when it overflows to infinity (`1e400`).
    ///
    /// Large integers lose precision here; use `text` or `int` to keep them exact.
    public var double: Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// The number's JSON text.
    public var description: String { text }

    /// Length of the longest prefix of `bytes[start...]` that is a JSON number, or -1 if
    /// the bytes at `start` do not begin a valid number. Used by `init?(text:)`.
    static func grammarLength(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        let end = bytes.count
        @inline(__always) func isDigit(_ i: Int) -> Bool {
            i < end && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
        }
        if index < end && bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { return -1 }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { return -1 }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { return -1 }
            while isDigit(index) { index += 1 }
        }
        if index < end && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            index += 1
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                index += 1
            }
            guard isDigit(index) else { return -1 }
            while isDigit(index) { index += 1 }
        }
        return index - start
    }
}

extension JSONNumber: ExpressibleByIntegerLiteral {
    /// Creates a number from an integer literal.
    public init(integerLiteral value: Int) {
        self.init(value)
    }
}

extension JSONNumber: ExpressibleByFloatLiteral {
    /// Creates a number from a floating-point literal (always finite).
    public init(floatLiteral value: Double) {
        precondition(value.isFinite, "JSON numbers must be finite")
        self.text = value.description
    }
}
