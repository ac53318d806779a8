/// The `PHONE` rules of ``PIIDetector``.
///
/// A number's shape decides on its own when it can only be a phone number: a country code after `+`
/// or `00`, North American `(415) 555-0132`, or a national number with its trunk prefix
/// (`020 7946 0958`, `8 (812) 415-86-83`). Any other run or grouping of 7–12 digits (`612 345 678`,
/// `91 41 77 76`, `4155550132`) is a phone number only when a label says so, before it (`Tel.`,
/// `call me on`, `Office:`, `Phone:` on the line above) or right after it (`(mobile)`, `-Fax`).
/// A number labelled as an order, invoice, account… number never is one. Every form may end in an
/// extension (`x204`, `ext. 12`), which is part of the finding.
extension PIIDetector {
    /// Words that label a phone number anywhere in the few words before it, or as the first word after it.
    static let phoneWords = [
        "phone", "phone number", "telephone", "tel", "ph", "mobile", "mob", "cell", "cellphone", "call", "fax",
        "whatsapp", "sms", "text me", "contact", "reach", "dial", "ring", "landline", "hotline", "switchboard", "direct line",
        "telefon", "telefono", "teléfono", "téléphone", "tél", "telefone", "telefoon", "puhelin", "handy",
        "cellulare", "móvil", "movil", "celular", "portable", "tlf", "tfn",
    ]
    /// Words that label a phone number only right next to it, as the name of a contact field.
    static let phoneFieldWords = [
        "office", "desk", "home", "work", "direct", "main", "private", "business", "personal", "daytime", "evening",
        "t", "m", "p", "f", "h", "w", "o",
    ]
    static let phoneLabels = NumberContext(phoneWords, fieldWords: phoneFieldWords, window: 32)

    /// Whether a phone label is next to `range` (before it, or right after it) and no identifier label is.
    static func isPhoneLabelled(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        phoneLabels.label(bytes, range, trailing: .adjacent) == .context
    }

    /// Whether the number at `range` is one part of a longer token (a UUID, a path, a version), where
    /// a label joined to it (`0510-702566-Office`) does not make it longer.
    static func isInsideLongerToken(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        guard Checksums.isInsideLongerToken(bytes, range) else { return false }
        if range.lowerBound >= 2, [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "_")].contains(bytes[range.lowerBound - 1]),
           EntityScanner.isWordByte(bytes[range.lowerBound - 2]) { return true }
        return phoneLabels.trailingLabel(bytes, range, .adjacent) != .context
    }

    /// An optional extension, part of every phone expression.
    static let phoneExtension = #"(?:,? ?\(?(?:[xX]|[eE][xX][tT]\.? ?)[0-9]{1,6}\)?)?"#

    static let phoneRules: [EntityRule] = [
        // International: `+CC`, `(+CC)` or `00CC`, then 4–13 more digits in groups, with an optional
        // `(0)` for the trunk prefix that is dropped when dialling from abroad.
        EntityRule(
            type: "PHONE",
            expression: #"(?:\(\+[1-9][0-9]{0,2}\)|\+[1-9][0-9]{0,2}|00[1-9][0-9]{0,2})[ .\-]?(?:\(0\)[ .\-]?)?(?:\(?[0-9]{1,5}\)?[ .\-/]?){1,5}[0-9]{2,5}"# + phoneExtension,
            score: 0.85, context: phoneWords, contextScore: 0.95,
            wordBoundary: false,
            validate: { bytes, range in
                if range.lowerBound > 0, EntityScanner.isWordByte(bytes[range.lowerBound - 1]) || bytes[range.lowerBound - 1] == UInt8(ascii: "+") { return nil }
                if range.upperBound < bytes.count, EntityScanner.isWordByte(bytes[range.upperBound]) { return nil }
                guard !PhoneNumbers.continuesDigitGroups(bytes, range), !PhoneNumbers.continuesToTheRight(bytes, range),
                      (8...21).contains(PhoneNumbers.digitCount(bytes, range)),
                      let number = PhoneNumbers.withoutExtension(bytes, range), PhoneNumbers.isDigit(bytes[number.upperBound - 1]) else { return nil }
                // The digits after `+` / `00`, without a `(0)` trunk prefix.
                var digits: [Int] = []
                var index = number.lowerBound
                while index < number.upperBound {
                    if bytes[index] == UInt8(ascii: "("), index + 2 < number.upperBound, bytes[index + 1] == UInt8(ascii: "0"), bytes[index + 2] == UInt8(ascii: ")") {
                        index += 3
                        continue
                    }
                    if PhoneNumbers.isDigit(bytes[index]) { digits.append(Int(bytes[index] - 0x30)) }
                    index += 1
                }
                // Candidates may start at any match start of a region, so the prefix is checked here.
                var prefix = bytes[range.lowerBound] == UInt8(ascii: "(") ? range.lowerBound + 1 : range.lowerBound
                if bytes[prefix] == UInt8(ascii: "+") {
                    prefix += 1
                } else {
                    guard prefix + 1 < range.upperBound, bytes[prefix] == UInt8(ascii: "0"), bytes[prefix + 1] == UInt8(ascii: "0") else { return nil }
                    digits.removeFirst(2)
                }
                guard PhoneNumbers.isDigit(bytes[prefix]) else { return nil }
                guard let code = PhoneNumbers.countryCodeLength(digits[...]), (4...13).contains(digits.count - code),
                      (8...15).contains(digits.count) else { return nil }
                guard PhoneNumbers.Shape(bytes, number).hasCoherentSeparators, !isInsideLongerToken(bytes, range) else { return nil }
                return range
            }
        ),
        // North American: (415) 555-0132, 415-555-0132, 415.555.0132, 1-415-555-0132.
        EntityRule(
            type: "PHONE",
            expression: #"(?:1[ .\-])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .\-])[2-9][0-9]{2}[ .\-][0-9]{4}"# + phoneExtension,
            score: 0.7, context: phoneWords, contextScore: 0.95,
            tokenStarts: true,
            validate: { bytes, range in
                guard !PhoneNumbers.continuesDigitGroups(bytes, range), !PhoneNumbers.continuesToTheRight(bytes, range),
                      let number = PhoneNumbers.withoutExtension(bytes, range) else { return nil }
                let digits = Checksums.digits(bytes, number)
                guard digits.count == 10 || (digits.count == 11 && digits[0] == 1) else { return nil }
                // Separators must be consistent (415-555-0132, not a date-like 415-555.0132).
                var separator: UInt8?
                for byte in bytes[number] where byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") {
                    if let seen = separator, seen != byte { return nil }
                    separator = byte
                }
                return isInsideLongerToken(bytes, range) ? nil : range
            }
        ),
        // National numbers with their trunk prefix, in groups: UK 020 7946 0958 / (0113) 4960962,
        // FR 01 23 45 67 89, DE 030 1234567 / 0662/2204146, SE 08-170 669 07, HU (06)91/417-7763,
        // RU 8 (812) 415-86-83 / 8 812 415 86 83. The expression starts at the byte before the number
        // (a trunk 0 inside a longer number, `70123 456`, is no start, and Vectorscan need not report
        // it); candidates start at the number's first token.
        EntityRule(
            type: "PHONE",
            expression: #"(?:^|[^0-9])(?:\(0[1-9][0-9]{0,4}\)[ .\-/]?|0[1-9][0-9]{0,4}[ .\-/]{1,2}|8[ \-]?\([0-9]{3,5}\)[ \-]?|8[ \-][0-9]{3}[ \-])[0-9]{1,10}(?:[ .\-/][0-9]{2,8}){0,4}"# + phoneExtension,
            score: 0.6, context: phoneWords + ["number"], contextScore: 0.9,
            tokenStarts: true,
            validate: { bytes, range in
                guard !PhoneNumbers.continuesDigitGroups(bytes, range), !PhoneNumbers.continuesToTheRight(bytes, range),
                      (8...19).contains(PhoneNumbers.digitCount(bytes, range)), let number = PhoneNumbers.withoutExtension(bytes, range) else { return nil }
                // Candidates may start at any token of a matched region, so the trunk prefix is checked
                // here: "0" then a non-zero digit, optionally after "(", or "8" before an area code.
                let first = bytes[number.lowerBound] == UInt8(ascii: "(") ? number.lowerBound + 1 : number.lowerBound
                guard first + 1 < number.upperBound else { return nil }
                let shape = PhoneNumbers.Shape(bytes, number)
                guard shape.groups.count >= 2, !shape.isSSN, !shape.endsInOneDigit else { return nil }
                if bytes[first] == UInt8(ascii: "8") {
                    guard shape.groups[0] == 1, shape.digits.count == 11 else { return nil }
                } else {
                    guard bytes[first] == UInt8(ascii: "0"), (0x31...0x39).contains(bytes[first + 1]) else { return nil }
                    // Nine to thirteen digits (AT 0662 59879 926); eight when written in four or more
                    // groups (SE 08-89 91 39).
                    guard (shape.groups.count >= 4 ? 8 : 9)...13 ~= shape.digits.count else { return nil }
                }
                guard !shape.isDateOrRange, shape.hasCoherentSeparators, !isInsideLongerToken(bytes, range) else { return nil }
                // Groups of one length need a label (`0963-5454-5177` may be a key or a code).
                return !shape.isCodeLike || isPhoneLabelled(bytes, range) ? range : nil
            }
        ),
        // National numbers without separators, with their trunk 0 (020 7946 0958 as 02079460958,
        // 06 12 34 56 78 as 0612345678): ten or eleven digits stand alone; nine need a label.
        EntityRule(
            type: "PHONE",
            expression: #"0[1-9][0-9]{7,9}"# + phoneExtension,
            score: 0.6, context: phoneWords, contextScore: 0.9,
            validate: { bytes, range in
                guard let number = PhoneNumbers.withoutExtension(bytes, range), (9...11).contains(number.count),
                      bytes[number].allSatisfy(PhoneNumbers.isDigit), bytes[number.lowerBound] == UInt8(ascii: "0"),
                      !isInsideLongerToken(bytes, range) else { return nil }
                let label = phoneLabels.label(bytes, range, trailing: .adjacent)
                guard label != .identifier, number.count >= 10 || label == .context else { return nil }
                return range
            }
        ),
        // Any run of 7–11 digits (a North American 4155550132, an Italian mobile 3471234567, a
        // Norwegian 91417776, a New Zealand local 8914177) with a phone label or an extension.
        EntityRule(
            type: "PHONE",
            expression: #"[0-9]{7,11}"# + phoneExtension,
            score: 0.55,
            validate: { bytes, range in
                guard let number = PhoneNumbers.withoutExtension(bytes, range), (7...11).contains(number.count),
                      bytes[number].allSatisfy(PhoneNumbers.isDigit), !isInsideLongerToken(bytes, range) else { return nil }
                switch phoneLabels.label(bytes, range, trailing: .adjacent) {
                case .context: return range
                case .none: return number != range ? range : nil
                case .identifier: return nil
                }
            }
        ),
        // Numbers in groups without a trunk prefix or country code (612 345 678, 91 41 77 76,
        // (37) 788-063, 12 3915-0008, 15/000 8063), 7–12 digits: with a phone label; without one, when
        // the shape says it: an extension, an area code in parentheses (`(351) 912345678`), or
        // groups as phone numbers are written and amounts, dates, lists and table rows are not
        // (`77-1033-3660`, `11 9791-7068`; see ``PhoneNumbers/Shape/isPhoneGrouping``). These two
        // rules score below the format rules above, so that where both match, the stricter format's
        // bounds win.
        EntityRule(
            type: "PHONE",
            expression: #"(?:(?:[18][ \-]?)?\([0-9]{1,5}\)[ .\-/]?[0-9]{2,10}(?:[ .\-/][0-9]{1,8}){0,3}|[0-9]{1,5}(?:[ .\-/][0-9]{1,4}){0,3}[ .\-/][0-9]{2,8})"# + phoneExtension,
            score: 0.55,
            tokenStarts: true,
            validate: { bytes, range in
                guard !PhoneNumbers.continuesDigitGroups(bytes, range), !PhoneNumbers.continuesToTheRight(bytes, range),
                      (7...18).contains(PhoneNumbers.digitCount(bytes, range)), let number = PhoneNumbers.withoutExtension(bytes, range),
                      PhoneNumbers.isDigit(bytes[number.lowerBound]) || bytes[number.lowerBound] == UInt8(ascii: "(") else { return nil }
                let shape = PhoneNumbers.Shape(bytes, number)
                guard shape.groups.count >= 2, (7...12).contains(shape.digits.count), !shape.isDateOrRange, !shape.isSSN, !shape.endsInOneDigit,
                      shape.hasCoherentSeparators, !isInsideLongerToken(bytes, range) else { return nil }
                switch phoneLabels.label(bytes, range, trailing: .adjacent) {
                case .context: return range
                case .none: return !shape.isCodeLike && (number != range || shape.hasAreaCodeInParentheses || shape.isPhoneGrouping) ? range : nil
                case .identifier: return nil
                }
            }
        ),
    ]
}
