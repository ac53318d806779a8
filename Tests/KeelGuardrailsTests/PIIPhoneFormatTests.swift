import Testing
@testable import KeelGuardrails

/// Phone formats that the generated evaluation data showed were missed: French numbers written in
/// pairs, German and Dutch subscriber numbers longer than four digits, area codes in parentheses
/// without a separator, and North American numbers followed by an extension.
@Suite("PII detector: phone formats")
struct PIIPhoneFormatTests {
    @Test("national and extension formats are found whole", arguments: [
        ("Phone: 02 48 10 66 58", "02 48 10 66 58"),
        ("appelez le 06 32 80 63 92 demain", "06 32 80 63 92"),
        ("Büro 030 1234567, bitte", "030 1234567"),
        ("Tel. (07408) 59411", "(07408) 59411"),
        ("ring 04278 53494 after six", "04278 53494"),
        ("office (0113) 4960962", "(0113) 4960962"),
        ("switchboard (020)74960676", "(020)74960676"),
        ("bel (023)-7108596", "(023)-7108596"),
        ("call 588-577-5916x0208 today", "588-577-5916x0208"),
        ("desk (381)261-8989x885", "(381)261-8989x885"),
        ("reach me at 415-555-0132 ext. 204 please", "415-555-0132 ext. 204"),
    ])
    func found(text: String, value: String) {
        let scan = ScanText(text)
        let findings = sharedPII.scan(scan)
        #expect(findings.contains { $0.type == "PHONE" && scan.text($0.range) == value }, "\(findings.map { "\($0.type):\(scan.text($0.range))" })")
    }

    @Test("look-alikes stay unreported", arguments: [
        "version 01 2 released",                 // too few digits for a national number
        "the range 0-100 and 200-300",
        "dated 415-555.0132x12",                 // mixed separators before the extension
        "(0009) 837149 is not an area code",      // no area code starts with 00
        "entered for the employee, 3707 481193 53934.", // a national number must start with its trunk 0
    ])
    func notFound(text: String) {
        #expect(!types(sharedPII, text).contains("PHONE"), "\(values(sharedPII, text))")
    }
}
