/// Finds a canary token in model output: a random marker placed in the system prompt that should
/// never come back, so its appearance shows the system prompt leaked. Matching ignores case and
/// whitespace or punctuation inserted between the token's characters.
public struct SystemPromptLeakDetector: OverlapResolvingDetector {
    public let name = "system_prompt_leak"
    /// The canary tokens looked for.
    public let canaries: [String]
    private let folded: [[UInt8]]

    /// Creates the detector for `canaries` (each should be at least 8 characters).
    public init(canaries: [String]) throws(PatternError) {
        self.canaries = canaries
        folded = canaries.map { Self.fold(Array($0.utf8)).bytes }.filter { !$0.isEmpty }
    }

    /// Separators an attacker may insert between a token's characters.
    private static func isSeparator(_ byte: UInt8) -> Bool {
        [0x20, 0x09, 0x0A, 0x0D, 0x2D, 0x5F, 0x2E, 0x2C, 0x7C, 0x2A, 0x60, 0x27, 0x22].contains(byte)
    }

    /// The bytes without separators, ASCII lower-cased, each with its original offset.
    private static func fold(_ bytes: [UInt8]) -> (bytes: [UInt8], offsets: [Int]) {
        var out: [UInt8] = []
        var offsets: [Int] = []
        for (offset, byte) in bytes.enumerated() where !isSeparator(byte) {
            out.append(byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte)
            offsets.append(offset)
        }
        return (out, offsets)
    }

    /// A new random canary token, `keel-canary-` and 16 hex digits, for a system prompt.
    public static func makeCanary() -> String {
        var generator = SystemRandomNumberGenerator()
        return "keel-canary-" + String(generator.next() as UInt64, radix: 16).leftPadded(to: 16)
    }

    public func candidates(in text: ScanText) -> [Finding] {
        guard !folded.isEmpty else { return [] }
        let (haystack, offsets) = Self.fold(text.bytes)
        var findings: [Finding] = []
        for needle in folded where haystack.count >= needle.count {
            var index = 0
            while index + needle.count <= haystack.count {
                if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) {
                    let range = offsets[index]..<(offsets[index + needle.count - 1] + 1)
                    findings.append(text.finding(detector: name, type: "CANARY_TOKEN", range: range, score: 1.0))
                    index += needle.count
                } else {
                    index += 1
                }
            }
        }
        return findings
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
