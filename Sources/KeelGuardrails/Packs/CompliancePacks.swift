import KeelConfig

/// The built-in compliance packs: ready-made policies named `hipaa`, `pci` and `gdpr`, usable as a
/// policy name or as `pack: NAME` in a policy. `docs/compliance/*.md` maps each entry to the
/// regime's requirements.
public enum CompliancePacks {
    /// The pack names.
    public static let names = GuardrailsConfig.packNames

    /// The pack's policy as configuration entries, or nil for an unknown name.
    public static func policy(named name: String) -> GuardrailPolicyConfig? {
        switch name {
        case "hipaa": hipaa
        case "pci": pci
        case "gdpr": gdpr
        default: nil
        }
    }

    /// HIPAA Safe Harbor (45 CFR 164.514(b)(2)): the identifiers Keel can recognise in free text are
    /// replaced before a prompt leaves, and again in responses; credentials are blocked.
    public static let hipaa = GuardrailPolicyConfig(
        name: "hipaa",
        input: [
            GuardrailRuleConfig(detector: "invisible_text", action: .redact),
            GuardrailRuleConfig(detector: "secrets", action: .block),
            GuardrailRuleConfig(detector: "pii", action: .redact),
        ],
        output: [
            GuardrailRuleConfig(detector: "pii", action: .redact),
            GuardrailRuleConfig(detector: "secrets", action: .redact),
        ]
    )

    /// PCI DSS v4.0: primary account numbers never reach a model (3.5.1, rendered unreadable by a
    /// placeholder) and any PAN in a response is shown masked to at most the BIN and last four (3.4.1).
    public static let pci = GuardrailPolicyConfig(
        name: "pci",
        input: [
            GuardrailRuleConfig(detector: "pii", action: .redact, types: ["CREDIT_CARD"]),
            GuardrailRuleConfig(detector: "secrets", action: .block, types: ["STRIPE_KEY", "PRIVATE_KEY", "CONNECTION_STRING", "GENERIC_SECRET"]),
        ],
        output: [
            GuardrailRuleConfig(detector: "pii", action: .redact, types: ["CREDIT_CARD"], cardMask: .binLast4),
        ]
    )

    /// Keywords of the GDPR Article 9 special categories, flagged (not blocked) for review.
    public static let specialCategoryTopics: [(name: String, keywords: [String])] = [
        ("health", ["diagnosis", "diagnosed", "hiv", "cancer", "diabetes", "depression", "pregnant", "pregnancy", "medication", "prescription", "disability", "mental health", "therapy"]),
        ("religion", ["religion", "religious", "muslim", "christian", "jewish", "hindu", "buddhist", "atheist", "church", "mosque", "synagogue"]),
        ("ethnicity", ["ethnicity", "ethnic origin", "racial origin", "race"]),
        ("political_opinion", ["political opinion", "political party", "voted for", "party member"]),
        ("trade_union", ["trade union", "union member", "union membership"]),
        ("sexual_orientation", ["sexual orientation", "gay", "lesbian", "bisexual", "transgender", "sex life"]),
        ("biometric_genetic", ["fingerprint", "genetic", "dna", "biometric", "facial recognition"]),
    ]

    /// GDPR: data minimisation and protection by design (Articles 5(1)(c) and 25) — personal data is
    /// replaced before it reaches a processor's model; special-category data (Article 9) is flagged.
    public static let gdpr = GuardrailPolicyConfig(
        name: "gdpr",
        input: [
            GuardrailRuleConfig(detector: "pii", action: .redact),
            GuardrailRuleConfig(detector: "banned_topics", action: .flag, topics: specialCategoryTopics),
        ],
        output: [
            GuardrailRuleConfig(detector: "pii", action: .redact),
        ]
    )
}
