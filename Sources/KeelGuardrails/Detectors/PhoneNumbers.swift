/// How phone numbers are written, as far as telling them apart from other numbers needs: the
/// country codes of the international numbering plan (ITU-T E.164), trunk prefixes, extensions, and
/// the digit groupings that belong to quantities, dates and addresses rather than to phone numbers.
enum PhoneNumbers {
    /// The country codes assigned in E.164 (including the shared codes for global services). They
    /// form a prefix-free code: no code is the beginning of another, so a number's code is found by
    /// reading one, two, then three digits.
    static let countryCodes: Set<Int> = {
        var codes: Set<Int> = [
            1, 7,
            20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49,
            51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86,
            90, 91, 92, 93, 94, 95, 98,
            211, 212, 213, 216, 218, 290, 291, 297, 298, 299,
            420, 421, 423, 670, 800, 808, 850, 852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888,
            979,
        ]
        codes.formUnion(220...258)
        codes.formUnion(260...269)
        codes.formUnion(350...359)
        codes.formUnion([370, 371, 372, 373, 374, 375, 376, 377, 378, 379, 380, 381, 382, 383, 385, 386, 387, 389])
        codes.formUnion(500...509)
        codes.formUnion(590...599)
        codes.formUnion([672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692])
        codes.formUnion(960...968)
        codes.formUnion(970...977)
        codes.formUnion([992, 993, 994, 995, 996, 998])
        return codes
    }()

    /// The number of digits of the country code that `digits` start with, if they start with one.
    static func countryCodeLength(_ digits: ArraySlice<Int>) -> Int? {
        var code = 0
        for (length, digit) in digits.prefix(3).enumerated() {
            code = code * 10 + digit
            if countryCodes.contains(code) { return length + 1 }
        }
        return nil
    }

    /// `range` without an extension at its end (`x204`, ` ext. 12`, `, Ext. 4410`, ` (ext. 12)`), or
    /// `range` itself when it has none. Nil when what precedes the extension is empty.
    static func withoutExtension(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int>? {
        var end = range.upperBound
        let closed = end > range.lowerBound && bytes[end - 1] == UInt8(ascii: ")")
        if closed { end -= 1 }
        let digitsEnd = end
        while end > range.lowerBound, isDigit(bytes[end - 1]) { end -= 1 }
        guard end < digitsEnd, end > range.lowerBound else { return closed ? nil : range }
        if bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
        var marker = end
        if marker > range.lowerBound, bytes[marker - 1] == UInt8(ascii: ".") { marker -= 1 }
        if marker - 3 >= range.lowerBound, String(decoding: bytes[(marker - 3)..<marker], as: UTF8.self).lowercased() == "ext" {
            end = marker - 3
        } else if marker == end, marker > range.lowerBound, bytes[marker - 1] | 0x20 == UInt8(ascii: "x") {
            end = marker - 1
        } else {
            return closed ? nil : range
        }
        let opened = end > range.lowerBound && bytes[end - 1] == UInt8(ascii: "(")
        guard opened == closed else { return nil }
        if opened { end -= 1 }
        while end > range.lowerBound, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: ",") { end -= 1 }
        return end > range.lowerBound && isDigit(bytes[end - 1]) ? range.lowerBound..<end : nil
    }

    /// A candidate number taken apart into digit groups (an area code in parentheses is one group).
    struct Shape {
        /// Every digit, in order.
        var digits: [Int] = []
        /// The number of digits in each group.
        var groups: [Int] = []
        /// The value of each group.
        var values: [Int] = []
        /// The separators between groups (as many as `groups` minus one; a run such as `) ` or `-/`
        /// counts by its first byte).
        var separators: [UInt8] = []
        /// Whether a group is in parentheses.
        var bracketed = false
        /// The index of the first group in parentheses.
        var bracketedGroup: Int? = nil

        init(_ bytes: [UInt8], _ range: Range<Int>) {
            var inGroup = false
            var pendingSeparator: UInt8? = nil
            var previous: UInt8 = 0
            for byte in bytes[range] {
                defer { previous = byte }
                if PhoneNumbers.isDigit(byte) {
                    let digit = Int(byte - 0x30)
                    digits.append(digit)
                    if inGroup {
                        groups[groups.count - 1] += 1
                        values[values.count - 1] = values[values.count - 1] &* 10 &+ digit
                    } else {
                        if bracketedGroup == nil, previous == UInt8(ascii: "(") { bracketedGroup = groups.count }
                        if let separator = pendingSeparator, !groups.isEmpty { separators.append(separator) }
                        groups.append(1)
                        values.append(digit)
                        inGroup = true
                        pendingSeparator = nil
                    }
                } else {
                    if byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") { bracketed = true }
                    if inGroup || pendingSeparator == nil { pendingSeparator = byte }
                    inGroup = false
                }
            }
        }

        /// Grouped like an amount or a count: `1 234 567`, `12.345.678`, `942 156 000` — one kind of
        /// space, dot or comma separator, a first group of one to three digits, then groups of three.
        var isThousands: Bool {
            guard groups.count >= 2, !bracketed, let first = separators.first,
                  [UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: ",")].contains(first),
                  separators.allSatisfy({ $0 == first }) else { return false }
            return (1...3).contains(groups[0]) && groups.dropFirst().allSatisfy { $0 == 3 }
        }

        /// A date (`12 05 2024`, `2024-05-12`, also followed by the hour: `2024-05-12 10`), a range of
        /// years (`2006-2019`) or of times (`0900-1700`), or a dotted quad (an IP address or version).
        var isDateOrRange: Bool {
            if groups.count >= 3 {
                func year(_ index: Int) -> Bool { groups[index] == 4 && (1900...2099).contains(values[index]) }
                let short = groups[1] <= 2 && values[1] <= 31
                if year(0), short, groups[2] <= 2, values[2] <= 31 { return true }
                if year(2), short, groups[0] <= 2, values[0] <= 31 { return true }
            }
            if groups == [4, 4] {
                if values.allSatisfy({ (1900...2099).contains($0) }) { return true }
                if values.allSatisfy({ $0 / 100 <= 24 && $0 % 100 < 60 }) { return true }
            }
            return groups.count == 4 && separators.allSatisfy { $0 == UInt8(ascii: ".") } && groups.allSatisfy { $0 <= 3 }
        }

        /// Grouped as phone numbers are, and amounts, dates, lists, table rows and codes are not:
        /// three or more groups of two to five digits, not all of one length (an area code, then the
        /// subscriber number in twos, threes or fours), eight to twelve digits, joined by hyphens (or
        /// spaces and hyphens), or with a slash after the area code — `77-1033-3660`, `11 9791-7068`,
        /// `44/817-3348`. Numbers that only spaces separate (`6945 118 455`) could as well be a row of
        /// a table, and need a label.
        var isPhoneGrouping: Bool {
            guard groups.count >= 3, (8...12).contains(digits.count), !bracketed,
                  groups.allSatisfy({ (2...5).contains($0) }), Set(groups).count > 1 else { return false }
            let slashes = separators.indices.filter { separators[$0] == UInt8(ascii: "/") }
            guard !separators.contains(UInt8(ascii: ".")), slashes.isEmpty || slashes == [0],
                  separators.contains(UInt8(ascii: "-")) || slashes == [0] else { return false }
            return !isThousands && !isDateOrRange && !isSSN
        }

        /// Groups of one length, as codes are written (`0963-5454-5177`), or pairs beyond the ten
        /// digits of a French-style number (`01 04 28 46 32 31`, a list of numbers).
        var isCodeLike: Bool {
            if groups.count >= 3, Set(groups).count == 1, groups[0] >= 4 { return true }
            if groups.count >= 4, groups.allSatisfy({ $0 == 2 }) {
                let marked = separators.count > 1 && separators[0] != separators[1]
                return !(digits.count == 10 || (digits.count == 8 && marked))
            }
            return false
        }

        /// An area or country code of two to five digits in parentheses, first, then eight to twelve
        /// digits in all: `(351) 912345678`, `(642) 128-9270`, `1 (786) 834-4978`. Not a year (`(2019)`).
        var hasAreaCodeInParentheses: Bool {
            guard let index = bracketedGroup, index == 0 || (index == 1 && groups[0] == 1), (2...5).contains(groups[index]),
                  !(groups[index] == 4 && (1900...2099).contains(values[index])) else { return false }
            // No area code starts with 00 (the international prefix).
            var power = 1
            for _ in 0..<(groups[index] - 2) { power *= 10 }
            guard values[index] >= power else { return false }
            return (8...12).contains(digits.count) && groups.count > index + 1
        }

        /// Ends in a single digit, as a decimal (`0431025335.2`) or an ISBN does and a phone number
        /// does not.
        var endsInOneDigit: Bool { groups.count > 1 && groups[groups.count - 1] == 1 }

        /// Grouped like a US Social Security number: `536-90-4399`, `536 90 4399`.
        var isSSN: Bool {
            groups == [3, 2, 4] && !bracketed && separators[0] == separators[1]
                && (separators[0] == UInt8(ascii: "-") || separators[0] == UInt8(ascii: " "))
        }

        /// Separators a writer of a phone number would use together: a dot only with other dots
        /// (`12.05.2024 10` is a date and a time), other kinds mixed as in `06-3/740 6812`.
        var hasCoherentSeparators: Bool {
            let kinds = Set(separators.filter { $0 != UInt8(ascii: ")") && $0 != UInt8(ascii: "(") })
            return !kinds.contains(UInt8(ascii: ".")) || kinds.count == 1
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The number of digits in `bytes[range]` (a cheap first check before a candidate is taken apart).
    static func digitCount(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
        var count = 0
        for byte in bytes[range] where isDigit(byte) { count += 1 }
        return count
    }

    /// Whether `range` continues a run of digit groups to its left (the tail of a card-like number
    /// `5500 0431 0141 5269`, the second half of `12 345 678 901`).
    static func continuesDigitGroups(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        guard range.lowerBound >= 2 else { return false }
        return [UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/")].contains(bytes[range.lowerBound - 1])
            && isDigit(bytes[range.lowerBound - 2])
    }

    /// Whether `range` follows a group in parentheses (`(351) 299557808`, `+49(0) 628661626`).
    static func followsAreaCode(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        if index > 0, bytes[index - 1] == UInt8(ascii: " ") { index -= 1 }
        return index > 0 && bytes[index - 1] == UInt8(ascii: ")")
    }

    /// Whether more digit groups follow `range` (`… 678 901`): the candidate is a piece of a longer number.
    static func continuesToTheRight(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        guard range.upperBound + 1 < bytes.count else { return false }
        return [UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/")].contains(bytes[range.upperBound])
            && isDigit(bytes[range.upperBound + 1])
    }
}
