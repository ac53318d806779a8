/// Scans a text and reports what it finds.
///
/// Detectors are immutable after construction (compiled pattern databases, word lists, schemas)
/// and safe to call from any thread.
public protocol Detector: Sendable {
    /// The detector's configuration name: `pii`, `secrets`, `prompt_injection`, …
    var name: String { get }
    /// How ``redact`` replaces what this detector finds.
    var redactionStyle: RedactionStyle { get }
    /// Every finding in `text`, in order of position.
    func scan(_ text: ScanText) -> [Finding]
    /// ``scan(_:)``'s findings and every candidate they were chosen from: a detector that keeps the
    /// higher-scoring of overlapping candidates reports the others too. The stream redactor never
    /// releases part of a candidate, because which of two overlapping candidates wins can change when
    /// more text arrives. Default: the findings themselves.
    func scanWithCandidates(_ text: ScanText) -> (findings: [Finding], candidates: [Finding])
}

/// How a redacted finding is replaced in the text.
public enum RedactionStyle: Sendable, Hashable {
    /// A numbered placeholder such as `[EMAIL_1]`, the same for equal values within one request.
    case placeholder
    /// The characters are removed (invisible and bidirectional control characters).
    case remove
}

extension Detector {
    public var redactionStyle: RedactionStyle { .placeholder }

    public func scanWithCandidates(_ text: ScanText) -> (findings: [Finding], candidates: [Finding]) {
        let findings = scan(text)
        return (findings, findings)
    }
}

/// A detector that finds candidates, some overlapping, and keeps the higher-scoring of each overlap
/// (then the longer one): it supplies ``candidates(in:)``, and gets ``Detector/scan(_:)`` and
/// ``Detector/scanWithCandidates(_:)``.
public protocol OverlapResolvingDetector: Detector {
    /// Every candidate, overlapping ones included.
    func candidates(in text: ScanText) -> [Finding]
}

extension OverlapResolvingDetector {
    public func scan(_ text: ScanText) -> [Finding] {
        resolveOverlaps(candidates(in: text))
    }

    public func scanWithCandidates(_ text: ScanText) -> (findings: [Finding], candidates: [Finding]) {
        let candidates = candidates(in: text)
        return (resolveOverlaps(candidates), candidates)
    }
}

extension Array where Element == Finding {
    /// Sorted by start, longer first; overlapping findings are kept.
    func sortedByPosition() -> [Finding] {
        sorted { $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.range.upperBound > $1.range.upperBound }
    }
}
