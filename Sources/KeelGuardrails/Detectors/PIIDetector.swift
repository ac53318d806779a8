/// Finds personal, health and payment data (PII, PHI, PCI): e-mail addresses, phone numbers, US SSNs,
/// payment cards, IBANs, IP addresses, dates of birth, US passport / driver licence / ITIN numbers,
/// UK NHS and National Insurance numbers, medical record and health-plan numbers, and custom
/// entities defined by regular expressions.
///
/// One Vectorscan pass finds every candidate; each is then validated in Swift (Luhn for cards,
/// mod-97 for IBANs, issued ranges for SSNs, mod-11 for NHS numbers, context words for dates of
/// birth and record numbers). Where candidates overlap, the higher score wins.
public struct PIIDetector: Detector {
    /// A custom entity: a regular expression (Vectorscan's PCRE dialect) for a named type.
    public struct CustomEntity: Sendable, Hashable {
        /// The reported type, upper snake case (`EMPLOYEE_ID`).
        public var type: String
        /// The expression. A match must not touch a letter or digit on either side.
        public var pattern: String
        /// Words that must appear near a match; empty means none are needed.
        public var context: [String]
        /// The score reported.
        public var score: Double

        /// Creates a custom entity; `score` defaults to 0.8, `context` to none.
        public init(type: String, pattern: String, context: [String] = [], score: Double = 0.8) {
            self.type = type
            self.pattern = pattern
            self.context = context
            self.score = score
        }
    }

    /// Every built-in entity type, in documentation order.
    public static let builtInTypes = [
        "EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IBAN", "IP_ADDRESS", "DATE_OF_BIRTH",
        "US_PASSPORT", "US_DRIVER_LICENSE", "US_ITIN", "UK_NHS", "UK_NINO",
        "MEDICAL_RECORD_NUMBER", "HEALTH_PLAN_NUMBER",
    ]

    public let name = "pii"
    /// The types this instance reports.
    public let types: Set<String>
    private let scanner: EntityScanner

    /// Compiles the detector for `types` (default: every built-in type) plus `customEntities`.
    public init(types: Set<String>? = nil, customEntities: [CustomEntity] = []) throws(PatternError) {
        let enabled = types ?? Set(Self.builtInTypes)
        var rules = Self.builtInRules.filter { enabled.contains($0.type) }
        for entity in customEntities where types == nil || enabled.contains(entity.type) {
            try PatternDatabase.validate(entity.pattern)
            rules.append(EntityRule(
                type: entity.type, expression: entity.pattern, score: entity.score,
                context: entity.context, contextScore: max(entity.score, 0.9),
                contextRequired: !entity.context.isEmpty
            ))
        }
        self.types = enabled.union(customEntities.map(\.type))
        scanner = try EntityScanner(rules: rules)
    }

    public func scan(_ text: ScanText) -> [Finding] {
        let findings = scanner.candidates(in: text).map { candidate in
            text.finding(detector: name, type: scanner.rules[candidate.rule].type, range: candidate.range, score: candidate.score)
        }
        return resolveOverlaps(findings)
    }

    // MARK: - Rules

    static let birthWords = ["born", "birth", "birthday", "birthdate", "dob", "d.o.b", "date of birth", "né", "née", "geboren"]
    static let months = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"

    static let builtInRules: [EntityRule] = [
        EntityRule(
            type: "EMAIL",
            expression: #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#,
            score: 0.95, maxLength: 320,
            validate: { bytes, range in
                // The local part may not start or end with a dot.
                let at = bytes[range].firstIndex(of: UInt8(ascii: "@"))!
                guard at - range.lowerBound <= 64, bytes[range.lowerBound] != UInt8(ascii: "."), bytes[at - 1] != UInt8(ascii: ".") else { return nil }
                return range
            }
        ),
        // International: +CC then 6–14 more digits in groups.
        EntityRule(
            type: "PHONE",
            expression: #"\+[1-9][0-9]{0,2}[ .\-]?(?:\(0\)[ .\-]?)?(?:\(?[0-9]{1,5}\)?[ .\-]?){1,5}[0-9]{2,5}"#,
            score: 0.85, context: ["phone", "tel", "telephone", "mobile", "cell", "call", "fax", "whatsapp"], contextScore: 0.95,
            wordBoundary: false,
            validate: { bytes, range in
                var end = range.upperBound
                while end > range.lowerBound, !(0x30...0x39).contains(bytes[end - 1]) { end -= 1 }
                if end < bytes.count, (0x30...0x39).contains(bytes[end]) { return nil }
                let count = Checksums.digits(bytes, range.lowerBound..<end).count
                return (8...15).contains(count) ? range.lowerBound..<end : nil
            }
        ),
        // North American: (415) 555-0132, 415-555-0132, 415.555.0132, 1-415-555-0132, with an optional
        // extension (415-555-0132x204, 415-555-0132 ext. 204) that is part of the finding.
        EntityRule(
            type: "PHONE",
            expression: #"(?:1[ .\-])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .\-])[2-9][0-9]{2}[ .\-][0-9]{4}(?: ?(?:[xX]|[eE][xX][tT]\.?) ?[0-9]{1,5})?"#,
            score: 0.7, context: ["phone", "tel", "telephone", "mobile", "cell", "call", "fax", "contact"], contextScore: 0.95,
            tokenStarts: true,
            validate: { bytes, range in
                // The checks apply to the number without its extension.
                let marker = bytes[range].firstIndex { $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
                var numberEnd = marker ?? range.upperBound
                while numberEnd > range.lowerBound, bytes[numberEnd - 1] == UInt8(ascii: " ") { numberEnd -= 1 }
                let number = range.lowerBound..<numberEnd
                let text = String(decoding: bytes[number], as: UTF8.self)
                let digits = Checksums.digits(bytes, number)
                guard digits.count == 10 || (digits.count == 11 && digits[0] == 1) else { return nil }
                // Separators must be consistent (415-555-0132, not a date-like 415-555.0132).
                let separators = Set(text.filter { $0 == "-" || $0 == "." })
                return separators.count <= 1 ? range : nil
            }
        ),
        // National formats with a trunk prefix: UK 020 7946 0958 / 07700 900123 / (0113) 4960962,
        // FR 01 23 45 67 89, DE 030 1234567 / (07408) 59411, NL (023)-7108596. The area code is
        // followed by a separator, or closed by a parenthesis.
        EntityRule(
            type: "PHONE",
            expression: #"(?:\(0[1-9][0-9]{0,4}\)[ \-]?|0[1-9][0-9]{0,4}[ \-])[0-9]{2,8}(?:[ \-][0-9]{2,8}){0,3}"#,
            score: 0.6, context: ["phone", "tel", "telephone", "mobile", "cell", "call", "fax", "contact", "ring", "number"], contextScore: 0.9,
            tokenStarts: true,
            validate: { bytes, range in
                // Candidates may start at any token of a matched region, so the trunk prefix is checked
                // here: "0" then a non-zero digit, optionally after "(".
                let first = bytes[range.lowerBound] == UInt8(ascii: "(") ? range.lowerBound + 1 : range.lowerBound
                guard first + 1 < range.upperBound, bytes[first] == UInt8(ascii: "0"), (0x31...0x39).contains(bytes[first + 1]) else { return nil }
                let count = Checksums.digits(bytes, range).count
                return (10...11).contains(count) ? range : nil
            }
        ),
        EntityRule(
            type: "US_SSN",
            expression: #"[0-9]{3}(?:-[0-9]{2}-|\s[0-9]{2}\s|[0-9]{2})[0-9]{4}"#,
            score: 0.85, context: ["ssn", "social security", "social security number", "ss#", "ss #"], contextScore: 0.95,
            tokenStarts: true,
            validate: { bytes, range in
                let text = bytes[range]
                let digits = Checksums.digits(bytes, range)
                guard digits.count == 9 else { return nil }
                guard Checksums.isValidSSN(
                    area: digits[0] * 100 + digits[1] * 10 + digits[2],
                    group: digits[3] * 10 + digits[4],
                    serial: digits[5] * 1000 + digits[6] * 100 + digits[7] * 10 + digits[8]
                ) else { return nil }
                return text.count == 11 || text.count == 9 ? range : nil
            }
        ).withUnseparatedNeedingContext(),
        EntityRule(
            type: "CREDIT_CARD",
            expression: #"[0-9]{4}(?:[ \-]?[0-9]{2,7}){2,4}"#,
            score: 0.95, context: ["card", "credit", "visa", "mastercard", "amex", "pan"], contextScore: 1.0,
            tokenStarts: true,
            validate: { bytes, range in
                let digits = Checksums.digits(bytes, range)
                guard Checksums.isPaymentCard(digits), Checksums.luhn(digits) else { return nil }
                // Separators, if any, must all be the same character.
                let separators = Set(bytes[range].filter { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "-") })
                return separators.count <= 1 ? range : nil
            }
        ),
        EntityRule(
            type: "IBAN",
            expression: #"[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30}"#,
            score: 0.95, tokenStarts: true,
            validate: { bytes, range in
                var end = range.upperBound
                while end > range.lowerBound + 15 {
                    if bytes[end - 1] != UInt8(ascii: " "), Checksums.isValidIBAN(bytes, range.lowerBound..<end) { return range.lowerBound..<end }
                    end -= 1
                }
                return nil
            }
        ),
        EntityRule(
            type: "IP_ADDRESS",
            expression: #"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"#,
            score: 0.85, tokenStarts: true,
            validate: { Checksums.isValidIPv4($0, $1) ? $1 : nil }
        ),
        EntityRule(
            type: "IP_ADDRESS",
            expression: #"(?:[0-9A-Fa-f]{1,4}:|:){1,7}(?::|(?::?[0-9A-Fa-f]{1,4}){1,7}|(?::[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}))"#,
            score: 0.85, wordBoundary: false,
            validate: { bytes, range in
                if range.lowerBound > 0, bytes[range.lowerBound - 1] == UInt8(ascii: ":") || EntityScanner.isWordByte(bytes[range.lowerBound - 1]) { return nil }
                if range.upperBound < bytes.count, bytes[range.upperBound] == UInt8(ascii: ":") || EntityScanner.isWordByte(bytes[range.upperBound]) { return nil }
                return Checksums.isValidIPv6(bytes, range) ? range : nil
            }
        ),
        EntityRule(
            type: "DATE_OF_BIRTH",
            expression: #"(?:[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-](?:19|20)?[0-9]{2}|(?:19|20)[0-9]{2}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:\#(months))\.?,?\s+(?:19|20)[0-9]{2}|(?:\#(months))\.?\s+[0-9]{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)[0-9]{2})"#,
            options: [.caseless], score: 0.3, context: birthWords, contextScore: 0.9, contextRequired: true, contextWindow: 40,
            validate: { bytes, range in
                let numbers = String(decoding: bytes[range], as: UTF8.self)
                    .split { !$0.isNumber }.compactMap { Int($0) }
                return numbers.allSatisfy { $0 <= 31 || (1900...2100).contains($0) || ($0 >= 32 && $0 <= 99) } ? range : nil
            }
        ),
        EntityRule(
            type: "US_PASSPORT",
            expression: #"[A-Za-z]?[0-9]{8,9}"#,
            score: 0.3, context: ["passport", "passport number", "passport no", "passport #"], contextScore: 0.9, contextRequired: true
        ),
        EntityRule(
            type: "US_DRIVER_LICENSE",
            expression: #"[A-Za-z]{1,2}[0-9]{4,14}|[0-9]{7,12}|[A-Za-z][0-9]{3}-[0-9]{3,4}-[0-9]{2,4}(?:-[0-9]{1,3})?"#,
            score: 0.3, context: ["driver's license", "drivers license", "driver license", "driver's licence", "driving licence", "driver licence", "dl", "dl#", "license number", "licence number"], contextScore: 0.85, contextRequired: true, contextWindow: 32
        ),
        EntityRule(
            type: "US_ITIN",
            expression: #"9[0-9]{2}[ \-]?[5-9][0-9][ \-]?[0-9]{4}"#,
            score: 0.85, context: ["itin", "taxpayer identification", "tax id"], contextScore: 0.95,
            tokenStarts: true,
            validate: { bytes, range in Checksums.isValidITIN(Checksums.digits(bytes, range)) ? range : nil }
        ),
        EntityRule(
            type: "UK_NHS",
            expression: #"[0-9]{3}[ \-]?[0-9]{3}[ \-]?[0-9]{4}"#,
            score: 0.4, context: ["nhs", "nhs number", "national health service", "health service"], contextScore: 0.95,
            tokenStarts: true,
            validate: { bytes, range in Checksums.isValidNHS(Checksums.digits(bytes, range)) ? range : nil }
        ),
        EntityRule(
            type: "UK_NINO",
            expression: #"[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z][A-CEGHJ-NPR-TW-Za-ceghj-npr-tw-z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]"#,
            score: 0.85, context: ["national insurance", "ni number", "nino", "nin"], contextScore: 0.95,
            validate: { bytes, range in
                let prefix = String(decoding: bytes[range.lowerBound..<range.lowerBound + 2], as: UTF8.self).uppercased()
                return ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].contains(prefix) ? nil : range
            }
        ),
        EntityRule(
            type: "MEDICAL_RECORD_NUMBER",
            expression: #"[A-Za-z]{0,4}[\-#]?[0-9]{2,}(?:-[0-9]{2,}){0,3}"#,
            score: 0.3, context: ["mrn", "medical record", "medical record number", "patient id", "patient number", "chart number", "record number", "hospital number"], contextScore: 0.85, contextRequired: true, contextWindow: 32,
            maxLength: 32,
            validate: { bytes, range in (5...15).contains(Checksums.digits(bytes, range).count) ? range : nil }
        ),
        // Medicare Beneficiary Identifier: 1EG4-TE5-MK73 style, no context needed.
        EntityRule(
            type: "HEALTH_PLAN_NUMBER",
            expression: #"[1-9][AC-HJKMNP-RT-Yac-hjkmnp-rt-y][AC-HJKMNP-RT-Yac-hjkmnp-rt-y0-9][0-9]-?[AC-HJKMNP-RT-Yac-hjkmnp-rt-y][AC-HJKMNP-RT-Yac-hjkmnp-rt-y0-9][0-9]-?[AC-HJKMNP-RT-Yac-hjkmnp-rt-y]{2}[0-9]{2}"#,
            score: 0.8, context: ["medicare", "mbi", "beneficiary"], contextScore: 0.95
        ),
        EntityRule(
            type: "HEALTH_PLAN_NUMBER",
            expression: #"[A-Za-z0-9]{1,4}[\- ]?[0-9][A-Za-z0-9]{4,14}"#,
            score: 0.3, context: ["member id", "member number", "health plan", "insurance id", "policy number", "subscriber id", "group number", "medicaid", "medicare", "beneficiary", "plan id"], contextScore: 0.85, contextRequired: true, contextWindow: 32,
            validate: { bytes, range in Checksums.digits(bytes, range).count >= 4 ? range : nil }
        ),
    ]
}

extension EntityRule {
    /// SSN-shaped nine-digit runs without separators count only with a context word nearby.
    fileprivate func withUnseparatedNeedingContext() -> EntityRule {
        var rule = self
        let inner = validate
        let window = contextWindow
        let words = context.map { Array($0.utf8) }
        rule.validate = { bytes, range in
            let candidate: Range<Int>? = if let inner { inner(bytes, range) } else { range }
            guard let accepted = candidate else { return nil }
            if accepted.count == 9 {
                let lower = max(0, accepted.lowerBound - window)
                let nearby = String(decoding: bytes[lower..<min(bytes.count, accepted.upperBound + window)], as: UTF8.self).lowercased()
                guard words.contains(where: { nearby.contains(String(decoding: $0, as: UTF8.self)) }) else { return nil }
            }
            return accepted
        }
        return rule
    }
}
