/// Finds credentials: cloud keys (AWS, GCP, Azure), private keys, GitHub / GitLab / Slack / Stripe /
/// OpenAI / Anthropic tokens, JWTs, connection strings with passwords, and high-entropy values
/// assigned to names like `api_key`, `secret` or `DB_PASS`, or sent as `Authorization: Bearer` tokens.
public struct SecretsDetector: OverlapResolvingDetector {
    /// Every type this detector reports, in documentation order.
    public static let builtInTypes = [
        "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "GCP_API_KEY", "GCP_OAUTH_TOKEN", "GCP_SERVICE_ACCOUNT",
        "AZURE_STORAGE_KEY", "AZURE_SAS_TOKEN", "AZURE_CLIENT_SECRET", "PRIVATE_KEY",
        "GITHUB_TOKEN", "GITLAB_TOKEN", "SLACK_TOKEN", "SLACK_WEBHOOK", "STRIPE_KEY",
        "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "JWT", "CONNECTION_STRING", "GENERIC_SECRET",
    ]

    public let name = "secrets"
    /// The types this instance reports.
    public let types: Set<String>
    private let scanner: EntityScanner

    /// Compiles the detector for `types` (default: all). `minimumEntropy` is the Shannon entropy,
    /// in bits per character, a value assigned to a secret-like name needs to count (default 3.5).
    public init(types: Set<String>? = nil, minimumEntropy: Double = 3.5) throws(PatternError) {
        let enabled = types ?? Set(Self.builtInTypes)
        self.types = enabled
        scanner = try EntityScanner(rules: Self.rules(minimumEntropy: minimumEntropy).filter { enabled.contains($0.type) })
    }

    public func candidates(in text: ScanText) -> [Finding] {
        scanner.candidates(in: text).map { candidate in
            text.finding(detector: name, type: scanner.rules[candidate.rule].type, range: candidate.range, score: candidate.score)
        }
    }

    static let base64Characters = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8))
    static let secretCharacters = base64Characters.union(Array("_-.~!@#$%^&*".utf8))

    /// The value after `name =` / `name: "…"` starting at `offset`: spaces and one opening quote are
    /// skipped, then the longest run of `characters` (at most 256) is the value.
    static func valueAfter(_ bytes: [UInt8], _ offset: Int, characters: Set<UInt8>) -> Range<Int>? {
        var start = offset
        while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        if start < bytes.count, [0x22, 0x27, 0x60].contains(bytes[start]) { start += 1 }
        var end = start
        while end < bytes.count, end - start < 256, characters.contains(bytes[end]) { end += 1 }
        return end > start ? start..<end : nil
    }

    /// The value starting at `offset` when it looks like a secret: at least 12 characters, letters and
    /// digits, and at least `minimumEntropy` bits per character (trailing `.` and `,` excluded).
    static func genericValue(_ bytes: [UInt8], _ offset: Int, minimumEntropy: Double) -> Range<Int>? {
        guard let value = valueAfter(bytes, offset, characters: secretCharacters) else { return nil }
        var end = value.upperBound
        while end > value.lowerBound, [0x2E, 0x2C].contains(bytes[end - 1]) { end -= 1 }
        let slice = bytes[value.lowerBound..<end]
        guard slice.count >= 12 else { return nil }
        let hasDigit = slice.contains { (0x30...0x39).contains($0) }
        let hasLetter = slice.contains { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        guard hasDigit, hasLetter, Checksums.entropy(slice) >= minimumEntropy else { return nil }
        return value.lowerBound..<end
    }

    static func rules(minimumEntropy: Double) -> [EntityRule] {
        [
            EntityRule(type: "AWS_ACCESS_KEY", expression: #"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}"#, score: 0.95),
            EntityRule(
                type: "AWS_SECRET_KEY",
                expression: #"aws_?secret_?(?:access_?)?key["']?[ \t]*[:=]"#,
                options: [.caseless], score: 0.95,
                validate: { bytes, range in
                    guard let value = valueAfter(bytes, range.upperBound, characters: base64Characters), value.count == 40 else { return nil }
                    return value
                }
            ),
            EntityRule(type: "GCP_API_KEY", expression: #"AIza[0-9A-Za-z_\-]{35}"#, score: 0.95),
            EntityRule(type: "GCP_OAUTH_TOKEN", expression: #"ya29\.[0-9A-Za-z_\-]{20,}"#, score: 0.9),
            EntityRule(
                type: "GCP_SERVICE_ACCOUNT",
                expression: #""private_key_id"\s*:\s*"[0-9a-f]{40}""#, score: 0.95, wordBoundary: false,
                validate: { bytes, range in
                    guard let colon = bytes[range].firstIndex(of: UInt8(ascii: ":")),
                          let open = bytes[colon..<range.upperBound].firstIndex(of: UInt8(ascii: "\"")),
                          open + 1 < range.upperBound - 1 else { return nil }
                    return (open + 1)..<(range.upperBound - 1)
                }
            ),
            EntityRule(type: "AZURE_STORAGE_KEY", expression: #"AccountKey=[A-Za-z0-9+/]{86}=="#, score: 0.95, wordBoundary: false,
                       validate: { _, range in range.count > 11 ? (range.lowerBound + 11)..<range.upperBound : nil }),
            EntityRule(type: "AZURE_SAS_TOKEN", expression: #"[?&]sig=[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2}"#, options: [.caseless], score: 0.9, wordBoundary: false,
                       validate: { _, range in range.count > 5 ? (range.lowerBound + 5)..<range.upperBound : nil }),
            EntityRule(type: "AZURE_CLIENT_SECRET", expression: #"[A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34}"#, score: 0.9),
            EntityRule(
                type: "PRIVATE_KEY",
                expression: #"-----BEGIN[A-Z ]{0,20} PRIVATE KEY(?: BLOCK)?-----"#, score: 1.0, wordBoundary: false,
                validate: { bytes, range in
                    // The whole block up to its END line; an unterminated block runs to the end of its base64 body.
                    // Body bytes include every byte of a non-ASCII character, so the block ends on a
                    // character boundary: at an ASCII byte that is no body, an END line, or the text's end.
                    let end = Array("-----END".utf8)
                    var index = range.upperBound
                    while index < bytes.count {
                        if bytes[index] == 0x2D, index + end.count <= bytes.count, bytes[index..<(index + end.count)].elementsEqual(end) {
                            var close = index + end.count
                            var dashes = 0
                            while close < bytes.count, dashes < 5 {
                                dashes = bytes[close] == 0x2D ? dashes + 1 : 0
                                close += 1
                            }
                            return range.lowerBound..<close
                        }
                        let byte = bytes[index]
                        let body = EntityScanner.isWordByte(byte) || [0x2B, 0x2F, 0x3D, 0x0A, 0x0D, 0x20, 0x3A, 0x2C, 0x5C].contains(byte)
                        if !body { break }
                        index += 1
                    }
                    return range.lowerBound..<index
                }
            ),
            EntityRule(type: "GITHUB_TOKEN", expression: #"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{80,})"#, score: 0.95),
            EntityRule(type: "GITLAB_TOKEN", expression: #"(?:glpat|gldt|glrt|glptt|glft|glsoat|glcbt)-[A-Za-z0-9_\-]{20,}"#, score: 0.95),
            EntityRule(type: "SLACK_TOKEN", expression: #"xox[abposr]-[0-9A-Za-z]{8,}(?:-[0-9A-Za-z]{4,})+"#, score: 0.95),
            EntityRule(type: "SLACK_WEBHOOK", expression: #"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+"#, score: 0.95),
            EntityRule(type: "STRIPE_KEY", expression: #"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,99}"#, score: 0.95),
            EntityRule(type: "ANTHROPIC_API_KEY", expression: #"sk-ant-(?:api|admin|oat|sid)[0-9]{2}-[A-Za-z0-9_\-]{80,}"#, score: 0.99),
            EntityRule(
                type: "OPENAI_API_KEY",
                expression: #"sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{48})"#,
                score: 0.95,
                validate: { bytes, range in
                    String(decoding: bytes[range], as: UTF8.self).hasPrefix("sk-ant-") ? nil : range
                }
            ),
            EntityRule(
                type: "JWT",
                expression: #"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}"#, score: 0.9, maxLength: 16_384,
                validate: { bytes, range in
                    let header = bytes[range].prefix { $0 != UInt8(ascii: ".") }
                    guard let decoded = Base64.decode(Array(header), urlSafe: true),
                          String(decoding: decoded, as: UTF8.self).contains("\"alg\"") else { return nil }
                    return range
                }
            ),
            EntityRule(
                type: "CONNECTION_STRING",
                expression: #"(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|jdbc:[a-z]+|ftp|sftp|smtp|ldaps?)://[^\s:@/"'<>]+:[^\s@/"'<>]+@[^\s"'<>]+"#,
                options: [.caseless], score: 0.95, wordBoundary: false, maxLength: 2048,
                validate: { bytes, range in
                    var end = range.upperBound
                    while end > range.lowerBound, [0x2E, 0x2C, 0x29, 0x3B].contains(bytes[end - 1]) { end -= 1 }
                    return range.lowerBound..<end
                }
            ),
            EntityRule(
                type: "CONNECTION_STRING",
                expression: #"(?:Server|Data Source|Host)=[^;\n]+;[^\n]*(?:Password|Pwd)=[^;\s"']{4,}"#,
                options: [.caseless], score: 0.9, wordBoundary: false, maxLength: 1024
            ),
            // A high-entropy value assigned to a secret-like name (`DB_PASS=…`, `"api_key": "…"`) …
            // At most 40 name characters after the keyword and 4 spaces before the `=`: the whole
            // match (at most 60 bytes) then fits in the 64 bytes of left context a stream keeps, so a
            // streamed answer is redacted as the same text whole is.
            EntityRule(
                type: "GENERIC_SECRET",
                expression: #"(?:api[_\-]?key|apikey|secret|token|passwd|password|pwd|[_\-]pass(?:phrase)?|auth[_\-]?key|access[_\-]?key|private[_\-]?key|client[_\-]?secret|credentials?)[A-Za-z0-9_\-]{0,40}["']?[ \t]{0,4}(?::=|=|:)"#,
                options: [.caseless], score: 0.75, wordBoundary: false,
                validate: { bytes, range in genericValue(bytes, range.upperBound, minimumEntropy: minimumEntropy) }
            ),
            // … or sent as an HTTP bearer token (`Authorization: Bearer …`).
            EntityRule(
                type: "GENERIC_SECRET",
                expression: #"bearer[ \t]+"#,
                options: [.caseless], score: 0.75,
                validate: { bytes, range in genericValue(bytes, range.upperBound, minimumEntropy: minimumEntropy) }
            ),
        ]
    }
}
