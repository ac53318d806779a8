import Testing
@testable import KeelGuardrails
import KeelTestSupport

/// The shared detector: compiling the database once keeps the suite fast.
let sharedPII = try! PIIDetector()

func types(_ detector: any Detector, _ text: String) -> [String] {
    detector.scan(ScanText(text)).map(\.type)
}

func values(_ detector: any Detector, _ text: String) -> [String] {
    let scan = ScanText(text)
    return detector.scan(scan).map { scan.text($0.range) }
}

@Suite("PII detector")
struct PIIDetectorTests {
    @Test("positive cases: the exact value is found with its type", arguments: [
        ("Write to jane.doe+news@example.co.uk today.", "EMAIL", "jane.doe+news@example.co.uk"),
        ("Contact: bavramenko@zasukha.укр", "EMAIL", "bavramenko@zasukha.укр"),
        ("пишіть на info@пошта.укр, будь ласка", "EMAIL", "info@пошта.укр"),
        ("mail hans@müller-bau.de now", "EMAIL", "hans@müller-bau.de"),
        ("请联系john@example.com获取报告", "EMAIL", "john@example.com"),
        ("メールはtaro.yamada@example.co.jpです", "EMAIL", "taro.yamada@example.co.jp"),
        ("mail:.jo@example.org now", "EMAIL", "jo@example.org"),
        ("Call me on +44 20 7946 0958.", "PHONE", "+44 20 7946 0958"),
        ("Reach me at +1 (415) 555-0132 after 5", "PHONE", "+1 (415) 555-0132"),
        ("office: (415) 555-0132", "PHONE", "(415) 555-0132"),
        ("phone 020 7946 0958 (London)", "PHONE", "020 7946 0958"),
        ("His SSN is 536-90-4399.", "US_SSN", "536-90-4399"),
        ("ssn: 536904399", "US_SSN", "536904399"),
        ("card 4111 1111 1111 1111 exp 12/29", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("paid with 5500-0000-0000-0004", "CREDIT_CARD", "5500-0000-0000-0004"),
        ("amex 378282246310005", "CREDIT_CARD", "378282246310005"),
        ("order 12 4111111111111111", "CREDIT_CARD", "4111111111111111"),
        ("IBAN: GB82 WEST 1234 5698 7654 32", "IBAN", "GB82 WEST 1234 5698 7654 32"),
        ("send to DE89370400440532013000 please", "IBAN", "DE89370400440532013000"),
        ("server at 192.168.10.254 is down", "IP_ADDRESS", "192.168.10.254"),
        ("v6 host 2001:db8::8a2e:370:7334 answers", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("Date of birth: 04/12/1985", "DATE_OF_BIRTH", "04/12/1985"),
        ("she was born on 12 March 1980 in Leeds", "DATE_OF_BIRTH", "12 March 1980"),
        ("passport number 912803456", "US_PASSPORT", "912803456"),
        ("driver's license: D1234567", "US_DRIVER_LICENSE", "D1234567"),
        ("ITIN 912-70-1234 on file", "US_ITIN", "912-70-1234"),
        ("ITIN 912 70 1234 on file", "US_ITIN", "912 70 1234"),
        ("NHS number 943 476 5919", "UK_NHS", "943 476 5919"),
        ("NI number AB 12 34 56 C", "UK_NINO", "AB 12 34 56 C"),
        ("MRN: 00482913", "MEDICAL_RECORD_NUMBER", "00482913"),
        ("Patient MRN 7734-221 at St Mary's", "MEDICAL_RECORD_NUMBER", "7734-221"),
        ("member id XJH4829103", "HEALTH_PLAN_NUMBER", "XJH4829103"),
        ("Medicare 1EG4-TE5-MK73", "HEALTH_PLAN_NUMBER", "1EG4-TE5-MK73"),
    ])
    func positive(text: String, type: String, value: String) {
        let scan = ScanText(text)
        let findings = sharedPII.scan(scan)
        #expect(findings.contains { $0.type == type && scan.text($0.range) == value }, "\(findings.map { "\($0.type):\(scan.text($0.range))" })")
    }

    @Test("hard negatives: look-alikes that fail validation", arguments: [
        "order number 4111 1111 1111 1112 shipped",        // fails Luhn
        "tracking 1234567812345678",                       // fails Luhn
        "ssn 000-12-3456", "ssn 666-12-3456", "ssn 912-34-5678", "ssn 536-00-4399", "ssn 536-90-0000",
        "the sample 078-05-1120 from the wallet card",
        "version 1.2.3.4.5 released",                      // dotted number, not an address
        "address 300.168.1.1",                             // octet out of range
        "meeting at 12:30:45 today",                       // a time, not IPv6
        "the invoice date is 04/12/1985",                  // a date without birth context
        "GB82 WEST 1234 5698 7654 33",                     // bad IBAN check digits
        "build 123456789 passed",                          // nine digits without SSN context
        "ignore the previous typo, I meant 2023-01-15",
        "ni number QQ 12 34 56 C",                         // QQ is never issued
        "ship to Folsom, CA 95762-1234",                   // a ZIP+4, not an ITIN with one separator
    ])
    func negative(text: String) {
        #expect(types(sharedPII, text).isEmpty, "\(values(sharedPII, text)) in \(text)")
    }

    @Test("an NHS-shaped number with a bad check digit is not an NHS number")
    func nhsCheckDigit() {
        #expect(!types(sharedPII, "NHS number 943 476 5918").contains("UK_NHS"))
        #expect(types(sharedPII, "NHS number 943 476 5919").contains("UK_NHS"))
    }

    @Test("offsets are UTF-8 bytes and Unicode code points")
    func offsets() {
        let text = "héllo 😀 mail bob@example.com"
        let scan = ScanText(text)
        let finding = try! #require(sharedPII.scan(scan).first)
        #expect(finding.type == "EMAIL")
        let codePoints = Array(text.unicodeScalars)
        #expect(String(String.UnicodeScalarView(codePoints[finding.codePointRange])) == "bob@example.com")
        #expect(finding.codePointRange == 13..<28)
        #expect(finding.range == 17..<32)
    }

    @Test("custom entities and type selection")
    func custom() throws {
        let detector = try PIIDetector(types: ["EMAIL", "EMPLOYEE_ID", "CASE_ID"], customEntities: [
            .init(type: "EMPLOYEE_ID", pattern: "EMP-[0-9]{6}"),
            .init(type: "CASE_ID", pattern: "[0-9]{7}", context: ["case"]),
        ])
        let filler = String(repeating: "and then some more words ", count: 3)
        #expect(types(detector, "EMP-123456 wrote a@b.io; case 1234567; \(filler) 7654321") == ["EMPLOYEE_ID", "EMAIL", "CASE_ID"])
        #expect(types(detector, "call 415-555-0132") == [])
        #expect(throws: PatternError.self) { try PIIDetector(customEntities: [.init(type: "BAD", pattern: "(unclosed")]) }
    }
}

@Suite("PII detector on adversarial input")
struct PIIAdversarialTests {
    @Test("64 KB of digits yields no findings, and a card after it is still found")
    func longDigitRuns() {
        let run = String(repeating: "1", count: 65_536)
        #expect(sharedPII.scan(ScanText(run)).isEmpty)
        let text = run + " then card 4111 1111 1111 1111"
        #expect(values(sharedPII, text).contains("4111 1111 1111 1111"))
        let spaced = String(repeating: "4111 ", count: 4_000) + "x"
        #expect(!types(sharedPII, spaced).contains("US_SSN"))
    }

    // Found by fuzz/ (FuzzGuardrails): a candidate joins the start of one e-mail match with the end
    // of an overlapping one, and the validator assumed the span held an `@`; the process trapped.
    @Test("overlapping e-mail matches whose joined span lacks an @ are rejected, not a crash", arguments: [
        "john.doe@examp\u{FFFD}.doe@example.com",
        "Contact john\u{FFFD}\u{FFFD}.doe@examp\u{FFFD}\u{FFFD}.doe@example.co23-45-6789",
        "Gon.dot john/.doe@example.com\u{6A0}\u{34F}.doe@example.com\u{6A0}\u{34F}+4111 1111 1111 C111.",
    ])
    func overlappingEmails(text: String) {
        let found = values(sharedPII, text)
        #expect(found.contains { $0.contains("@") && !$0.hasPrefix(".") })
    }

    @Test("a long run that matches a rule everywhere does not use up the checks of the entities after it")
    func budgetPerRegion() {
        let colons = String(repeating: ":", count: 400)
        #expect(values(sharedPII, colons + " then IP 19::72.168.1.1 here").contains("19::72.168.1.1"))
        let spaced = String(repeating: "4111 ", count: 2_000)
        #expect(values(sharedPII, spaced + "x. Card 5500-0000-0000-0004.").contains("5500-0000-0000-0004"))
    }

    @Test("thousands of entities among thousands of context words are all found with their context score")
    func manyContextWords() {
        let text = String(repeating: "ssn 536-90-4399, ", count: 3_000)
        let found = sharedPII.scan(ScanText(text)).filter { $0.type == "US_SSN" }
        #expect(found.count == 3_000)
        #expect(found.allSatisfy { $0.score == 0.95 })
    }
}

@Suite("Overlap resolution")
struct OverlapResolutionTests {
    @Test("keepNonOverlapping keeps what a pairwise check keeps, in rank order")
    func matchesPairwise() {
        var generator = SeededGenerator(seed: 0x0DD5)
        for _ in 0..<200 {
            let ranked = (0..<Int.random(in: 0...60, using: &generator)).map { _ in
                let start = Int.random(in: 0...100, using: &generator)
                return start..<(start + Int.random(in: 0...12, using: &generator))
            }
            var pairwise: [Range<Int>] = []
            for range in ranked where !pairwise.contains(where: { $0.overlaps(range) }) { pairwise.append(range) }
            #expect(keepNonOverlapping(ranked) { $0 } == pairwise)
        }
    }
}
