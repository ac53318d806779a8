import Testing
@testable import KeelGuardrails

/// Generic secrets that the generated evaluation data showed were missed: values assigned to names
/// ending in `_PASS`, and opaque bearer tokens in `Authorization` headers.
@Suite("Secrets detector: generic values")
struct SecretsGenericValueTests {
    @Test("the value is found as GENERIC_SECRET", arguments: [
        ("DB_PASS=q8Vt3LmZr2Kx9WcN7pYs", "q8Vt3LmZr2Kx9WcN7pYs"),
        ("smtp-pass: \"Hw4nT9qLz2XvB7mK\"", "Hw4nT9qLz2XvB7mK"),
        ("Authorization: Bearer 9fQ2xLr7TzK4mWv8NcYp3HbD", "9fQ2xLr7TzK4mWv8NcYp3HbD"),
        ("curl -H \"authorization: bearer a1B2c3D4e5F6g7H8i9J0\" https://api.example.com", "a1B2c3D4e5F6g7H8i9J0"),
    ])
    func found(text: String, value: String) {
        let scan = ScanText(text)
        let findings = sharedSecrets.scan(scan)
        #expect(findings.contains { $0.type == "GENERIC_SECRET" && scan.text($0.range) == value }, "\(findings.map { "\($0.type):\(scan.text($0.range))" })")
    }

    @Test("low-entropy, short or word-only values are not secrets", arguments: [
        "Authorization: Bearer $TOKEN",
        "Authorization: Bearer <your-token-here>",
        "the bearer of this letter is welcome",
        "DB_PASS=changeme",
        "compass = 12",
    ])
    func notFound(text: String) {
        #expect(types(sharedSecrets, text).isEmpty, "\(values(sharedSecrets, text))")
    }
}
