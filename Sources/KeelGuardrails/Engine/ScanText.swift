/// A text prepared for scanning: its UTF-8 bytes, shared by every detector, and the conversion from
/// UTF-8 byte offsets (what Vectorscan reports) to Unicode code-point offsets (what the API reports,
/// as Python indexes strings).
public struct ScanText: Sendable {
    /// The text itself.
    public let string: String
    /// The text's UTF-8 bytes.
    public let bytes: [UInt8]
    /// For non-ASCII text: the code-point offset of every byte offset (`bytes.count + 1` entries).
    private let codePointOffsets: [Int32]?

    /// Prepares `string` for scanning.
    public init(_ string: String) {
        self.string = string
        let bytes = Array(string.utf8)
        self.bytes = bytes
        if bytes.allSatisfy({ $0 < 0x80 }) {
            codePointOffsets = nil
        } else {
            var offsets = [Int32](repeating: 0, count: bytes.count + 1)
            var count: Int32 = 0
            for (index, byte) in bytes.enumerated() {
                offsets[index] = count
                if byte & 0xC0 != 0x80 { count += 1 }
            }
            offsets[bytes.count] = count
            codePointOffsets = offsets
        }
    }

    /// The number of Unicode code points.
    public var codePointCount: Int { codePointOffset(ofByte: bytes.count) }

    /// The code-point offset of a UTF-8 byte offset (a byte inside a scalar maps to that scalar).
    public func codePointOffset(ofByte offset: Int) -> Int {
        guard let codePointOffsets else { return offset }
        return Int(codePointOffsets[max(0, min(offset, bytes.count))])
    }

    /// The text of a byte range (lossy if the range splits a scalar, which detectors never do).
    public func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// A finding for `range` with its code-point range filled in.
    func finding(detector: String, type: String, range: Range<Int>, score: Double) -> Finding {
        Finding(
            detector: detector, type: type, range: range,
            codePointRange: codePointOffset(ofByte: range.lowerBound)..<codePointOffset(ofByte: range.upperBound),
            score: score
        )
    }
}
