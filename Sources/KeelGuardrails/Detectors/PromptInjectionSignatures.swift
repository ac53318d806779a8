/// The signature patterns of the `prompt_injection` detector, by category, each with a weight:
/// the probability that a text matching it is an attack. Patterns are matched case-insensitively
/// on the text after ``NormalizedText`` folding.
enum PromptInjectionSignatures {
    struct Signature {
        var category: String
        var weight: Double
        var expression: String
        /// Written without accents, to match the folded text: a match there is not an obfuscation.
        var accentFree = false
    }

    static let quantifier = #"(?:(?:all|any|every|each|the|your|these|those|of|that|this|above|previous|prior|earlier|preceding|former|original|initial|system|old|existing|given|foregoing|other|its)\s+)*"#
    static let qualifier = #"(?:previous|prior|above|earlier|preceding|former|original|initial|system|all|your|any|every|those|these|developer|safety|content)"#
    static let rules = #"(?:instructions?|prompts?|directions?|directives?|rules|guidelines|commands|orders|context|programming|constraints|restrictions|guardrails|polic(?:y|ies)|filters?)"#
    static let reveal = #"(?:reveal|show|print|display|output|repeat|recite|dump|leak|expose|share|tell|give|write\s+out|copy|paste|spell\s+out|list)"#

    /// Every signature: English, then other languages (PromptInjectionSignatures+Languages.swift).
    static let all: [Signature] = english + otherLanguages

    static let english: [Signature] = [
        // Instruction override.
        Signature(category: "INSTRUCTION_OVERRIDE", weight: 0.92,
                  expression: #"(?:ignore|disregard|forget|skip|bypass|override|overlook|neglect|abandon|discard|drop)\s+(?:about\s+)?\#(quantifier)\#(qualifier)\s+\#(quantifier)\#(rules)"#),
        Signature(category: "INSTRUCTION_OVERRIDE", weight: 0.92,
                  expression: #"(?:ignore|disregard|forget|skip|bypass|override|overlook|neglect|abandon|discard|drop)\s+\#(quantifier)(?:system|developer)\s+messages?"#),
        Signature(category: "INSTRUCTION_OVERRIDE", weight: 0.85,
                  expression: #"(?:do\s+not|don't|never|stop)\s+(?:follow|obey|listen\s+to|adhere\s+to|comply\s+with)\s+\#(quantifier)\#(qualifier)?\s*\#(rules)"#),
        Signature(category: "INSTRUCTION_OVERRIDE", weight: 0.9,
                  expression: #"(?:previous|prior|above|original|system|earlier)\s+(?:instructions|rules|prompts?|guidelines)\s+(?:are|is|were|was)\s+(?:now\s+)?(?:void|cancell?ed|revoked|obsolete|invalid|null|no\s+longer\s+(?:valid|apply|applicable|in\s+effect))"#),
        Signature(category: "INSTRUCTION_OVERRIDE", weight: 0.85,
                  expression: #"(?:forget|disregard|ignore|erase|clear)\s+(?:everything|all(?:\s+that)?|anything|whatever)\s+(?:you\s+(?:were|have\s+been|'ve\s+been)\s+(?:told|given|taught|instructed)|(?:i|we)\s+(?:said|told\s+you)\s+(?:before|earlier)|(?:above|before\s+this|so\s+far|until\s+now))"#),
        Signature(category: "INSTRUCTION_OVERRIDE", weight: 0.6,
                  expression: #"(?:new|updated|revised|real|actual|true|secret|hidden)\s+(?:system\s+)?(?:instructions?|directives?|rules|orders)\s*:"#),
        Signature(category: "INSTRUCTION_OVERRIDE", weight: 0.55,
                  expression: #"from\s+now\s+on,?\s+(?:you\s+(?:are|will|must|shall|should)|act|respond|answer|ignore|only)"#),
        Signature(category: "INSTRUCTION_OVERRIDE", weight: 0.7,
                  expression: #"(?:instead|rather),?\s+(?:you\s+(?:must|will|should)\s+)?(?:follow|obey|execute|do)\s+(?:my|these|the\s+following)\s+(?:instructions|commands|orders)"#),
        // Role-play jailbreaks.
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.9, expression: #"do\s+anything\s+now"#),
        // The word alone is how documentation and security discussions name the attack, so it scores
        // below the default threshold: a policy with a lower threshold still acts on it, and obfuscated
        // (which is itself a signal) it scores 0.55.
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.45, expression: #"(?:jailbr(?:eak|oken)|unjailbroken)"#),
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.85,
                  expression: #"(?:act|pretend|behave|roleplay|role-play|respond|answer|play)\s+(?:as|like|to\s+be|the\s+role\s+of)\s+(?:an?\s+|my\s+)?(?:\w+\s+)?(?:unrestricted|unfiltered|uncensored|evil|jailbroken|amoral|unethical|rogue|unbound|lawless|malicious|immoral)"#),
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.85,
                  expression: #"(?:you\s+are|you're|you\s+will\s+be|you\s+have\s+been)\s+(?:now\s+)?(?:free(?:d)?\s+from|liberated|unchained|no\s+longer\s+(?:bound|restricted|limited|constrained|an?\s+ai|chatgpt|claude)|not\s+(?:bound|restricted|limited)\s+by)"#),
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.85,
                  expression: #"(?:pretend|imagine|act\s+as\s+if|assume|suppose)\s+(?:that\s+)?you\s+(?:have|had|are\s+under|were\s+under)\s+no\s+(?:rules|guidelines|restrictions|filters|limits|limitations|ethics|morals|policies|content\s+policy|boundaries)"#),
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.5,
                  expression: #"(?:developer|god|jailbreak|unrestricted|dude|evil|chaos|sudo|admin|debug)\s+mode\s+(?:enabled|activated|on|engaged)"#),
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.55,
                  expression: #"(?:without|free\s+of|with\s+no)\s+(?:any\s+)?(?:ethical|moral|safety|content)?\s*(?:restrictions|filters|limitations|censorship|boundaries|guardrails)"#),
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.9,
                  expression: #"(?:openai|anthropic|content|safety)(?:'s)?\s+(?:content\s+)?(?:polic(?:y|ies)|guidelines|rules)\s+(?:do(?:es)?\s+not|don't|doesn't|no\s+longer)\s+apply"#),
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.4, expression: #"(?:stay|remain|keep)\s+in\s+character"#),
        Signature(category: "ROLE_PLAY_JAILBREAK", weight: 0.6,
                  expression: #"(?:two|2|both)\s+(?:different\s+)?(?:responses|answers)[^.\n]*(?:normal|classic|filtered)[^.\n]*(?:jailbroken|unfiltered|dan)"#),
        // System-prompt extraction.
        Signature(category: "SYSTEM_PROMPT_EXTRACTION", weight: 0.9,
                  expression: #"\#(reveal)\s+(?:me\s+|us\s+)?(?:your|the|all\s+(?:of\s+)?(?:your|the))\s+(?:(?:full|entire|complete|exact|verbatim|original|hidden|secret|initial|first|internal)\s+)*(?:system\s+(?:prompt|message|instructions)|initial\s+(?:prompt|instructions)|pre-?prompt|hidden\s+(?:prompt|instructions)|secret\s+instructions|developer\s+(?:message|instructions|prompt)|original\s+(?:prompt|instructions))"#),
        Signature(category: "SYSTEM_PROMPT_EXTRACTION", weight: 0.7,
                  expression: #"\#(reveal)\s+(?:me\s+|us\s+)?your\s+(?:(?:full|entire|complete|exact|verbatim|original|hidden|secret|initial)\s+)*(?:instructions|prompt|rules|guidelines|directives|configuration)"#),
        Signature(category: "SYSTEM_PROMPT_EXTRACTION", weight: 0.85,
                  expression: #"what\s+(?:is|was|are|were)\s+(?:your|the)\s+(?:exact\s+|full\s+|original\s+)?(?:system\s+prompt|initial\s+(?:prompt|instructions)|original\s+instructions|first\s+instructions|hidden\s+instructions|pre-?prompt)"#),
        Signature(category: "SYSTEM_PROMPT_EXTRACTION", weight: 0.85,
                  expression: #"(?:repeat|print|output|echo|recite|copy)\s+(?:back\s+)?(?:the\s+|all\s+(?:the\s+)?)?(?:words|text|everything|content|lines|tokens)\s+(?:above|before\s+this|preceding|prior\s+to\s+this)"#),
        Signature(category: "SYSTEM_PROMPT_EXTRACTION", weight: 0.8,
                  expression: #"what\s+(?:were|have)\s+you\s+(?:been\s+)?(?:told|instructed|programmed)\s+(?:to\s+do\s+)?(?:before|at\s+the\s+(?:start|beginning)|initially|by\s+your\s+(?:developers|creators))"#),
        Signature(category: "SYSTEM_PROMPT_EXTRACTION", weight: 0.75,
                  expression: #"(?:start|begin)\s+(?:your\s+(?:answer|response|reply)\s+)?with\s+["']?you\s+are\s+(?:a|an|chatgpt|claude)"#),
        // Delimiter and format tricks.
        Signature(category: "DELIMITER_INJECTION", weight: 0.85,
                  expression: #"<\|?(?:im_start|im_end|endoftext|eot_id|start_header_id|end_header_id|begin_of_text|system|assistant)\|?>"#),
        Signature(category: "DELIMITER_INJECTION", weight: 0.8, expression: #"(?:\[/?(?:INST|SYS)\]|<<\s*/?SYS\s*>>)"#),
        Signature(category: "DELIMITER_INJECTION", weight: 0.7,
                  expression: #"\n\s*(?:#{2,}|={3,}|-{3,}|\*{3,})\s*(?:system|new\s+instructions?|admin|developer|override)\b"#),
        Signature(category: "DELIMITER_INJECTION", weight: 0.6, expression: #""role"\s*:\s*"(?:system|developer)""#),
        Signature(category: "DELIMITER_INJECTION", weight: 0.6,
                  expression: #"(?:end|begin|start)\s+of\s+(?:the\s+)?(?:system\s+prompt|user\s+input|user\s+message|instructions|conversation)"#),
        Signature(category: "DELIMITER_INJECTION", weight: 0.7, expression: #"</?(?:system|instructions?|admin|developer)(?:_prompt|_message)?>"#),
    ]
}
