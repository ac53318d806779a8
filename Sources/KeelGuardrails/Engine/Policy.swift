import KeelConfig

/// One entry of a policy: a detector, the action for its findings, the score they need, and which
/// texts it scans.
public struct PolicyEntry: Sendable {
    /// The detector.
    public var detector: any Detector
    /// `block`, `redact` or `flag`.
    public var action: GuardrailAction
    /// Findings scoring below this are ignored. Default 0.5.
    public var threshold: Double
    /// How payment card numbers are redacted by this entry (only the `pii` detector finds them).
    public var cardMask: GuardrailRuleConfig.CardMask
    /// The roles of the texts it scans; a text without a role is scanned by every entry. Default: all.
    public var roles: Set<GuardrailRole> {
        didSet { roleMask = Self.mask(roles) }
    }
    /// `roles` as one bit per role, so the check per text is a single AND.
    private var roleMask: UInt8

    /// Creates an entry.
    public init(
        detector: any Detector, action: GuardrailAction, threshold: Double = 0.5, cardMask: GuardrailRuleConfig.CardMask = .placeholder,
        roles: Set<GuardrailRole> = Set(GuardrailRole.allCases)
    ) {
        self.detector = detector
        self.action = action
        self.threshold = threshold
        self.cardMask = cardMask
        self.roles = roles
        self.roleMask = Self.mask(roles)
    }

    /// Whether it scans a text with this role (every entry scans a text without one).
    public func scans(_ role: GuardrailRole?) -> Bool {
        guard let role else { return true }
        return roleMask & Self.bit(role) != 0
    }

    private static func mask(_ roles: Set<GuardrailRole>) -> UInt8 {
        roles.reduce(0) { $0 | bit($1) }
    }

    private static func bit(_ role: GuardrailRole) -> UInt8 {
        switch role {
        case .system: 1
        case .user: 2
        case .assistant: 4
        case .tool: 8
        }
    }

    /// Whether the detector needs the whole text at once (it runs at the end of a stream).
    var needsWholeText: Bool { detector is JSONSchemaDetector }
}

/// A named set of ordered detector entries for input and output.
public struct Policy: Sendable {
    /// The policy's name (a configured policy or a pack).
    public var name: String
    /// Entries applied to what is sent to a model.
    public var input: [PolicyEntry]
    /// Entries applied to what comes back.
    public var output: [PolicyEntry]

    /// Creates a policy.
    public init(name: String, input: [PolicyEntry] = [], output: [PolicyEntry] = []) {
        self.name = name
        self.input = input
        self.output = output
    }

    /// The canary tokens its output entries look for: whoever builds the request puts one in the
    /// system prompt (the gateway does), so a leak of that prompt can be recognised.
    public var canaries: [String] {
        output.flatMap { ($0.detector as? SystemPromptLeakDetector)?.canaries ?? [] }
    }

    /// The entries for `source`.
    public func entries(for source: GuardrailSource) -> [PolicyEntry] {
        source == .input ? input : output
    }
}
