import Testing
@testable import KeelGuardrails

/// Numbers told apart by their shape and the words around them: phone numbers written without
/// separators or in local groups, bare SSNs and ITINs, and the card formats of older and regional
/// networks, next to look-alikes that must stay unreported.
@Suite("PII detector: labelled numbers and card formats")
struct PIINumberLabelTests {
    @Test("phone numbers without separators or in local groups are found whole", arguments: [
        ("Tel: 0612345678", "0612345678"),
        ("The switchboard is 02079460958, ask for Sam.", "02079460958"),
        ("Call me on 3471234567 tonight.", "3471234567"),
        ("fax 4155550132", "4155550132"),
        ("Mobile: 612 345 678", "612 345 678"),
        ("Phone (37) 788-063 after six", "(37) 788-063"),
        ("Büro 0662/2204146", "0662/2204146"),
        ("Contact: ann@example.org, phone 016549996", "016549996"),
    ])
    func phoneFound(text: String, value: String) {
        let scan = ScanText(text)
        let findings = sharedPII.scan(scan)
        #expect(findings.contains { $0.type == "PHONE" && scan.text($0.range) == value }, "\(findings.map { "\($0.type):\(scan.text($0.range))" })")
    }

    @Test("numbers labelled as something else, or unlabelled without a trunk 0, are not phone numbers", arguments: [
        "Your order #0612345678 has shipped.",
        "Order 3471234567 is ready for pickup.",
        "I called about order 3471234567 yesterday.",
        "call about invoice 4155550132 please",
        "created_at=1700000000 updated",
        "Call me on 12.05.2024 at noon.",
        "The total was 612 345 678 units.",
        "see 5500 0431 0141 5269 on the form",            // the tail of a card-like number
        "record 016549996 updated",                        // nine digits need a phone label
        "the build is 0431025335.2",                       // part of a dotted token
    ])
    func phoneNotFound(text: String) {
        #expect(!types(sharedPII, text).contains("PHONE"), "\(values(sharedPII, text))")
    }

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
