/// Something a detector found in a text: what, where and how sure.
public struct Finding: Sendable, Hashable {
    /// The detector that reported it: `pii`, `secrets`, `prompt_injection`, …
    public var detector: String
    /// The entity or signal type in upper snake case: `EMAIL`, `AWS_ACCESS_KEY`, `INSTRUCTION_OVERRIDE`, …
    public var type: String
    /// Where it is, as UTF-8 byte offsets into the scanned text.
    public var range: Range<Int>
    /// Where it is, as Unicode code-point offsets (how Python indexes strings).
    public var codePointRange: Range<Int>
    /// Confidence between 0 and 1.
    public var score: Double
    /// Which of the scanned texts it is in (the message index when a policy scans several texts).
    public var textIndex: Int
    /// What the policy did about it; `flag` until a policy applies its entry's action.
    public var action: GuardrailAction = .flag

    /// Creates a finding.
    public init(detector: String, type: String, range: Range<Int>, codePointRange: Range<Int>, score: Double, textIndex: Int = 0) {
        self.detector = detector
        self.type = type
        self.range = range
        self.codePointRange = codePointRange
        self.score = score
        self.textIndex = textIndex
    }
}
