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
}

extension Array where Element == Finding {
    /// Sorted by start, longer first; overlapping findings are kept.
    func sortedByPosition() -> [Finding] {
        sorted { $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.range.upperBound > $1.range.upperBound }
    }
}
