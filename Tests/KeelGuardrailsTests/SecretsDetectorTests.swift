import Testing
@testable import KeelGuardrails

let sharedSecrets = try! SecretsDetector()

@Suite("Secrets detector")
struct SecretsDetectorTests {
    static let privateKey = """
    -----BEGIN RSA PRIVATE KEY-----
    MIIEowIBAAKCAQEAvT0jWm2NfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE
    bm90IGEgcmVhbCBrZXkgYnV0IHNoYXBlZCBsaWtlIG9uZQ==
    -----END RSA PRIVATE KEY-----
    """

    @Test("positive cases: the exact secret is found with its type", arguments: [
        ("key AKIAIOSFODNN7EXAMPLE in env", "AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("maps key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW ok", "GCP_API_KEY", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"),
        ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a here", "GITHUB_TOKEN", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        ("glpat-xYz12_3456789ABCDEFGHij", "GITLAB_TOKEN", "glpat-xYz12_3456789ABCDEFGHij"),
        ("slack xoxb-2048312345-4096123456789-AbCdEfGhIjKlMnOpQrStUvWx", "SLACK_TOKEN", "xoxb-2048312345-4096123456789-AbCdEfGhIjKlMnOpQrStUvWx"),
        ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "STRIPE_KEY", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("OPENAI_API_KEY=sk-proj-AbC123dEf456GhI789jKl012MnO345pQr678", "OPENAI_API_KEY", "sk-proj-AbC123dEf456GhI789jKl012MnO345pQr678"),
        ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
         "JWT", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
        ("db postgres://app:s3cr3t-pw@db.internal:5432/app.", "CONNECTION_STRING", "postgres://app:s3cr3t-pw@db.internal:5432/app"),
        ("config api_key: \"Zx8vQ2mN7pL4kR9tW3yB6cF1\"", "GENERIC_SECRET", "Zx8vQ2mN7pL4kR9tW3yB6cF1"),
    ])
    func positive(text: String, type: String, value: String) {
        let scan = ScanText(text)
        let findings = sharedSecrets.scan(scan)
        #expect(findings.contains { $0.type == type && scan.text($0.range) == value }, "\(findings.map { "\($0.type):\(scan.text($0.range))" })")
    }

    @Test("an Anthropic key is not reported as an OpenAI key")
    func anthropic() {
        let key = "sk-ant-api03-" + String(repeating: "aB3dE6gH9j", count: 9) + "-AA"
        #expect(types(sharedSecrets, "ANTHROPIC_API_KEY=\(key)") == ["ANTHROPIC_API_KEY"])
    }

    @Test("a private key block is reported whole")
    func privateKey() {
        let text = "here:\n\(Self.privateKey)\nthanks"
        #expect(values(sharedSecrets, text) == [Self.privateKey])
    }

    // Found by fuzz/ (FuzzGuardrails): an unterminated block stopped looking 8 bytes before the end
    // of the text, so it could end inside a character, and redaction left half of one behind.
    @Test("an unterminated private key runs to the end of the text, ending on a character boundary")
    func unterminatedPrivateKeyAtTheEnd() {
        for tail in ["", "x", "\u{E0041}", "é\u{E0041}\u{E0042}", "abc\u{202E}"] {
            let text = "key -----BEGIN RSA PRIVATE KEY-----\nMIIEow" + tail
            let scan = ScanText(text)
            let found = sharedSecrets.scan(scan)
            #expect(found.map(\.type) == ["PRIVATE_KEY"])
            #expect(found.first?.range.upperBound == scan.bytes.count)
        }
    }

    @Test("hard negatives", arguments: [
        "password = hunter2",                                   // too short and low entropy
        "token: aaaaaaaaaaaaaaaaaaaaaaaa",                      // no entropy
        "the secret to good bread is time",
        "AKIA is a prefix used by AWS",
        "postgres://db.internal:5432/app without credentials",
        "eyJhbGciOi.notajwt.atall",
        "api_key = YOUR_API_KEY_HERE",                          // placeholder text, no digits
    ])
    func negative(text: String) {
        #expect(types(sharedSecrets, text).isEmpty, "\(values(sharedSecrets, text))")
    }
}
