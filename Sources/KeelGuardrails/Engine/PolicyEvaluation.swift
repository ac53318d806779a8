import KeelConfig

/// Applies a policy's entries to one text: scan, keep findings at or above each entry's threshold,
/// then redact. Shared by whole-text evaluation and the stream redactor.
enum PolicyEvaluation {
    struct Acted {
        var finding: Finding
        var style: RedactionStyle
        var cardMask: GuardrailRuleConfig.CardMask
    }

    /// Every finding of `entries` in `text`, its action set; `role` is the text's role (entries that
    /// do not cover it skip the text; nil: every entry scans it); `wholeText` says whether detectors
    /// that need the complete text run too.
    static func scan(_ text: ScanText, entries: [PolicyEntry], textIndex: Int = 0, role: GuardrailRole? = nil, wholeText: Bool = true) -> [Acted] {
        var acted: [Acted] = []
        for entry in entries where (wholeText || !entry.needsWholeText) && entry.scans(role) {
            act(on: entry.detector.scan(text), of: entry, textIndex: textIndex, into: &acted)
        }
        return acted
    }

    /// For the stream redactor: what ``scan(_:entries:textIndex:role:wholeText:)`` finds in a window
    /// (detectors that need the whole text left out), and where every candidate at or above its
    /// entry's threshold lies, overlapping ones included (see ``Detector/scanWithCandidates(_:)``).
    static func scanWithCandidates(_ text: ScanText, entries: [PolicyEntry]) -> (acted: [Acted], candidates: [Range<Int>]) {
        var acted: [Acted] = []
        var candidates: [Range<Int>] = []
        for entry in entries where !entry.needsWholeText {
            let scanned = entry.detector.scanWithCandidates(text)
            act(on: scanned.findings, of: entry, textIndex: 0, into: &acted)
            for candidate in scanned.candidates where candidate.score >= entry.threshold { candidates.append(candidate.range) }
        }
        return (acted, candidates)
    }

    private static func act(on findings: [Finding], of entry: PolicyEntry, textIndex: Int, into acted: inout [Acted]) {
        for var finding in findings where finding.score >= entry.threshold {
            finding.action = entry.action
            finding.textIndex = textIndex
            acted.append(Acted(finding: finding, style: entry.detector.redactionStyle, cardMask: entry.cardMask))
        }
    }

    /// `text` with every `redact` finding replaced; overlapping findings merge into the higher-scoring one.
    static func redact(_ text: ScanText, _ acted: [Acted], redaction: inout Redaction) -> String {
        let redactions = acted.filter { $0.finding.action == .redact }
        guard !redactions.isEmpty else { return text.string }
        let ranked = redactions.sorted {
            if $0.finding.score != $1.finding.score { return $0.finding.score > $1.finding.score }
            return $0.finding.range.count > $1.finding.range.count
        }
        var kept = keepNonOverlapping(ranked) { $0.finding.range }
        kept.sort { $0.finding.range.lowerBound < $1.finding.range.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(text.bytes.count)
        var position = 0
        for item in kept {
            let range = item.finding.range
            out += text.bytes[position..<range.lowerBound]
            switch item.style {
            case .remove:
                break
            case .placeholder:
                let value = text.text(range)
                if item.finding.type == "CREDIT_CARD", item.cardMask != .placeholder {
                    out += mask(value, keepFirst: item.cardMask == .binLast4 ? 6 : 0).utf8
                } else {
                    out += redaction.placeholder(type: item.finding.type, value: value).utf8
                }
            }
            position = range.upperBound
        }
        out += text.bytes[position...]
        return String(decoding: out, as: UTF8.self)
    }

    /// A card number with every digit but the first `keepFirst` and the last four replaced by `*`;
    /// separators stay where they were.
    static func mask(_ value: String, keepFirst: Int) -> String {
        let digitCount = value.filter(\.isNumber).count
        var seen = 0
        return String(value.map { character -> Character in
            guard character.isNumber else { return character }
            seen += 1
            return seen <= keepFirst || seen > digitCount - 4 ? character : "*"
        })
    }
}
