import FuzzGuardrailsSupport
import KeelGuardrails

/// The engine under test, built once from a configuration that turns every detector on.
struct FuzzEngine: Sendable {
    static let shared = FuzzEngine()

    let guardrails: Guardrails
    /// Every input detector, redacting where it can.
    let everything: Policy
    /// Only detectors whose redaction is a placeholder, so it can be undone.
    let reversible: Policy

    private init() {
        guardrails = guardrailsForFuzzing(yaml: """
            guardrails:
              custom_entities:
                EMPLOYEE_ID: {pattern: "EMP-[0-9]{6}"}
                CASE_NUMBER: {pattern: "[0-9]{7}", context: [case, ticket], score: 0.7}
              policies:
                everything:
                  input:
                    - {detector: invisible_text, action: redact}
                    - {detector: prompt_injection, action: flag}
                    - {detector: secrets, action: redact}
                    - {detector: pii, action: redact, threshold: 0.3}
                    - {detector: banned_words, action: redact, words: ["project falcon", "acquisition target"]}
                    - {detector: banned_topics, action: flag, topics: {legal_advice: [lawsuit, sue, liability]}}
                reversible:
                  input:
                    - {detector: secrets, action: redact}
                    - {detector: pii, action: redact, threshold: 0.3}
                    - {detector: banned_words, action: redact, words: ["project falcon", "acquisition target"]}
            """)
        everything = guardrails.policy(named: "everything")!
        reversible = guardrails.policy(named: "reversible")!
    }
}
