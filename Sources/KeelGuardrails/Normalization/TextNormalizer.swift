import Foundation

/// Undoes the obfuscations used to slip instructions past filters, keeping a map back to the
/// original text so that a match in the normalised text can be reported where it really is.
///
/// - invisible and bidirectional-control characters are dropped;
/// - homoglyphs are folded to ASCII: Cyrillic and Greek look-alikes, fullwidth forms, mathematical
///   alphanumerics and letters with diacritics (`ïgnörë` → `ignore`);
/// - with ``Variant/leetspeak``, digits and symbols standing for letters are folded too
///   (`1gn0r3` → `ignore`, `@` → `a`, `$` → `s`).
public struct NormalizedText: Sendable {
    /// Which folding to apply.
    public enum Variant: Sendable {
        /// Invisible characters dropped and homoglyphs folded.
        case folded
        /// ``folded`` plus leetspeak digits and symbols read as letters.
        case leetspeak
    }

    /// The normalised UTF-8 bytes.
    public let bytes: [UInt8]
    /// For each normalised byte, the original byte range it came from.
    private let origins: [Range<Int>]

    /// The normalised text.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Normalises `text`.
    public init(_ text: ScanText, variant: Variant) {
        var bytes: [UInt8] = []
        var origins: [Range<Int>] = []
        bytes.reserveCapacity(text.bytes.count)
        origins.reserveCapacity(text.bytes.count)
        let leet = variant == .leetspeak
        if text.bytes.allSatisfy({ $0 < 0x80 }) {
            for (offset, byte) in text.bytes.enumerated() {
                bytes.append(leet ? Self.leet(byte, text.bytes, offset) : byte)
                origins.append(offset..<(offset + 1))
            }
        } else {
            var offset = 0
            for scalar in text.string.unicodeScalars {
                let length = scalar.utf8.count
                defer { offset += length }
                let origin = offset..<(offset + length)
                if scalar.value < 0x80 {
                    bytes.append(leet ? Self.leet(UInt8(scalar.value), text.bytes, offset) : UInt8(scalar.value))
                    origins.append(origin)
                    continue
                }
                if InvisibleCharacters.kind(scalar.value) != nil { continue }
                for byte in Self.fold(scalar) {
                    bytes.append(byte)
                    origins.append(origin)
                }
            }
        }
        self.bytes = bytes
        self.origins = origins
    }

    /// The original byte range of a normalised byte range.
    public func originalRange(_ range: Range<Int>) -> Range<Int> {
        guard !origins.isEmpty, !range.isEmpty else { return 0..<0 }
        let lower = origins[min(range.lowerBound, origins.count - 1)].lowerBound
        let upper = origins[min(range.upperBound - 1, origins.count - 1)].upperBound
        return lower..<upper
    }

    /// Whether any character was changed or dropped.
    public func differs(from text: ScanText) -> Bool { bytes != text.bytes }

    private static func leet(_ byte: UInt8, _ original: [UInt8], _ offset: Int) -> UInt8 {
        let mapped: UInt8
        switch byte {
        case UInt8(ascii: "0"): mapped = UInt8(ascii: "o")
        case UInt8(ascii: "1"), UInt8(ascii: "!"), UInt8(ascii: "|"): mapped = UInt8(ascii: "i")
        case UInt8(ascii: "3"): mapped = UInt8(ascii: "e")
        case UInt8(ascii: "4"), UInt8(ascii: "@"): mapped = UInt8(ascii: "a")
        case UInt8(ascii: "5"), UInt8(ascii: "$"): mapped = UInt8(ascii: "s")
        case UInt8(ascii: "7"), UInt8(ascii: "+"): mapped = UInt8(ascii: "t")
        case UInt8(ascii: "8"): mapped = UInt8(ascii: "b")
        case UInt8(ascii: "9"): mapped = UInt8(ascii: "g")
        default: return byte
        }
        // Only inside words: next to a letter, never inside a plain number.
        let before = offset > 0 && Self.isLetter(original[offset - 1])
        let after = offset + 1 < original.count && Self.isLetter(original[offset + 1])
        return before || after ? mapped : byte
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// Look-alikes that compatibility decomposition does not fold.
    static let homoglyphs: [UInt32: UInt8] = {
        var table: [UInt32: UInt8] = [:]
        let pairs: [(String, String)] = [
            ("аеорсухіјѕԁһӏԛԝ", "aeopcyxijsdhlqw"), ("АВЕКМНОРСТХІЈЅ", "ABEKMHOPCTXIJS"),
            ("αβεικνορτυχ", "abeiknoptux"), ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX"),
            ("ɡɑɩℓ", "gail"),
        ]
        for (from, to) in pairs {
            for (scalar, ascii) in zip(from.unicodeScalars, to.utf8) { table[scalar.value] = ascii }
        }
        return table
    }()

    private static func fold(_ scalar: Unicode.Scalar) -> [UInt8] {
        if let ascii = homoglyphs[scalar.value] { return [ascii] }
        if (0xFF01...0xFF5E).contains(scalar.value) { return [UInt8(scalar.value - 0xFEE0)] }
        if scalar.properties.generalCategory == .nonspacingMark { return [] }
        let decomposed = String(scalar).decomposedStringWithCompatibilityMapping.unicodeScalars
        let ascii = decomposed.filter { $0.isASCII }
        if !ascii.isEmpty, decomposed.allSatisfy({ $0.isASCII || $0.properties.generalCategory == .nonspacingMark }) {
            return ascii.map { UInt8($0.value) }
        }
        return Array(String(scalar).utf8)
    }
}
