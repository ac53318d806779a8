/// Finds invisible and bidirectional-control characters: zero-width spaces and joiners, bidi
/// overrides and isolates ("Trojan Source"), Unicode tag characters (used to smuggle hidden ASCII
/// instructions) and supplementary variation selectors. A zero-width joiner between two emoji is
/// ordinary emoji composition and is not reported. Redacting removes the characters.
public struct InvisibleTextDetector: Detector {
    public let name = "invisible_text"
    public var redactionStyle: RedactionStyle { .remove }

    /// Creates the detector.
    public init() {}

    public func scan(_ text: ScanText) -> [Finding] {
        guard text.bytes.contains(where: { $0 >= 0x80 }) else { return [] }
        var findings: [Finding] = []
        var offset = 0
        let scalars = Array(text.string.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            let length = scalar.utf8.count
            defer { offset += length }
            guard var kind = InvisibleCharacters.kind(scalar.value) else { continue }
            if scalar.value == 0x200D, index > 0, index + 1 < scalars.count,
               scalars[index - 1].properties.isEmoji, scalars[index + 1].properties.isEmoji,
               scalars[index - 1].value > 0xFF, scalars[index + 1].value > 0xFF {
                continue
            }
            if kind == "ZERO_WIDTH", scalar.value == 0xFEFF, offset == 0 { kind = "BYTE_ORDER_MARK" }
            if kind == "BYTE_ORDER_MARK" { continue }
            if var last = findings.last, last.type == kind, last.range.upperBound == offset {
                last.range = last.range.lowerBound..<(offset + length)
                last.codePointRange = last.codePointRange.lowerBound..<(last.codePointRange.upperBound + 1)
                findings[findings.count - 1] = last
            } else {
                findings.append(text.finding(detector: name, type: kind, range: offset..<(offset + length), score: 0.95))
            }
        }
        return findings
    }
}
