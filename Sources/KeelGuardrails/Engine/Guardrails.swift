import KeelConfig
import Synchronization

/// Why guardrails could not be built from a configuration.
public struct GuardrailsError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short stable identifier such as `invalid_pattern`.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        /// A pattern (custom entity, banned word) does not compile.
        public static let invalidPattern = Code("invalid_pattern")
        /// A JSON schema cannot be used.
        public static let invalidSchema = Code("invalid_schema")
        public var description: String { rawValue }
    }

    /// The kind of problem.
    public var code: Code
    /// What is wrong, naming the detector.
    public var message: String
    public var description: String { message }
}

/// The guardrails engine: compiled policies, which one applies to a request, and applying them.
///
/// Build it once from the configuration; it is immutable and safe to share between requests.
///
/// ```swift
/// let guardrails = try Guardrails(config: config.guardrails)
/// let input = guardrails.applyInput(texts: messages, model: "gpt-4o-mini", team: nil, key: keyID)
/// if input.isBlocked { /* refuse */ }
/// var output = guardrails.makeOutputRedactor(model: "gpt-4o-mini", team: nil, key: keyID, redaction: input.redaction)
/// for chunk in upstream { send(output.feed(chunk).text) }
/// send(output.finish().text)
/// ```
///
/// Policy resolution: the policy bound to the key wins, then the team's, then the model's, then
/// the policy named `default`; with none of these nothing is scanned. A pack name (`hipaa`, `pci`,
/// `gdpr`) is a policy too unless a configured policy has the same name.
public final class Guardrails: Sendable {
    /// Called once per policy entry that acted on a text, for metrics.
    public typealias Recorder = @Sendable (_ detector: String, _ action: GuardrailAction, _ source: GuardrailSource) -> Void

    private let policies: [String: Policy]
    private let bindings: GuardrailBindingsConfig
    private let recorder: Recorder?

    /// Compiles every configured policy and pack.
    ///
    /// - Parameters:
    ///   - config: The `guardrails:` section.
    ///   - classifier: The prompt-injection classifier combined with the signatures by entries that
    ///     keep `classifier: true`. Default: ``PromptInjectionDetector/bundledClassifier``; nil uses
    ///     signatures only.
    ///   - recorder: Told about every block, redact and flag.
    public init(
        config: GuardrailsConfig, classifier: PromptInjectionDetector.Classifier? = PromptInjectionDetector.bundledClassifier,
        recorder: Recorder? = nil
    ) throws(GuardrailsError) {
        let factory = DetectorFactory(customEntities: config.customEntities, classifier: classifier)
        var policies: [String: Policy] = [:]
        for name in CompliancePacks.names {
            policies[name] = try factory.policy(CompliancePacks.policy(named: name)!)
        }
        for policyConfig in config.policies {
            var merged = policyConfig
            if let pack = policyConfig.pack, let packConfig = CompliancePacks.policy(named: pack) {
                merged.input = packConfig.input + policyConfig.input
                merged.output = packConfig.output + policyConfig.output
            }
            policies[policyConfig.name] = try factory.policy(merged)
        }
        self.policies = policies
        self.bindings = config.bindings
        self.recorder = recorder
    }

    /// The policy with this name (configured or a pack).
    public func policy(named name: String) -> Policy? { policies[name] }

    /// Every policy name, sorted.
    public var policyNames: [String] { policies.keys.sorted() }

    /// The policy for a request: key binding, then team, then model, then `default`.
    public func resolvePolicy(model: String?, team: String?, key: String?) -> Policy? {
        if let key, let name = bindings.keys[key] { return policies[name] }
        if let team, let name = bindings.teams[team] { return policies[name] }
        if let model, let name = bindings.models[model] { return policies[name] }
        return policies["default"]
    }

    /// Applies `policy` to `texts` (the texts of one request), redacting with one `redaction`, so a
    /// value gets the same placeholder in every text.
    ///
    /// - Parameters:
    ///   - texts: The texts, each scanned on its own.
    ///   - roles: Each text's role, parallel to `texts` (same count): an input entry skips a text whose
    ///     role it does not cover (see ``PolicyEntry/roles``); a nil role — a role the caller does not
    ///     know — is scanned by every entry. Default nil: no text has a role, so every entry scans
    ///     every text (the `/v1/guardrails/apply` API and `keel guard scan` when given no role).
    ///   - source: Which side of the policy applies.
    ///   - policy: The policy; nil allows everything.
    ///   - redaction: The placeholders handed out so far.
    public func apply(
        _ texts: [String], roles: [GuardrailRole?]? = nil, source: GuardrailSource, policy: Policy?, redaction: Redaction = Redaction()
    ) -> GuardrailOutcome {
        guard let policy else {
            return GuardrailOutcome(action: .allow, texts: texts, findings: [], policy: nil, redaction: redaction)
        }
        precondition(roles == nil || roles?.count == texts.count, "one role per text")
        let entries = policy.entries(for: source)
        var redaction = redaction
        var outTexts: [String] = []
        var findings: [Finding] = []
        for (index, text) in texts.enumerated() {
            let scan = ScanText(text)
            let acted = PolicyEvaluation.scan(scan, entries: entries, textIndex: index, role: roles?[index])
            outTexts.append(PolicyEvaluation.redact(scan, acted, redaction: &redaction))
            findings += acted.map(\.finding).sortedByPosition()
        }
        let action = findings.map(\.action).max() ?? .allow
        record(findings, source: source)
        return GuardrailOutcome(action: action, texts: outTexts, findings: findings, policy: policy.name, redaction: redaction)
    }

    /// Applies the request's input policy to its texts (for example every message's content), with
    /// their `roles` as for ``apply(_:roles:source:policy:redaction:)`` (default: none, so every entry
    /// scans every text).
    public func applyInput(texts: [String], roles: [GuardrailRole?]? = nil, model: String?, team: String?, key: String?) -> GuardrailOutcome {
        apply(texts, roles: roles, source: .input, policy: resolvePolicy(model: model, team: team, key: key))
    }

    /// Applies the request's output policy to a complete (non-streamed) response text.
    public func applyOutput(text: String, model: String?, team: String?, key: String?, redaction: Redaction = Redaction()) -> GuardrailOutcome {
        apply([text], source: .output, policy: resolvePolicy(model: model, team: team, key: key), redaction: redaction)
    }

    /// A stream redactor for the request's output policy. Pass the input outcome's `redaction`
    /// to keep placeholder numbering and, with `deanonymise`, to restore the caller's own values
    /// in the response.
    public func makeOutputRedactor(model: String?, team: String?, key: String?, redaction: Redaction = Redaction(), deanonymise: Bool = false) -> StreamRedactor {
        let entries = resolvePolicy(model: model, team: team, key: key)?.output ?? []
        return StreamRedactor(entries: entries, redaction: redaction, restore: deanonymise) { [recorder] findings in
            guard let recorder else { return }
            for (detector, action) in Self.actedEntries(findings) { recorder(detector, action, .output) }
        }
    }

    /// `text` with the placeholders of `redaction` replaced by the values they stand for.
    public func deanonymise(_ text: String, with redaction: Redaction) -> String {
        redaction.restore(text)
    }

    private func record(_ findings: [Finding], source: GuardrailSource) {
        guard let recorder else { return }
        for (detector, action) in Self.actedEntries(findings) { recorder(detector, action, source) }
    }

    /// One (detector, action) per entry that acted, in first-seen order.
    static func actedEntries(_ findings: [Finding]) -> [(String, GuardrailAction)] {
        var seen: [(String, GuardrailAction)] = []
        for finding in findings where !seen.contains(where: { $0.0 == finding.detector && $0.1 == finding.action }) {
            seen.append((finding.detector, finding.action))
        }
        return seen
    }
}

/// Builds detectors from configuration entries, compiling each distinct configuration once.
final class DetectorFactory {
    private let customEntities: [PIIDetector.CustomEntity]
    private let classifier: PromptInjectionDetector.Classifier?
    private var cache: [String: any Detector] = [:]

    init(customEntities: [CustomEntityConfig], classifier: PromptInjectionDetector.Classifier?) {
        self.customEntities = customEntities.map {
            PIIDetector.CustomEntity(type: $0.name, pattern: $0.pattern, context: $0.context, score: $0.score)
        }
        self.classifier = classifier
    }

    func policy(_ config: GuardrailPolicyConfig) throws(GuardrailsError) -> Policy {
        var input: [PolicyEntry] = []
        var output: [PolicyEntry] = []
        for rule in config.input { input.append(try entry(rule, roles: Set(rule.scannedRoles))) }
        for rule in config.output { output.append(try entry(rule, roles: Set(GuardrailRole.allCases))) }
        return Policy(name: config.name, input: input, output: output)
    }

    /// The entry for `rule`; output texts have no role, so output entries are given every role.
    func entry(_ rule: GuardrailRuleConfig, roles: Set<GuardrailRole>) throws(GuardrailsError) -> PolicyEntry {
        let action: GuardrailAction = switch rule.action {
        case .block: .block
        case .redact: .redact
        case .flag: .flag
        }
        return PolicyEntry(detector: try detector(rule), action: action, threshold: rule.threshold, cardMask: rule.cardMask, roles: roles)
    }

    func detector(_ rule: GuardrailRuleConfig) throws(GuardrailsError) -> any Detector {
        let key: String = switch rule.detector {
        case "pii": "pii|\(rule.types?.sorted().joined(separator: ",") ?? "*")"
        case "secrets": "secrets|\(rule.types?.sorted().joined(separator: ",") ?? "*")|\(rule.minEntropy)"
        case "prompt_injection": "prompt_injection|\(rule.classifier)"
        case "banned_words": "banned_words|\(rule.words.joined(separator: "\u{0}"))"
        case "banned_topics": "banned_topics|\(rule.minMatches)|\(rule.topics.map { $0.name + ":" + $0.keywords.joined(separator: ",") }.joined(separator: ";"))"
        case "json_schema": "json_schema|\(rule.schema ?? "")"
        case "system_prompt_leak": "system_prompt_leak|\(rule.canary ?? "")"
        default: rule.detector
        }
        if let cached = cache[key] { return cached }
        let made: any Detector
        do {
            switch rule.detector {
            case "pii":
                made = try PIIDetector(types: rule.types.map(Set.init), customEntities: customEntities)
            case "secrets":
                made = try SecretsDetector(types: rule.types.map(Set.init), minimumEntropy: rule.minEntropy)
            case "prompt_injection":
                made = try PromptInjectionDetector(classifier: rule.classifier ? classifier : nil, classifierThreshold: rule.threshold)
            case "banned_words":
                made = try BannedWordsDetector(words: rule.words)
            case "banned_topics":
                made = try BannedTopicsDetector(topics: rule.topics.map { .init(name: $0.name, keywords: $0.keywords) }, minimumMatches: rule.minMatches)
            case "invisible_text":
                made = InvisibleTextDetector()
            case "json_schema":
                do {
                    made = JSONSchemaDetector(schema: try JSONSchema(parsing: rule.schema ?? ""))
                } catch {
                    throw GuardrailsError(code: .invalidSchema, message: "json_schema: \(error.message)")
                }
            case "system_prompt_leak":
                made = try SystemPromptLeakDetector(canaries: rule.canary.map { [$0] } ?? [])
            default:
                throw GuardrailsError(code: .invalidPattern, message: "unknown detector \"\(rule.detector)\"")
            }
        } catch let error as PatternError {
            throw GuardrailsError(code: .invalidPattern, message: "\(rule.detector): \(error)")
        } catch let error as GuardrailsError {
            throw error
        } catch {
            throw GuardrailsError(code: .invalidPattern, message: "\(rule.detector): \(error)")
        }
        cache[key] = made
        return made
    }
}
