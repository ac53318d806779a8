import Testing
@testable import KeelConfig

@Suite("Guardrails configuration")
struct GuardrailsConfigTests {
    @Test("policies, packs, options, bindings and custom entities decode in file order")
    func decodes() throws {
        let config = try parseConfig(minimalProviders + """
        models:
          - name: gpt-4o-mini
            routes: [{provider: openai, model: gpt-4o-mini}]
        guardrails:
          custom_entities:
            EMPLOYEE_ID: {pattern: "EMP-[0-9]{6}", context: [employee], score: 0.7}
          policies:
            default:
              input:
                - {detector: prompt_injection, action: block, threshold: 0.7, classifier: false}
                - {detector: pii, action: redact, types: [EMAIL, EMPLOYEE_ID], card_mask: bin_last4}
                - {detector: secrets, action: redact, min_entropy: 4}
                - {detector: banned_words, action: flag, words: [falcon, "project x"]}
                - detector: banned_topics
                  action: block
                  min_matches: 2
                  topics:
                    weapons: [rifle, ammunition]
                - {detector: invisible_text, action: redact}
              output:
                - {detector: json_schema, action: block, schema: '{"type": "object"}'}
                - {detector: system_prompt_leak, action: block, canary: keel-canary-1234abcd}
            clinical: {pack: hipaa}
          bindings:
            models: {gpt-4o-mini: clinical}
            teams: {research: default}
            keys: {key-1: pci}
        """)
        let guardrails = config.guardrails
        #expect(guardrails.policies.map(\.name) == ["default", "clinical"])
        let input = guardrails.policies[0].input
        #expect(input.map(\.detector) == ["prompt_injection", "pii", "secrets", "banned_words", "banned_topics", "invisible_text"])
        #expect(input[0].threshold == 0.7 && input[0].classifier == false && input[0].action == .block)
        #expect(input[1].types == ["EMAIL", "EMPLOYEE_ID"] && input[1].cardMask == .binLast4)
        #expect(input[2].minEntropy == 4)
        #expect(input[3].words == ["falcon", "project x"])
        #expect(input[4].topics.map(\.name) == ["weapons"] && input[4].topics[0].keywords == ["rifle", "ammunition"] && input[4].minMatches == 2)
        #expect(guardrails.policies[0].output.map(\.detector) == ["json_schema", "system_prompt_leak"])
        #expect(guardrails.policies[0].output[1].canary == "keel-canary-1234abcd")
        #expect(guardrails.policies[1].pack == "hipaa")
        #expect(guardrails.bindings == GuardrailBindingsConfig(models: ["gpt-4o-mini": "clinical"], teams: ["research": "default"], keys: ["key-1": "pci"]))
        #expect(guardrails.customEntities == [CustomEntityConfig(name: "EMPLOYEE_ID", pattern: "EMP-[0-9]{6}", context: ["employee"], score: 0.7)])
    }

    @Test("mistakes are reported with line, column and key path", arguments: [
        ("guardrails:\n  polices: {}\n", #"keel.yaml:2:3: guardrails: unknown key "polices" (did you mean "policies"?)"#),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: pii, action: redcat}]\n",
         #"keel.yaml:4:39: guardrails.policies.p.input[0].action: expected one of block, redact, flag, got "redcat" (did you mean "redact"?)"#),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: pi, action: flag}]\n",
         #"keel.yaml:4:26: guardrails.policies.p.input[0].detector: expected one of pii, secrets, prompt_injection, banned_topics, banned_words, invisible_text, json_schema, system_prompt_leak, got "pi""#),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: pii, action: flag, words: [a]}]\n",
         #"keel.yaml:4:45: guardrails.policies.p.input[0]: unknown key "words" (expected one of: detector, action, threshold, roles, types, card_mask)"#),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: pii, action: flag, types: [EMAIL, SSN]}]\n",
         #"keel.yaml:4:60: guardrails.policies.p.input[0].types[1]: unknown pii type "SSN""#),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: secrets, action: redact, types: []}]\n",
         "keel.yaml:4:58: guardrails.policies.p.input[0].types: types must name at least one secrets type; leave it out for all of them"),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: json_schema, action: flag, schema: '{}'}]\n",
         "keel.yaml:4:15: guardrails.policies.p.input[0]: the json_schema detector only applies to output"),
        ("guardrails:\n  policies:\n    p:\n      output: [{detector: json_schema, action: block, schema: '{nope'}]\n",
         "guardrails.policies.p.output[0].schema: the schema is not valid JSON"),
        ("guardrails:\n  policies:\n    p:\n      output: [{detector: system_prompt_leak, action: block, canary: short}]\n",
         "guardrails.policies.p.output[0].canary: a canary token needs at least 8 characters"),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: pii, action: flag, threshold: 2}]\n",
         "guardrails.policies.p.input[0].threshold: 2.0 is out of range: must be between 0 and 1"),
        ("guardrails:\n  policies:\n    p: {pack: hippa}\n", #"guardrails.policies.p.pack: expected one of hipaa, pci, gdpr, got "hippa" (did you mean "hipaa"?)"#),
        ("guardrails:\n  policies: {p: {}}\n  bindings:\n    teams: {t: q}\n", #"keel.yaml:4:16: guardrails.bindings.teams.t: unknown policy "q""#),
        ("guardrails:\n  bindings:\n    models: {ghost: hipaa}\n", #"keel.yaml:3:14: guardrails.bindings.models: unknown model "ghost""#),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: banned_words, action: block}]\n", #"guardrails.policies.p.input[0]: missing required key "words""#),
        ("guardrails:\n  custom_entities:\n    employee: {pattern: x}\n", #"guardrails.custom_entities: invalid entity name "employee""#),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: pii, action: flag, roles: [user, sytem]}]\n",
         #"keel.yaml:4:59: guardrails.policies.p.input[0].roles[1]: expected one of system, user, assistant, tool, got "sytem" (did you mean "system"?)"#),
        ("guardrails:\n  policies:\n    p:\n      input: [{detector: pii, action: flag, roles: []}]\n",
         "keel.yaml:4:52: guardrails.policies.p.input[0].roles: roles must name at least one of system, user, assistant, tool"),
        ("guardrails:\n  policies:\n    p:\n      output: [{detector: pii, action: flag, roles: [user]}]\n",
         "keel.yaml:4:53: guardrails.policies.p.output[0].roles: roles only applies to input entries: output texts have no role"),
    ])
    func mistakes(yaml: String, expected: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.diagnostics.contains { $0.description.hasPrefix(expected) || $0.description.hasSuffix(expected) || $0.description.contains(expected) },
                "\(error.description)")
    }

    @Test("roles: parsed in file order, a repeated role counts once; by default every role, prompt_injection all but system")
    func roles() throws {
        let config = try parseConfig("""
        guardrails:
          policies:
            default:
              input:
                - {detector: prompt_injection, action: block}
                - {detector: pii, action: redact}
                - {detector: prompt_injection, action: block, roles: [system, user]}
                - {detector: banned_words, action: flag, words: [falcon], roles: [tool, user, tool]}
        """)
        let input = config.guardrails.policies[0].input
        #expect(input.map(\.roles) == [nil, nil, [.system, .user], [.tool, .user]])
        #expect(input.map(\.scannedRoles) == [[.user, .assistant, .tool], [.system, .user, .assistant, .tool], [.system, .user], [.tool, .user]])
        for detector in GuardrailsConfig.detectorNames where detector != "prompt_injection" {
            #expect(GuardrailRuleConfig.defaultRoles(for: detector) == GuardrailRole.allCases)
        }
        #expect(GuardrailRuleConfig(detector: "prompt_injection", action: .block).scannedRoles == [.user, .assistant, .tool])
    }

    @Test("a policy may be bound under a pack name without being configured, and the section defaults to empty")
    func defaults() throws {
        let config = try parseConfig("guardrails:\n  bindings:\n    keys: {k: gdpr}\n")
        #expect(config.guardrails.bindings.keys == ["k": "gdpr"])
        #expect(try parseConfig("server: {}\n").guardrails == GuardrailsConfig())
    }
}
