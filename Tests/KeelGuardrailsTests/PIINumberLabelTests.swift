import Testing
@testable import KeelGuardrails

/// Numbers told apart by their shape and the words around them: bare SSNs and ITINs, and the card
/// formats of older and regional networks, next to look-alikes that must stay unreported (phone
/// numbers have their own suites).
@Suite("PII detector: labelled numbers and card formats")
struct PIINumberLabelTests {
    @Test("SSNs: labels decide for bare digits, and an order number is never one", arguments: [
        ("ssn #536904399", ["536904399"]),
        ("536904399 (SSN)", ["536904399"]),
        ("Social security number: 536 90 4399", ["536 90 4399"]),
        ("My SSN is 536-90-4399 and the reference is order #706665449.", ["536-90-4399"]),
        ("for order #138985447. Social security number: 140-22-3333", ["140-22-3333"]),
        ("536-90-4399 was entered for the employee, order #76219172", ["536-90-4399"]),
    ])
    func ssn(text: String, expected: [String]) {
        let scan = ScanText(text)
        let found = sharedPII.scan(scan).filter { $0.type == "US_SSN" }.map { scan.text($0.range) }
        #expect(found == expected)
    }

    @Test("nine bare digits without a label score 0.3, below the default threshold; labels and phone numbers decide", arguments: [
        ("The applicant wrote 751144356 in box 3.", [("US_SSN", "751144356", 0.3)]),
        ("751144356 (SSN)", [("US_SSN", "751144356", 0.95)]),
        ("Tel. 536904399", [("PHONE", "536904399", 0.55)]),
        ("order 536904399", []),
        ("Office: +358 786387583", [("PHONE", "+358 786387583", 0.85)]),
        ("(351) 299557808 is on the form", [("PHONE", "(351) 299557808", 0.55)]),
        ("the sample 078051120 from the wallet card", []),   // never issued
    ])
    func bareSSNScore(text: String, expected: [(String, String, Double)]) {
        let scan = ScanText(text)
        let found = sharedPII.scan(scan).map { ($0.type, scan.text($0.range), $0.score) }
        #expect(found.map(\.0) == expected.map(\.0) && found.map(\.1) == expected.map(\.1) && found.map(\.2) == expected.map(\.2), "\(found)")
    }

    @Test("a bare nine-digit number starting with 9 is an ITIN only next to an ITIN label")
    func itin() {
        #expect(!types(sharedPII, "Use 914802110 for this.").contains("US_ITIN"))
        #expect(types(sharedPII, "ITIN: 914802110").contains("US_ITIN"))
        #expect(types(sharedPII, "ITIN 912-70-1234 on file").contains("US_ITIN"))
    }

    @Test("cards of every network length and grouping are found", arguments: [
        ("Maestro 630400000018", "630400000018"),
        ("Card 6759 1234 5674", "6759 1234 5674"),
        ("JCB 2131 000000 00001", "2131 000000 00001"),
        ("old card 180000000000002", "180000000000002"),
        ("card 3500-0000-0000-0009", "3500-0000-0000-0009"),
        ("paid with 4111.1111.1111.1111 yesterday", "4111.1111.1111.1111"),
        ("visa 4000 0000 0000 0000 006", "4000 0000 0000 0000 006"),
    ])
    func cardFound(text: String, value: String) {
        let scan = ScanText(text)
        let findings = sharedPII.scan(scan)
        #expect(findings.contains { $0.type == "CREDIT_CARD" && scan.text($0.range) == value }, "\(findings.map { "\($0.type):\(scan.text($0.range))" })")
    }

    @Test("card look-alikes stay unreported", arguments: [
        "request 230fef13-986f-ac35-4a4a-577417928675 failed",   // the last group of a UUID
        "JCB 2131 000000 00002",                                   // fails Luhn
        "card 1800 0000 0000 0000",                                // Luhn-valid, but 1800 numbers have 15 digits
        "paid with 4111.1111-1111.1111",                           // mixed separators
    ])
    func cardNotFound(text: String) {
        #expect(!types(sharedPII, text).contains("CREDIT_CARD"), "\(values(sharedPII, text))")
    }
}
