import Foundation

/// Checksums and format rules that turn pattern candidates into findings.
enum Checksums {
    /// The decimal digits of `bytes[range]`, ignoring everything else.
    static func digits(_ bytes: [UInt8], _ range: Range<Int>) -> [Int] {
        var digits: [Int] = []
        digits.reserveCapacity(range.count)
        for byte in bytes[range] where byte >= 0x30 && byte <= 0x39 { digits.append(Int(byte - 0x30)) }
        return digits
    }

    /// The Luhn (mod 10) check used by payment card numbers.
    static func luhn(_ digits: [Int]) -> Bool {
        guard digits.count >= 2 else { return false }
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            if offset % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    /// Whether a card number's leading digits belong to a card network (Visa, Mastercard, American
    /// Express, Discover, JCB, Diners Club, UnionPay, Maestro) and its length fits that network.
    /// JCB is taken in its whole 35 range (generators such as Faker draw from it; JCB itself issues
    /// 3528–3589) and with its older 15-digit 1800 and 2131 numbers; Maestro numbers (50, 56–58,
    /// 6304, 6390, 6759, 6761–6763) may have 12–19 digits.
    static func isPaymentCard(_ digits: [Int]) -> Bool {
        let count = digits.count
        guard (12...19).contains(count) else { return false }
        func prefix(_ n: Int) -> Int { digits.prefix(n).reduce(0) { $0 * 10 + $1 } }
        switch digits[0] {
        case 4: return count == 13 || count == 16 || count == 19
        case 3:
            let two = prefix(2)
            if two == 34 || two == 37 { return count == 15 }
            if two == 36 || two == 38 || (300...305).contains(prefix(3)) { return (14...19).contains(count) }
            if two == 35 { return (16...19).contains(count) }
            return false
        case 5:
            if (51...55).contains(prefix(2)) { return count == 16 }
            return prefix(2) == 50 || (56...58).contains(prefix(2)) ? (12...19).contains(count) : false
        case 2:
            if prefix(4) == 2131 { return count == 15 }
            return (2221...2720).contains(prefix(4)) && count == 16
        case 1: return prefix(4) == 1800 && count == 15
        case 6:
            if prefix(4) == 6011 || prefix(2) == 65 || (644...649).contains(prefix(3)) { return (16...19).contains(count) }
            if [6304, 6390, 6759, 6761, 6762, 6763].contains(prefix(4)) { return (12...19).contains(count) }
            if prefix(2) == 62 || prefix(2) == 67 || prefix(2) == 63 { return (16...19).contains(count) }
            return false
        default: return false
        }
    }

    /// US Social Security numbers as issued: area 001–899 except 666, group 01–99, serial
    /// 0001–9999, and not one of the numbers published in advertising (078-05-1120, 219-09-9999).
    static func isValidSSN(area: Int, group: Int, serial: Int) -> Bool {
        guard area > 0, area != 666, area < 900, group > 0, serial > 0 else { return false }
        if area == 78 && group == 5 && serial == 1120 { return false }
        if area == 219 && group == 9 && serial == 9999 { return false }
        if area == 123 && group == 45 && serial == 6789 { return false }
        return true
    }

    /// Whether nine digits are an SSN as issued (see ``isValidSSN(area:group:serial:)``).
    static func isValidSSN(_ digits: [Int]) -> Bool {
        guard digits.count == 9 else { return false }
        return isValidSSN(
            area: digits[0] * 100 + digits[1] * 10 + digits[2],
            group: digits[3] * 10 + digits[4],
            serial: digits[5] * 1000 + digits[6] * 100 + digits[7] * 10 + digits[8]
        )
    }

    /// US ITINs: 9XX-7X-XXXX and friends — group 50–65, 70–88, 90–92 or 94–99.
    static func isValidITIN(_ digits: [Int]) -> Bool {
        guard digits.count == 9, digits[0] == 9 else { return false }
        let group = digits[3] * 10 + digits[4]
        return (50...65).contains(group) || (70...88).contains(group) || (90...92).contains(group) || (94...99).contains(group)
    }

    /// The UK NHS number check digit (mod 11, weights 10…2).
    static func isValidNHS(_ digits: [Int]) -> Bool {
        guard digits.count == 10, Set(digits).count > 1 else { return false }
        var sum = 0
        for index in 0..<9 { sum += digits[index] * (10 - index) }
        var check = 11 - sum % 11
        if check == 11 { check = 0 }
        return check != 10 && check == digits[9]
    }

    /// IBAN lengths by country (ISO 13616 registry).
    static let ibanLengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
        "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
        "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
        "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
        "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
        "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
        "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
        "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    ]

    /// An IBAN (spaces allowed) with a registered country, the right length and a valid mod-97 check.
    static func isValidIBAN(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        var characters: [UInt8] = []
        for byte in bytes[range] where byte != UInt8(ascii: " ") {
            characters.append(byte >= 0x61 && byte <= 0x7A ? byte - 32 : byte)
        }
        guard characters.count >= 15 else { return false }
        let country = String(decoding: characters.prefix(2), as: UTF8.self)
        guard let length = ibanLengths[country], characters.count == length else { return false }
        var remainder = 0
        for byte in characters[4...] + characters[..<4] {
            if byte >= 0x30 && byte <= 0x39 {
                remainder = (remainder * 10 + Int(byte - 0x30)) % 97
            } else if byte >= 0x41 && byte <= 0x5A {
                remainder = (remainder * 100 + Int(byte - 0x41 + 10)) % 97
            } else {
                return false
            }
        }
        return remainder == 1
    }

    /// A dotted-quad IPv4 address with octets 0–255 and no leading zeros, not part of a longer dotted number.
    static func isValidIPv4(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        if range.lowerBound > 0, bytes[range.lowerBound - 1] == UInt8(ascii: ".") { return false }
        if range.upperBound + 1 < bytes.count, bytes[range.upperBound] == UInt8(ascii: "."),
           (0x30...0x39).contains(bytes[range.upperBound + 1]) { return false }
        let parts = bytes[range].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
            if part.count > 1, part.first == 0x30 { return false }
            guard Int(String(decoding: part, as: UTF8.self))! <= 255 else { return false }
        }
        return true
    }

    /// An IPv6 address in RFC 4291 text form (with at most one `::`, optionally an embedded IPv4 tail).
    static func isValidIPv6(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        let text = String(decoding: bytes[range], as: UTF8.self)
        guard text.contains(":") else { return false }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ part: String) -> [Substring]? {
            part.isEmpty ? [] : part.split(separator: ":", omittingEmptySubsequences: false)
        }
        guard let head = groups(halves[0]) else { return false }
        let tail = halves.count == 2 ? groups(halves[1]) ?? [] : []
        var all = head + tail
        var extra = 0
        if let last = all.last, last.contains(".") {
            guard isValidIPv4(Array(last.utf8), 0..<last.utf8.count) else { return false }
            all.removeLast()
            extra = 2
        }
        guard all.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(\.isHexDigit) }) else { return false }
        let total = all.count + extra
        if halves.count == 2 { return total <= 7 && total >= 1 }
        return total == 8
    }

    /// Shannon entropy in bits per character.
    static func entropy(_ bytes: ArraySlice<UInt8>) -> Double {
        guard !bytes.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for byte in bytes { counts[Int(byte)] += 1 }
        let total = Double(bytes.count)
        var entropy = 0.0
        for count in counts where count > 0 {
            let p = Double(count) / total
            entropy -= p * log2(p)
        }
        return entropy
    }
}
