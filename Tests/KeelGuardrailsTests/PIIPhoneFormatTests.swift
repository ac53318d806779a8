import Testing
@testable import KeelGuardrails

/// Phone numbers whose shape alone makes them phone numbers, one family of formats at a time:
/// international (`+CC`, `(+CC)`, `00CC`), North American, national with a trunk prefix (`0`, or
/// `8` as in Russia), each optionally with an extension; and look-alikes that must stay unreported.
@Suite("PII detector: phone formats")
struct PIIPhoneFormatTests {
    static func found(_ text: String, _ value: String) {
        let scan = ScanText(text)
        let findings = sharedPII.scan(scan)
        #expect(findings.contains { $0.type == "PHONE" && scan.text($0.range) == value }, "\(findings.map { "\($0.type):\(scan.text($0.range))" })")
    }

    @Test("international numbers are found whole", arguments: [
        ("Reach me on +7 (914) 177-76-31 tonight", "+7 (914) 177-76-31"),
        ("Büro +49 (0) 30 1234567", "+49 (0) 30 1234567"),
        ("from abroad 0044 20 7946 0958", "0044 20 7946 0958"),
        ("mobil 00420 702 914 177", "00420 702 914 177"),
        ("(+30) 2439 150008 is the office", "(+30) 2439 150008"),
        ("+61.437.406.812 after five", "+61.437.406.812"),
        ("+1-780-563-6083x7783 for sales", "+1-780-563-6083x7783"),
        ("+44(0)115 4960914.", "+44(0)115 4960914"),
    ])
    func international(text: String, value: String) { Self.found(text, value) }

    @Test("North American numbers are found whole, with extensions", arguments: [
        ("office: (415) 555-0132", "(415) 555-0132"),
        ("call 588-577-5916x0208 today", "588-577-5916x0208"),
        ("desk (381)261-8989x885", "(381)261-8989x885"),
        ("reach me at 415-555-0132 ext. 204 please", "415-555-0132 ext. 204"),
        ("the line is 1 (786) 834-4978 now", "1 (786) 834-4978"),
        ("It is 206.269.0743, Ext. 12, I think", "206.269.0743, Ext. 12"),
    ])
    func northAmerican(text: String, value: String) { Self.found(text, value) }

    @Test("national numbers with a trunk prefix are found whole", arguments: [
        ("Phone: 02 48 10 66 58", "02 48 10 66 58"),
        ("appelez le 06 32 80 63 92 demain", "06 32 80 63 92"),
        ("Büro 030 1234567, bitte", "030 1234567"),
        ("Tel. (07408) 59411", "(07408) 59411"),
        ("ring 04278 53494 after six", "04278 53494"),
        ("office (0113) 4960962", "(0113) 4960962"),
        ("switchboard (020)74960676", "(020)74960676"),
        ("bel (023)-7108596", "(023)-7108596"),
        ("ask at 08-170 669 07 for the keys", "08-170 669 07"),
        ("it is (06)91/417-7763 now", "(06)91/417-7763"),
        ("write 06-3/740 6812 down", "06-3/740 6812"),
        ("zvonite 8 (812) 415-86-83", "8 (812) 415-86-83"),
        ("or 8 812 415 86 83 instead", "8 812 415 86 83"),
        ("Durchwahl 0662 59879 926 bitte", "0662 59879 926"),
        ("the clinic, 03-5736-819, opens at nine", "03-5736-819"),
        ("keitai 090-1234-5678 desu", "090-1234-5678"),
        ("old number 0753 631 706 x42", "0753 631 706 x42"),
        ("the shop is on 02079460958, ask for Sam", "02079460958"),
    ])
    func national(text: String, value: String) { Self.found(text, value) }

    @Test("look-alikes stay unreported", arguments: [
        "version 01 2 released",                 // too few digits for a national number
        "the range 0-100 and 200-300",
        "dated 415-555.0132x12",                 // mixed separators before the extension
        "(0009) 837149 is not an area code",      // no area code starts with 00
        "entered for the employee, 3707 481193 53934.", // a national number must start with its trunk 0
        "(+69) 5 069 920 57",                    // +69 is no country code
        "key 0963-5454-5177",                    // groups of one length: a code
        "The winning numbers were 01 04 28 46 32 31.", // more pairs than a national number has
        "in Windows 10.0.19045.3570",
        "ISBN 0-306-40615-2",
        "logged 2024-05-12 10:30 and 12/05/2024 11:30",
        "from 2006-2019, open 0900-1700",
        "the build is 0431025335.2",
        "request 4424-0036-8428-8814 shipped",    // `0036…` is a group of a longer number, not 00 + 36
        "Compute 1234567 x 3",                   // multiplication, not an extension
        "536-90-4399 is an SSN",
    ])
    func notFound(text: String) {
        #expect(!types(sharedPII, text).contains("PHONE"), "\(values(sharedPII, text))")
    }
}
