import KeelCore

/// The `guardrails:` section: named policies of detectors applied to what reaches a model (`input`)
/// and what comes back (`output`), compliance packs, which policy applies to which model, team or
/// key, and custom PII entities.
///
/// ```yaml
/// guardrails:
///   policies:
///     default:
///       input:  [{detector: prompt_injection, action: block}, {detector: pii, action: redact}]
///       output: [{detector: pii, action: redact}]
///     clinical: {pack: hipaa}
///   bindings:
///     models: {gpt-4o-mini: clinical}
///   custom_entities:
///     EMPLOYEE_ID: {pattern: "EMP-[0-9]{6}"}
/// ```
public struct GuardrailsConfig: Sendable, Equatable {
    /// `policies` — named policies, in file order. Default: none (nothing is scanned).
    public var policies: [GuardrailPolicyConfig]
    /// `bindings` — which policy applies to which model, team or key. Default: none.
    public var bindings: GuardrailBindingsConfig
    /// `custom_entities` — extra entity types the `pii` detector finds, in file order. Default: none.
    public var customEntities: [CustomEntityConfig]

    /// The built-in compliance packs, usable as `pack: NAME` or directly as a policy name.
    public static let packNames = ["hipaa", "pci", "gdpr"]
    /// The detector names a policy entry may use.
    public static let detectorNames = [
        "pii", "secrets", "prompt_injection", "banned_topics", "banned_words", "invisible_text", "json_schema", "system_prompt_leak",
    ]
    /// Detectors that only make sense on model output.
    public static let outputOnlyDetectors = ["json_schema", "system_prompt_leak"]
    /// The `pii` detector's built-in entity types.
    public static let piiTypes = [
        "EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IBAN", "IP_ADDRESS", "DATE_OF_BIRTH",
        "US_PASSPORT", "US_DRIVER_LICENSE", "US_ITIN", "UK_NHS", "UK_NINO",
        "MEDICAL_RECORD_NUMBER", "HEALTH_PLAN_NUMBER",
    ]
    /// The `secrets` detector's types.
    public static let secretTypes = [
        "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "GCP_API_KEY", "GCP_OAUTH_TOKEN", "GCP_SERVICE_ACCOUNT",
        "AZURE_STORAGE_KEY", "AZURE_SAS_TOKEN", "AZURE_CLIENT_SECRET", "PRIVATE_KEY",
        "GITHUB_TOKEN", "GITLAB_TOKEN", "SLACK_TOKEN", "SLACK_WEBHOOK", "STRIPE_KEY",
        "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "JWT", "CONNECTION_STRING", "GENERIC_SECRET",
    ]

    /// Creates the section; everything defaults to empty.
    public init(policies: [GuardrailPolicyConfig] = [], bindings: GuardrailBindingsConfig = GuardrailBindingsConfig(), customEntities: [CustomEntityConfig] = []) {
        self.policies = policies
        self.bindings = bindings
        self.customEntities = customEntities
    }

    /// The configured policy with this name, if any.
    public func policy(named name: String) -> GuardrailPolicyConfig? {
        policies.first { $0.name == name }
    }
}

/// One named policy: ordered detector entries for input and for output, optionally starting from a pack.
public struct GuardrailPolicyConfig: Sendable, Equatable {
    /// The policy's name (its key under `policies`).
    public var name: String
    /// `pack` — a compliance pack (`hipaa`, `pci`, `gdpr`) whose entries come first. Default: none.
    public var pack: String?
    /// `input` — entries applied to requests, in order. Default: none.
    public var input: [GuardrailRuleConfig]
    /// `output` — entries applied to responses, in order. Default: none.
    public var output: [GuardrailRuleConfig]

    /// Creates a policy; `pack`, `input` and `output` default to none.
    public init(name: String, pack: String? = nil, input: [GuardrailRuleConfig] = [], output: [GuardrailRuleConfig] = []) {
        self.name = name
        self.pack = pack
        self.input = input
        self.output = output
    }
}

/// Which part of a chat request a text is: what an input entry's `roles` chooses among.
public enum GuardrailRole: String, Sendable, Hashable, CaseIterable {
    /// The system prompt: OpenAI `system` and `developer` messages, Anthropic's top-level `system`.
    case system
    /// The user's messages.
    case user
    /// Assistant messages, including an Anthropic prefill.
    case assistant
    /// Tool results: OpenAI `tool` (and legacy `function`) messages, Anthropic `tool_result` blocks.
    case tool
}

/// One entry of a policy: a detector, what to do with its findings, and the detector's options.
public struct GuardrailRuleConfig: Sendable, Equatable {
    /// What happens when the detector finds something.
    public enum Action: String, Sendable, Hashable, CaseIterable {
        /// Refuse the request (input) or the response (output).
        case block
        /// Replace what was found with a placeholder (`[EMAIL_1]`) and continue.
        case redact
        /// Let it through, but count and record the finding.
        case flag
    }

    /// How the `pii` detector redacts payment card numbers.
    public enum CardMask: String, Sendable, Hashable, CaseIterable {
        /// A placeholder such as `[CREDIT_CARD_1]` (reversible within the request).
        case placeholder
        /// Only the last four digits stay: `************1111`.
        case last4
        /// The BIN (first six digits) and the last four stay: `411111******1111` (PCI DSS 3.4.1).
        case binLast4 = "bin_last4"
    }

    /// `detector` — one of ``GuardrailsConfig/detectorNames``. Required.
    public var detector: String
    /// `action` — `block`, `redact` or `flag`. Required.
    public var action: Action
    /// `threshold` — findings scoring below it are ignored, 0…1. Default 0.5.
    public var threshold: Double
    /// `roles` (input) — which texts of a chat request the entry scans. Default (nil):
    /// ``defaultRoles(for:)``. Text without a role (the `/v1/guardrails/apply` API, `keel guard scan`)
    /// is scanned by every entry.
    public var roles: [GuardrailRole]?
    /// `types` (`pii`, `secrets`) — the entity types to look for. Default: all (for `pii` also every custom entity).
    public var types: [String]?
    /// `card_mask` (`pii`) — how card numbers are redacted. Default `placeholder`.
    public var cardMask: CardMask
    /// `min_entropy` (`secrets`) — bits per character a value assigned to a secret-like name needs. Default 3.5.
    public var minEntropy: Double
    /// `classifier` (`prompt_injection`) — whether the trained classifier is combined with the signatures. Default true.
    public var classifier: Bool
    /// `words` (`banned_words`) — the words and phrases. Required for that detector.
    public var words: [String]
    /// `topics` (`banned_topics`) — topic name to keywords, in file order. Required for that detector.
    public var topics: [(name: String, keywords: [String])]
    /// `min_matches` (`banned_topics`) — distinct keywords of one topic needed for a match, >= 1. Default 1.
    public var minMatches: Int
    /// `schema` (`json_schema`) — the JSON Schema, as JSON text. Required for that detector.
    public var schema: String?
    /// `canary` (`system_prompt_leak`) — the canary token placed in system prompts, >= 8 characters. Required for that detector.
    public var canary: String?

    /// Creates an entry; every option defaults as documented on its property.
    public init(
        detector: String, action: Action, threshold: Double = 0.5, types: [String]? = nil, cardMask: CardMask = .placeholder,
        minEntropy: Double = 3.5, classifier: Bool = true, words: [String] = [], topics: [(name: String, keywords: [String])] = [],
        minMatches: Int = 1, schema: String? = nil, canary: String? = nil, roles: [GuardrailRole]? = nil
    ) {
        self.detector = detector
        self.action = action
        self.threshold = threshold
        self.types = types
        self.cardMask = cardMask
        self.minEntropy = minEntropy
        self.classifier = classifier
        self.words = words
        self.topics = topics
        self.minMatches = minMatches
        self.schema = schema
        self.canary = canary
        self.roles = roles
    }

    /// The roles an input entry scans when it sets no `roles`: all four, except for
    /// `prompt_injection`, which leaves out `system` — the system prompt is the operator's own
    /// instruction (what an injection tries to override), and operator instructions look like
    /// instructions to the detector.
    public static func defaultRoles(for detector: String) -> [GuardrailRole] {
        detector == "prompt_injection" ? [.user, .assistant, .tool] : GuardrailRole.allCases
    }

    /// The roles the entry scans: `roles`, or its detector's default.
    public var scannedRoles: [GuardrailRole] { roles ?? Self.defaultRoles(for: detector) }

    /// Entries are equal when every option is (topics compared by name and keywords, in order).
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.detector == rhs.detector && lhs.action == rhs.action && lhs.threshold == rhs.threshold && lhs.types == rhs.types
            && lhs.cardMask == rhs.cardMask && lhs.minEntropy == rhs.minEntropy && lhs.classifier == rhs.classifier
            && lhs.words == rhs.words && lhs.topics.map(\.name) == rhs.topics.map(\.name)
            && lhs.topics.map(\.keywords) == rhs.topics.map(\.keywords) && lhs.minMatches == rhs.minMatches
            && lhs.schema == rhs.schema && lhs.canary == rhs.canary && lhs.roles == rhs.roles
    }
}

/// `bindings:` — which policy applies where. The most specific binding wins: key, then team, then
/// model; a request matching none gets the policy named `default`, if there is one.
public struct GuardrailBindingsConfig: Sendable, Equatable {
    /// `models` — model name (as clients ask for it) to policy name. Default: none.
    public var models: [String: String]
    /// `teams` — team id to policy name. Default: none.
    public var teams: [String: String]
    /// `keys` — virtual key id to policy name. Default: none.
    public var keys: [String: String]

    /// Creates bindings; every map defaults to empty.
    public init(models: [String: String] = [:], teams: [String: String] = [:], keys: [String: String] = [:]) {
        self.models = models
        self.teams = teams
        self.keys = keys
    }
}

/// A custom entity for the `pii` detector: `custom_entities: {NAME: {pattern, context, score}}`.
public struct CustomEntityConfig: Sendable, Equatable {
    /// The entity type (its key), upper snake case.
    public var name: String
    /// `pattern` — a regular expression (Vectorscan's PCRE dialect: no back-references or look-around). Required.
    public var pattern: String
    /// `context` — words one of which must appear near a match. Default: none needed.
    public var context: [String]
    /// `score` — the score reported, 0…1. Default 0.8.
    public var score: Double

    /// Creates a custom entity; `context` defaults to none and `score` to 0.8.
    public init(name: String, pattern: String, context: [String] = [], score: Double = 0.8) {
        self.name = name
        self.pattern = pattern
        self.context = context
        self.score = score
    }
}

// MARK: - Decoding

extension GuardrailsConfig {
    static let packChoices: KeyValuePairs<String, String> = ["hipaa": "hipaa", "pci": "pci", "gdpr": "gdpr"]
    static let detectorChoices: KeyValuePairs<String, String> = [
        "pii": "pii", "secrets": "secrets", "prompt_injection": "prompt_injection", "banned_topics": "banned_topics",
        "banned_words": "banned_words", "invisible_text": "invisible_text", "json_schema": "json_schema", "system_prompt_leak": "system_prompt_leak",
    ]
    static let actionChoices: KeyValuePairs<String, GuardrailRuleConfig.Action> = ["block": .block, "redact": .redact, "flag": .flag]
    static let cardMaskChoices: KeyValuePairs<String, GuardrailRuleConfig.CardMask> = ["placeholder": .placeholder, "last4": .last4, "bin_last4": .binLast4]
    static let roleChoices: KeyValuePairs<String, GuardrailRole> = ["system": .system, "user": .user, "assistant": .assistant, "tool": .tool]

    init(decoding reader: inout MappingReader, models: [String]) {
        self.init()
        customEntities = reader.take("custom_entities").map(Self.decodeCustomEntities) ?? []
        let customNames = customEntities.map(\.name)
        if let value = reader.take("policies"), var policiesReader = value.mapping() {
            for (name, keyMark, policyValue) in policiesReader.takeAll() {
                if !Self.isValidName(name) {
                    value.context.report("invalid policy name \(quoted(name)); use letters, digits, \"_\", \".\" and \"-\"", at: keyMark, path: value.path, code: .invalidValue)
                }
                guard var policyReader = policyValue.mapping() else { continue }
                var policy = GuardrailPolicyConfig(name: name)
                policy.pack = policyReader.choice("pack", Self.packChoices)
                policy.input = policyReader.take("input").map { Self.decodeRules($0, output: false, customNames: customNames) } ?? []
                policy.output = policyReader.take("output").map { Self.decodeRules($0, output: true, customNames: customNames) } ?? []
                policyReader.finish()
                policies.append(policy)
            }
        }
        let policyNames = policies.map(\.name) + Self.packNames
        if let value = reader.take("bindings"), var bindingsReader = value.mapping() {
            bindings.models = Self.decodeBinding(&bindingsReader, "models", policies: policyNames, known: models, noun: "model")
            bindings.teams = Self.decodeBinding(&bindingsReader, "teams", policies: policyNames, known: nil, noun: "team")
            bindings.keys = Self.decodeBinding(&bindingsReader, "keys", policies: policyNames, known: nil, noun: "key")
            bindingsReader.finish()
        }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
    }

    private static func decodeBinding(_ reader: inout MappingReader, _ key: String, policies: [String], known: [String]?, noun: String) -> [String: String] {
        guard let value = reader.take(key), var entries = value.mapping() else { return [:] }
        var result: [String: String] = [:]
        for (name, keyMark, policyValue) in entries.takeAll() {
            if let known, !known.contains(name) {
                var message = "unknown \(noun) \(quoted(name))"
                if let suggestion = Suggestion.closest(to: name, among: known) { message += " (did you mean \(quoted(suggestion))?)" }
                value.context.report(message, at: keyMark, path: value.path, code: .unknownReference)
            }
            guard let policy = policyValue.string(required: true) else { continue }
            guard policies.contains(policy) else {
                var message = "unknown policy \(quoted(policy))"
                if let suggestion = Suggestion.closest(to: policy, among: policies) { message += " (did you mean \(quoted(suggestion))?)" }
                policyValue.report(message, code: .unknownReference)
                continue
            }
            result[name] = policy
        }
        return result
    }

    private static func decodeCustomEntities(_ value: ConfigValue) -> [CustomEntityConfig] {
        guard var reader = value.mapping() else { return [] }
        var entities: [CustomEntityConfig] = []
        for (name, keyMark, entityValue) in reader.takeAll() {
            let valid = !name.isEmpty && name.allSatisfy { ($0.isASCII && ($0.isUppercase || $0.isNumber)) || $0 == "_" }
            if !valid {
                value.context.report("invalid entity name \(quoted(name)); use upper-case letters, digits and \"_\"", at: keyMark, path: value.path, code: .invalidValue)
            }
            if piiTypes.contains(name) {
                value.context.report("\(quoted(name)) is a built-in entity type", at: keyMark, path: value.path, code: .invalidValue)
            }
            guard var entityReader = entityValue.mapping() else { continue }
            let pattern = entityReader.string("pattern", required: true)
            let context = entityReader.stringList("context")?.map(\.name) ?? []
            let score = entityReader.take("score").flatMap { Self.fraction($0) } ?? 0.8
            entityReader.finish()
            if let pattern, valid { entities.append(CustomEntityConfig(name: name, pattern: pattern, context: context, score: score)) }
        }
        return entities
    }

    /// A number between 0 and 1.
    static func fraction(_ value: ConfigValue) -> Double? {
        guard let number = value.number(minimum: 0) else { return nil }
        guard number <= 1 else {
            value.report("\(number) is out of range: must be between 0 and 1")
            return nil
        }
        return number
    }

    /// An input entry's `roles`: a non-empty list of role names; a role listed twice counts once
    /// (like a repeated `types` entry).
    private static func decodeRoles(_ value: ConfigValue) -> [GuardrailRole]? {
        guard let items = value.list() else { return nil }
        guard !items.isEmpty else {
            value.report("roles must name at least one of \(roleChoices.map(\.key).joined(separator: ", "))", code: .missingValue)
            return nil
        }
        var roles: [GuardrailRole] = []
        for item in items {
            guard let role = item.choice(roleChoices, required: true) else { continue }
            if !roles.contains(role) { roles.append(role) }
        }
        return roles.isEmpty ? nil : roles
    }

    private static func decodeRules(_ value: ConfigValue, output: Bool, customNames: [String]) -> [GuardrailRuleConfig] {
        guard let items = value.list() else { return [] }
        var rules: [GuardrailRuleConfig] = []
        for item in items {
            guard var reader = item.mapping() else { continue }
            let detector = reader.choice("detector", detectorChoices, required: true)
            let action = reader.choice("action", actionChoices, required: true)
            guard let detector, let action else {
                reader.finish()
                continue
            }
            var rule = GuardrailRuleConfig(detector: detector, action: action)
            rule.threshold = reader.take("threshold").flatMap { fraction($0) } ?? 0.5
            var valid = true
            if !output {
                rule.roles = reader.take("roles").flatMap(decodeRoles)
            } else if let rolesValue = reader.take("roles") {
                rolesValue.report("roles only applies to input entries: output texts have no role", code: .invalidValue)
                valid = false
            }
            if !output, outputOnlyDetectors.contains(detector) {
                item.report("the \(detector) detector only applies to output", code: .invalidValue)
                valid = false
            }
            if detector == "json_schema", action == .redact {
                item.report("the json_schema detector cannot redact; use block or flag", code: .invalidValue)
                valid = false
            }
            switch detector {
            case "pii", "secrets":
                let known = detector == "pii" ? piiTypes + customNames : secretTypes
                if let typesValue = reader.take("types"), let items = typesValue.list() {
                    if items.isEmpty {
                        typesValue.report("types must name at least one \(detector) type; leave it out for all of them", code: .missingValue)
                    }
                    rule.types = []
                    for typeValue in items {
                        guard let type = typeValue.string(required: true) else { continue }
                        if known.contains(type) {
                            rule.types?.append(type)
                        } else {
                            var message = "unknown \(detector) type \(quoted(type))"
                            if let suggestion = Suggestion.closest(to: type, among: known) { message += " (did you mean \(quoted(suggestion))?)" }
                            typeValue.report(message)
                        }
                    }
                }
                if detector == "pii" {
                    rule.cardMask = reader.choice("card_mask", cardMaskChoices) ?? .placeholder
                } else {
                    rule.minEntropy = reader.number("min_entropy", minimum: 0) ?? 3.5
                }
            case "prompt_injection":
                rule.classifier = reader.choice("classifier", ["true": true, "false": false]) ?? true
            case "banned_words":
                if let list = reader.stringList("words") {
                    rule.words = list.map(\.name)
                } else if !reader.contains("words") {
                    item.report("missing required key \"words\"", code: .missingValue)
                }
            case "banned_topics":
                if let topicsValue = reader.require("topics"), var topicsReader = topicsValue.mapping() {
                    for (name, _, keywordsValue) in topicsReader.takeAll() {
                        let keywords = keywordsValue.list()?.compactMap { $0.string(required: true) } ?? []
                        rule.topics.append((name, keywords))
                    }
                }
                rule.minMatches = reader.int("min_matches", .atLeast(1)) ?? 1
            case "json_schema":
                if let schemaValue = reader.require("schema"), let text = schemaValue.string(required: true) {
                    do {
                        let document = try JSONValue(parsing: text)
                        if document.objectValue == nil { schemaValue.report("the schema must be a JSON object") } else { rule.schema = text }
                    } catch {
                        schemaValue.report("the schema is not valid JSON: \(error.message)")
                    }
                }
            case "system_prompt_leak":
                if let canaryValue = reader.require("canary"), let canary = canaryValue.string(required: true) {
                    if canary.count < 8 { canaryValue.report("a canary token needs at least 8 characters") } else { rule.canary = canary }
                }
            default:
                break
            }
            reader.finish()
            if valid { rules.append(rule) }
        }
        return rules
    }
}
