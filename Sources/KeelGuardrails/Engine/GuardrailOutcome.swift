import KeelCore

/// The result of applying a policy to one or more texts.
public struct GuardrailOutcome: Sendable {
    /// The most severe action taken: `allow`, `flag`, `redact` or `block`.
    public var action: GuardrailAction
    /// The texts after redaction, in the order given (identical to the input when nothing was redacted).
    public var texts: [String]
    /// Every finding at or above its entry's threshold, ordered by text and position, each with the action taken.
    public var findings: [Finding]
    /// The policy applied, or nil when no policy applies (then the action is `allow`).
    public var policy: String?
    /// The placeholders handed out, to de-anonymise the response (see ``Guardrails/deanonymise(_:with:)``).
    public var redaction: Redaction

    /// Creates an outcome.
    public init(action: GuardrailAction, texts: [String], findings: [Finding], policy: String?, redaction: Redaction = Redaction()) {
        self.action = action
        self.texts = texts
        self.findings = findings
        self.policy = policy
        self.redaction = redaction
    }

    /// The first (usually only) text.
    public var content: String { texts.first ?? "" }

    /// Whether the texts must not be sent (input) or returned (output).
    public var isBlocked: Bool { action == .block }

    /// For a blocked outcome, a message for the caller naming the policy and what blocked it (never
    /// the values found): `Blocked by guardrails policy "default": prompt_injection (INSTRUCTION_OVERRIDE).`
    public var blockReason: String? {
        guard isBlocked else { return nil }
        var reasons: [String] = []
        for finding in findings where finding.action == .block {
            let reason = "\(finding.detector) (\(finding.type))"
            if !reasons.contains(reason) { reasons.append(reason) }
        }
        return "Blocked by guardrails policy \"\(policy ?? "")\": \(reasons.joined(separator: ", "))."
    }

    /// How many findings each detector had, per action, for counting and audit records: the
    /// detector, type and action only — never the values found.
    public var summary: [(detector: String, type: String, action: GuardrailAction, count: Int)] {
        var counts: [String: (String, String, GuardrailAction, Int)] = [:]
        var order: [String] = []
        for finding in findings {
            let key = "\(finding.detector)/\(finding.type)/\(finding.action.rawValue)"
            if counts[key] == nil { order.append(key) }
            counts[key, default: (finding.detector, finding.type, finding.action, 0)].3 += 1
        }
        return order.map { counts[$0]! }.map { (detector: $0.0, type: $0.1, action: $0.2, count: $0.3) }
    }

    /// The API body: `{action, content, findings: [{detector, type, start, end, score}]}` with
    /// `start`/`end` in Unicode code points. With several texts, `content` is a list and each
    /// finding has an `index`. Scores are rounded to 4 decimals.
    public func json(multiple: Bool = false) -> JSONValue {
        var object = JSONObject()
        object["action"] = .string(action.rawValue)
        if let policy { object["policy"] = .string(policy) }
        object["content"] = multiple ? .array(texts.map { .string($0) }) : .string(content)
        object["findings"] = .array(findings.map { finding in
            var item = JSONObject()
            item["detector"] = .string(finding.detector)
            item["type"] = .string(finding.type)
            item["start"] = .number(JSONNumber(finding.codePointRange.lowerBound))
            item["end"] = .number(JSONNumber(finding.codePointRange.upperBound))
            item["score"] = .number(JSONNumber((finding.score * 10_000).rounded() / 10_000) ?? JSONNumber(0))
            item["action"] = .string(finding.action.rawValue)
            if multiple { item["index"] = .number(JSONNumber(finding.textIndex)) }
            return .object(item)
        })
        return .object(object)
    }
}
