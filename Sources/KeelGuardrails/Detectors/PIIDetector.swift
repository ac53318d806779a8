/// Finds personal, health and payment data (PII, PHI, PCI): e-mail addresses, phone numbers, US SSNs,
/// payment cards, IBANs, IP addresses, dates of birth, US passport / driver licence / ITIN numbers,
/// UK NHS and National Insurance numbers, medical record and health-plan numbers, and custom
/// entities defined by regular expressions.
///
/// One Vectorscan pass finds every candidate; each is then validated in Swift (Luhn for cards,
/// mod-97 for IBANs, issued ranges for SSNs, mod-11 for NHS numbers, context words for dates of
/// birth and record numbers). Where candidates overlap, the higher score wins.
public struct PIIDetector: OverlapResolvingDetector {
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

    public func candidates(in text: ScanText) -> [Finding] {
        scanner.candidates(in: text).map { candidate in
            text.finding(detector: name, type: scanner.rules[candidate.rule].type, range: candidate.range, score: candidate.score)
        }
    }

    // MARK: - Rules

    static let birthWords = ["born", "birth", "birthday", "birthdate", "dob", "d.o.b", "date of birth", "né", "née", "geboren"]
    static let months = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"

    static let builtInRules: [EntityRule] = [emailRule] + phoneRules + numberRules

    static let emailRule = EntityRule(
        type: "EMAIL",
        // Domain labels may hold UTF-8 letters (internationalised names such as `пошта.укр`, matched
        // byte-wise), and the top-level domain may be one of whole UTF-8 characters.
        expression: #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\x80-\xFF][A-Za-z0-9\-\x80-\xFF]*(?:\.[A-Za-z0-9\-\x80-\xFF]+)*\.(?:[A-Za-z]{2,}|(?:[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3}){2,})"#,
        score: 0.95, asciiBoundary: true, maxLength: 320,
        validate: { bytes, range in
            // A candidate joins a start and an end of overlapping matches, so it may lack the `@`
            // (`a.b@c\u{FFFD}.b@d.com` gives `.b`). The local part may not start or end with a dot:
            // leading dots are punctuation before the address (`mail:.jo@x.org`), a trailing one rejects it.
            guard let at = bytes[range].firstIndex(of: UInt8(ascii: "@")) else { return nil }
            var start = range.lowerBound
            while start < at, bytes[start] == UInt8(ascii: ".") { start += 1 }
            guard start < at, at - start <= 64, bytes[at - 1] != UInt8(ascii: ".") else { return nil }
            return start..<range.upperBound
        }
    )

    /// Every other built-in type: identity, payment, network and health numbers.
    static let numberRules: [EntityRule] = [
        EntityRule(
            type: "US_SSN",
            expression: #"[0-9]{3}(?:-[0-9]{2}-|\s[0-9]{2}\s|[0-9]{2})[0-9]{4}"#,
            score: 0.85, context: ["ssn", "social security", "social security number", "ss#", "ss #"], contextScore: 0.95,
            tokenStarts: true,
            validate: { bytes, range in
                guard range.count == 11 || range.count == 9, Checksums.isValidSSN(Checksums.digits(bytes, range)) else { return nil }
                return labelled(bytes, range, by: ssnLabels)
            }
        ),
        // Nine bare digits that no label names may still be an SSN, but are as often an id, an
        // amount or a phone number: a weak score, below the default threshold, that an entry with
        // `threshold: 0.3` acts on. Not when an identifier label
        // (`order`, `#`) or a phone label names the number, nor when it is the end of a phone number
        // (`+358 786387583`, `(351) 299557808`).
        EntityRule(
            type: "US_SSN",
            expression: #"[0-9]{9}"#,
            score: 0.3,
            validate: { bytes, range in
                guard Checksums.isValidSSN(Checksums.digits(bytes, range)), !Checksums.isInsideLongerToken(bytes, range),
                      !PhoneNumbers.continuesDigitGroups(bytes, range), !PhoneNumbers.continuesToTheRight(bytes, range),
                      !PhoneNumbers.followsAreaCode(bytes, range), ssnLabels.label(bytes, range) == .none,
                      !isPhoneLabelled(bytes, range) else { return nil }
                return range
            }
        ),
        EntityRule(
            type: "CREDIT_CARD",
            expression: #"[0-9]{4}(?:[ .\-]?[0-9]{2,7}){2,4}"#,
            score: 0.95, context: ["card", "credit", "visa", "mastercard", "amex", "pan"], contextScore: 1.0,
            tokenStarts: true,
            validate: { bytes, range in
                let digits = Checksums.digits(bytes, range)
                guard Checksums.isPaymentCard(digits), Checksums.luhn(digits), !Checksums.isInsideLongerToken(bytes, range) else { return nil }
                // Separators, if any, must all be the same character.
                let separators = Set(bytes[range].filter { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") })
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
            // 9XX-XX-XXXX: both separators the same, or none (a ZIP+4 such as 95762-1234 has one).
            expression: #"9[0-9]{2}(?:-[5-9][0-9]-| [5-9][0-9] |[5-9][0-9])[0-9]{4}"#,
            score: 0.85, context: ["itin", "taxpayer identification", "tax id"], contextScore: 0.95,
            tokenStarts: true,
            validate: { bytes, range in
                Checksums.isValidITIN(Checksums.digits(bytes, range)) ? labelled(bytes, range, by: itinLabels) : nil
            }
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
                guard range.count >= 9 else { return nil }
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

extension PIIDetector {
    static let ssnLabels = NumberContext(["ssn", "ssns", "social security", "soc sec", "ss"])
    static let itinLabels = NumberContext(["itin", "taxpayer identification", "tax id", "tin"])

    /// An SSN- or ITIN-shaped candidate as labelled by the words around it: none that makes it an
    /// order, invoice or other identifier, not part of a longer token, and, for nine digits without
    /// separators, a context word of its own.
    static func labelled(_ bytes: [UInt8], _ range: Range<Int>, by labels: NumberContext) -> Range<Int>? {
        guard !Checksums.isInsideLongerToken(bytes, range) else { return nil }
        let label = labels.label(bytes, range)
        guard label != .identifier else { return nil }
        return range.count > 9 || label == .context ? range : nil
    }
}
