import Testing
@testable import KeelGuardrails

/// Phone numbers whose shape alone does not decide (local groups, runs of digits without a trunk
/// prefix): found with a label before them, after them or on the line above, or with a shape that
/// only phone numbers have (an extension, an area code in parentheses, hyphenated mixed groups);
/// and the numbers next to them that the same labels must not reach.
@Suite("PII detector: phone labels")
struct PIIPhoneLabelTests {
    @Test("a label before the number, or on the line above", arguments: [
        ("Tel: 0612345678", "0612345678"),
        ("Call me on 3471234567 tonight.", "3471234567"),
        ("fax 4155550132", "4155550132"),
        ("Mobile: 612 345 678", "612 345 678"),
        ("Phone (37) 788-063 after six", "(37) 788-063"),
        ("Büro 0662/2204146", "0662/2204146"),
        ("Contact: ann@example.org, phone 016549996", "016549996"),
        ("Cell: 609 141 777", "609 141 777"),
        ("Phone 91 41 77 76", "91 41 77 76"),
        ("Home: 706 69 07", "706 69 07"),
        ("Mobile: 13891417776", "13891417776"),
        ("Tel. 91417776", "91417776"),
        ("Fax 8914177", "8914177"),
        ("Direct line: 6944 399643", "6944 399643"),
        ("Office: 3533 7406", "3533 7406"),
        ("WhatsApp: (351) 969 141 777", "(351) 969 141 777"),
        ("Text me at 981 24 158 when you land.", "981 24 158"),
        ("Phone:\n467 3395", "467 3395"),
        ("Jane Roe\nAcme\nT 609 141 777\nM 91 41 77 76", "91 41 77 76"),
        ("Jane Roe | Acme\nOffice 609 141 777 | Mobile 91 41 77 76", "91 41 77 76"),
        ("Mobile: 737 219 628\nDesk: 5403926876\nRef: 12345678", "5403926876"),
    ])
    func before(text: String, value: String) { PIIPhoneFormatTests.found(text, value) }

    @Test("a label right after the number", arguments: [
        ("609 141 777 (mobile)", "609 141 777"),
        ("3533 7406 [home], or e-mail", "3533 7406"),
        ("5403926876-Fax", "5403926876"),
        ("085 175 7641-Office,3660170548-Fax", "3660170548"),
        ("I'm on 981 24 158 (landline) until six.", "981 24 158"),
        ("Anna: 91417776 mobile, anna@example.org", "91417776"),
    ])
    func after(text: String, value: String) { PIIPhoneFormatTests.found(text, value) }

    @Test("without a label, shapes only phone numbers have", arguments: [
        ("2106577681 ext. 8806 is the one", "2106577681 ext. 8806"),
        ("try 99218783 x7664 later", "99218783 x7664"),
        ("(351) 912345678 is on the form", "(351) 912345678"),
        ("Let me know at (642) 128-9270 or by e-mail.", "(642) 128-9270"),
        ("77-1033-3660 is on the form", "77-1033-3660"),
        ("The shop's number is 11 9791-7068, quote 12.", "11 9791-7068"),
        ("Use 44/817-3348 for this.", "44/817-3348"),
    ])
    func unlabelled(text: String, value: String) { PIIPhoneFormatTests.found(text, value) }

    @Test("numbers no phone label reaches, or labelled as something else", arguments: [
        "Your order #0612345678 has shipped.",
        "Order 3471234567 is ready for pickup.",
        "I called about order 3471234567 yesterday.",
        "call about invoice 4155550132 please",
        "created_at=1700000000 updated",
        "Call me on 12.05.2024 at noon.",
        "The total was 612 345 678 units.",
        "see 5500 0431 0141 5269 on the form",       // the tail of a card-like number
        "record 016549996 updated",                   // nine digits need a phone label
        "user 936184377 logged in",
        "The budget is 609 141 777 EUR.",             // an amount: no label
        "North 6665 637 371",                         // a table row: spaces only, no label
        "Steuernummer 37/364/35963",
        "NIP 123-456-32-18",                          // a tax number with its own label
        "Phone: none. Case 3471234567 is closed.",    // the label belongs to nothing
        "Fax me the form; 3471234567 is the account", // `;` ends the label's reach
        "I work from home 1234567 hours a year",      // a field name in a sentence is no label
    ])
    func notFound(text: String) {
        #expect(!types(sharedPII, text).contains("PHONE"), "\(values(sharedPII, text))")
    }

    @Test("a label right after one number is not the next number's")
    func labelBelongsToTheNearestNumber() {
        let text = "I'm reachable at 0612 345 678 (landline) until a population of 642 025 222."
        #expect(values(sharedPII, text) == ["0612 345 678"])
        let list = "0612 345 678 (mobile) until 2006-2019 and 609 141 777 visitors"
        #expect(values(sharedPII, list) == ["0612 345 678"])
    }
}
