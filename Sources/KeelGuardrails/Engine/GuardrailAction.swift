/// The verdict of a policy on a text, from least to most severe.
public enum GuardrailAction: String, Sendable, Hashable, Comparable, CaseIterable {
    /// Nothing matched (or only findings below their threshold).
    case allow
    /// Something matched an entry whose action is `flag`: let through, counted and recorded.
    case flag
    /// Something was replaced by a placeholder (or removed).
    case redact
    /// Something matched an entry whose action is `block`: refuse.
    case block

    private var severity: Int {
        switch self {
        case .allow: 0
        case .flag: 1
        case .redact: 2
        case .block: 3
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.severity < rhs.severity }
}

/// Which way a text travels: to the model (`input`) or back from it (`output`).
public enum GuardrailSource: String, Sendable, Hashable, CaseIterable {
    /// Text sent to a model: prompts, messages.
    case input
    /// Text a model returned.
    case output
}
