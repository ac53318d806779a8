/// Detects prompt injection and jailbreak attempts: instruction overrides, role-play jailbreaks
/// (DAN-style), system-prompt extraction, delimiter tricks, and the same hidden behind encodings
/// (base64 or hex payloads, Unicode tag characters, invisible or bidi characters, homoglyphs,
/// leetspeak).
///
/// **Scoring.** Signatures are matched on the original text and on two normalised variants
/// (homoglyphs folded and invisible characters dropped; plus leetspeak). Each category scores the
/// highest weight among its matching signatures; a signature that only matches after
/// normalisation or decoding gains 0.1 (the obfuscation is itself a signal). The signature score
/// combines categories as independent evidence, `1 − ∏(1 − wᵢ)`. When a classifier is supplied the
/// text's score is `max(signature score, classifier probability)`; every finding carries the
/// text's score, and a classifier-only verdict is reported as `CLASSIFIER` over the whole text.
/// A policy entry's `threshold` (default 0.5) decides which findings count.
public struct PromptInjectionDetector: Detector {
    /// A probability (0…1) that a text is a prompt-injection attempt.
    public typealias Classifier = @Sendable (String) -> Double

    public let name = "prompt_injection"
    private let database: PatternDatabase
    private let classifier: Classifier?
    /// Below this classifier probability a classifier-only finding is not reported. Default 0.5.
    public let classifierThreshold: Double

    /// The trained classifier this build ships (``PromptInjectionClassifier``, weights produced by
    /// `scripts/guardrails/train_injection_classifier.py`), used by ``Guardrails`` unless told
    /// otherwise. Created once: loading weights is not free.
    public static let bundledClassifier: Classifier? = {
        let classifier = PromptInjectionClassifier()
        return { classifier.score($0) }
    }()

    /// The smallest base64 or hex run inspected as a possible encoded payload, in characters.
    static let minimumPayloadLength = 20

    /// The signatures, compiled once per process (compiling takes most of a second) and shared:
    /// a database is immutable and every scan borrows its own scratch space.
    private static let signatureDatabase: Result<PatternDatabase, PatternError> = {
        do throws(PatternError) {
            return .success(try PatternDatabase(PromptInjectionSignatures.all.enumerated().map {
                Pattern(id: $0.offset, $0.element.expression, [.caseless])
            }))
        } catch {
            return .failure(error)
        }
    }()

    /// Uses the compiled signatures; `classifier`, if given, is combined as described above.
    public init(classifier: Classifier? = nil, classifierThreshold: Double = 0.5) throws(PatternError) {
        database = try Self.signatureDatabase.get()
        self.classifier = classifier
        self.classifierThreshold = classifierThreshold
    }

    private struct Hit {
        var category: String
        var weight: Double
        var range: Range<Int>
        var obfuscated: Bool
    }

    /// The text's combined score (signatures and classifier), between 0 and 1.
    public func score(_ text: String) -> Double {
        let findings = scan(ScanText(text))
        return findings.first?.score ?? 0
    }

    public func scan(_ text: ScanText) -> [Finding] {
        var hits = signatureHits(text.bytes, obfuscated: false) { $0 }
        for variant in [NormalizedText.Variant.folded, .leetspeak] {
            let normalized = NormalizedText(text, variant: variant)
            guard normalized.differs(from: text) else { continue }
            // Folding also strips accents, which the signatures of other languages are written without.
            hits += signatureHits(normalized.bytes, obfuscated: true, accentsFolded: variant == .folded) {
                normalized.originalRange($0)
            }
        }
        // A normalised variant differs from the text as soon as one character folds (an accent, a "!"
        // next to a letter), and then repeats every plain match: such a repeat is not obfuscated.
        if hits.contains(where: \.obfuscated) {
            var plain: [String: [Range<Int>]] = [:]
            for hit in hits where !hit.obfuscated {
                plain[hit.category, default: []].append(hit.range)
            }
            let covered = plain.mapValues(Self.merged)
            hits.removeAll { hit in
                guard hit.obfuscated, let ranges = covered[hit.category] else { return false }
                return Self.overlapsAny(ranges, hit.range)
            }
        }
        hits += payloadHits(text)
        var byCategory: [String: Double] = [:]
        for hit in hits {
            let weight = min(1.0, hit.weight + (hit.obfuscated ? 0.1 : 0))
            byCategory[hit.category] = max(byCategory[hit.category] ?? 0, weight)
        }
        var score = 1 - byCategory.values.reduce(1.0) { $0 * (1 - $1) }
        var classifierOnly = false
        if let classifier {
            let probability = classifier(text.string)
            if probability > score {
                score = probability
                classifierOnly = hits.isEmpty
            }
        }
        if classifierOnly, score >= classifierThreshold {
            return [text.finding(detector: name, type: "CLASSIFIER", range: 0..<text.bytes.count, score: score)]
        }
        // The first hit of a category at a place wins over later ones overlapping it.
        var findings: [Finding] = []
        var taken: [String: DisjointRanges] = [:]
        for hit in hits where taken[hit.category, default: DisjointRanges()].insertIfDisjoint(hit.range) {
            findings.append(text.finding(detector: name, type: hit.category, range: hit.range, score: score))
        }
        return findings.sortedByPosition()
    }

    /// `ranges` sorted and with overlapping or touching ranges joined.
    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, range.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                out.append(range)
            }
        }
        return out
    }

    /// Whether `range` overlaps one of `merged` (sorted and disjoint), by binary search.
    static func overlapsAny(_ merged: [Range<Int>], _ range: Range<Int>) -> Bool {
        var low = 0
        var high = merged.count
        while low < high {  // the first range ending after range's start
            let mid = (low + high) / 2
            if merged[mid].upperBound <= range.lowerBound { low = mid + 1 } else { high = mid }
        }
        return low < merged.count && merged[low].overlaps(range)
    }

    private func signatureHits(_ bytes: [UInt8], obfuscated: Bool, accentsFolded: Bool = false,
                               map: (Range<Int>) -> Range<Int>) -> [Hit] {
        var longest: [Int: PatternMatch] = [:]
        var hits: [Hit] = []
        for match in database.scan(bytes) {
            // Vectorscan reports every end; keep the longest match per pattern and start.
            let key = match.id &* 1_000_003 &+ match.start
            if let existing = longest[key], existing.end >= match.end { continue }
            longest[key] = match
        }
        for match in longest.values.sorted(by: { $0.start < $1.start }) {
            let signature = PromptInjectionSignatures.all[match.id]
            hits.append(Hit(category: signature.category, weight: signature.weight, range: map(match.start..<match.end),
                            obfuscated: obfuscated && !(accentsFolded && signature.accentFree)))
        }
        return hits
    }

    /// Base64 and hex runs, and Unicode tag-character text, decoded and scanned for signatures.
    private func payloadHits(_ text: ScanText) -> [Hit] {
        var hits: [Hit] = []
        for (range, decoded) in Self.encodedPayloads(text) {
            let found = signatureHits(decoded, obfuscated: true) { _ in range }
            if let best = found.max(by: { $0.weight < $1.weight }) {
                hits.append(Hit(category: "ENCODED_PAYLOAD", weight: best.weight, range: range, obfuscated: true))
            }
        }
        return hits
    }

    /// Decoded payloads with the original byte range they came from; only decodings that are mostly
    /// printable text are returned.
    static func encodedPayloads(_ text: ScanText) -> [(Range<Int>, [UInt8])] {
        var payloads: [(Range<Int>, [UInt8])] = []
        let bytes = text.bytes
        var index = 0
        while index < bytes.count {
            guard isBase64(bytes[index]) else { index += 1; continue }
            var end = index
            while end < bytes.count, isBase64(bytes[end]) { end += 1 }
            var padded = end
            while padded < bytes.count, padded - end < 2, bytes[padded] == UInt8(ascii: "=") { padded += 1 }
            if end - index >= minimumPayloadLength {
                let run = Array(bytes[index..<end])
                let isHex = run.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
                let decoded = isHex ? Base64.decodeHex(run) : Base64.decode(run)
                if let decoded, isMostlyText(decoded) { payloads.append((index..<padded, decoded)) }
            }
            index = padded
        }
        // Unicode tag characters carry ASCII invisibly (U+E0020…U+E007E).
        if bytes.contains(0xF3) {
            var offset = 0
            var start: Int?
            var hidden: [UInt8] = []
            for scalar in text.string.unicodeScalars {
                if (0xE0020...0xE007E).contains(scalar.value) {
                    if start == nil { start = offset }
                    hidden.append(UInt8(scalar.value - 0xE0000))
                } else if let begin = start {
                    payloads.append((begin..<offset, hidden))
                    start = nil
                    hidden = []
                }
                offset += scalar.utf8.count
            }
            if let begin = start { payloads.append((begin..<offset, hidden)) }
        }
        return payloads
    }

    private static func isBase64(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    private static func isMostlyText(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 8 else { return false }
        let printable = bytes.filter { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A || $0 == 0x09 }.count
        let letters = bytes.filter { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }.count
        return Double(printable) >= 0.9 * Double(bytes.count) && Double(letters) >= 0.5 * Double(bytes.count)
    }
}
