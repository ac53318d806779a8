/// What the words next to a number say it is: the label a writer puts before a phone number
/// ("Tel.", "call me on") or an SSN ("SSN:"), after it ("… (mobile)", "…-Fax"), or the one that makes
/// it an order or invoice number.
///
/// Only the words between the number and the nearest other digit count (a label belongs to the
/// nearest number), at most ``window`` bytes away and not across an `@` (an e-mail address) or a
/// `;`, `!` or `?`; nearest word first. Before the number, a context word decides when it comes
/// before any identifier word, and an identifier word (`order`, `invoice`, `ticket`, ...) or a `#`
/// not preceded by a context word vetoes. A context word that directly follows the previous number,
/// with other words between it and this one (`… 0612 345 678 (mobile) until 2019-2024`), is that
/// number's label, not this one's. Field words (`Office`, `Home`, `T`) label a number only right
/// next to it: `Office: …`, `T …` at the start of a line, `… (home)`, `…-Office`.
struct NumberContext: Sendable {
    enum Label: Equatable {
        /// A context word labels the number.
        case context
        /// An identifier word (or `#`) labels it as something else.
        case identifier
        /// Neither, within the window.
        case none
    }

    /// How far after the number a label is looked for.
    enum Trailing {
        /// Context words anywhere in the window (`536904399 is my SSN`).
        case window
        /// Only the first word after the number, with nothing but spaces and brackets, dashes,
        /// commas or slashes between (`… (mobile)`, `…-Fax`), on the same line.
        case adjacent
    }

    /// Words that label a number as the identifier of something other than the entity sought.
    static let identifierWords: Set<String> = [
        "order", "orders", "invoice", "inv", "ticket", "case", "ref", "reference", "tracking", "account", "acct",
        "iban", "card", "build", "version", "serial", "sku", "id", "receipt", "transaction", "booking",
        "confirmation", "zip", "postcode", "isbn", "batch", "lot", "part", "item", "issue", "pr", "po",
        "tax", "vat", "nip", "nif", "siren", "siret", "pesel", "regon", "cpr", "bsn", "routing", "sort", "policy", "claim",
        "license", "licence", "passport", "page", "pages", "patient", "mrn",
    ]

    /// Context phrases, each as its words (lower case).
    let phrases: [[String]]
    /// Words that count only right next to the number and in a field label's position (lower case).
    let fieldWords: Set<String>
    /// How far from the number a label may start, in bytes.
    let window: Int

    init(_ phrases: [String], fieldWords: [String] = [], window: Int = 40) {
        self.phrases = phrases.map { $0.lowercased().split(whereSeparator: { !Self.isLetter($0) }).map(String.init) }
        self.fieldWords = Set(fieldWords.map { $0.lowercased() })
        self.window = window
    }

    /// The label before `range`, else the one after it (only a context word counts after it).
    func label(_ bytes: [UInt8], _ range: Range<Int>, trailing: Trailing = .window) -> Label {
        let before = leadingLabel(bytes, range)
        if before != .none { return before }
        return trailingLabel(bytes, range, trailing) == .context ? .context : .none
    }

    /// The label before `range` only.
    func leadingLabel(_ bytes: [UInt8], _ range: Range<Int>) -> Label {
        let words = words(bytes, before: range.lowerBound)
        if let nearest = words.list.first, isField(nearest, bytes, before: true) { return .context }
        return label(words, forward: false)
    }

    /// The label after `range` only: a context word, or (when adjacent) a field word.
    func trailingLabel(_ bytes: [UInt8], _ range: Range<Int>, _ trailing: Trailing = .window) -> Label {
        switch trailing {
        case .window:
            return label(words(bytes, after: range.upperBound), forward: true)
        case .adjacent:
            var index = range.upperBound
            while index < bytes.count, index - range.upperBound < 3, Self.adjacentGap.contains(bytes[index]) { index += 1 }
            let list = words(bytes, after: index).list
            guard let first = list.first, first.start == index else { return .none }
            if isField(first, bytes, before: false) { return .context }
            for phrase in phrases where matches(phrase, list, 0, forward: true) { return .context }
            return .none
        }
    }

    /// Scans `words` (nearest first; `#` is a word of its own); `forward` when they follow the number,
    /// so that nearest first is also text order.
    private func label(_ words: Words, forward: Bool) -> Label {
        let list = words.list
        var hash = false
        for index in list.indices {
            for phrase in phrases where matches(phrase, list, index, forward: forward) {
                // Before the number: a phrase that touches the previous number, with words between it
                // and this one, labels the previous number (unless a colon points it forward).
                let farthest = index + phrase.count - 1
                if !forward, words.touchesPreviousNumber, farthest == list.count - 1, index > 0, !list[index].colon { continue }
                return .context
            }
            let word = list[index].text
            if word == "#" {
                hash = true
                continue
            }
            if hash || Self.identifierWords.contains(word) { return .identifier }
        }
        return hash ? .identifier : .none
    }

    /// Whether `word` is a field word in a field label's position. Before the number: the nearest
    /// word, followed by `:` or `.` (`Office: …`, `T. …`) or first on its line or after a `|`
    /// (`T …`, `| Home …`), not in a sentence (`work from home 1234567`). After it: the first word,
    /// in brackets or after a dash (`… (home)`, `…-Office`).
    private func isField(_ word: Word, _ bytes: [UInt8], before: Bool) -> Bool {
        guard fieldWords.contains(word.text) else { return false }
        if before {
            if word.end < bytes.count, bytes[word.end] == UInt8(ascii: ":") || bytes[word.end] == UInt8(ascii: ".") || word.colon { return true }
            var start = word.start
            while start > 0, bytes[start - 1] == UInt8(ascii: " ") { start -= 1 }
            return start == 0 || [UInt8(ascii: "\n"), UInt8(ascii: "|")].contains(bytes[start - 1])
        }
        var start = word.start
        if start > 0, bytes[start - 1] == UInt8(ascii: " ") { start -= 1 }
        return start > 0 && [UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "-")].contains(bytes[start - 1])
    }

    /// Whether `phrase` starts at `words[index]` and runs away from the number: backwards in the text
    /// for words before it (the phrase ends there), forwards for words after it.
    private func matches(_ phrase: [String], _ words: [Word], _ index: Int, forward: Bool) -> Bool {
        guard !phrase.isEmpty, index + phrase.count <= words.count else { return false }
        let ordered = forward ? phrase : phrase.reversed()
        for (offset, word) in ordered.enumerated() where words[index + offset].text != word { return false }
        return true
    }

    private struct Word {
        var text: String
        var start: Int
        var end: Int
        /// Whether a colon follows the word (`Phone: …`).
        var colon = false
    }

    private struct Words {
        /// Nearest first.
        var list: [Word] = []
        /// Before the number: the farthest word follows another number as a label after it would
        /// (`… 0612 345 678 (mobile)`, `…-Fax`).
        var touchesPreviousNumber = false
    }

    /// The words before `position` up to the window or the nearest digit, nearest first.
    private func words(_ bytes: [UInt8], before position: Int) -> Words {
        var out = Words()
        var index = position
        let limit = max(0, position - window)
        var wordEnd: Int? = nil
        while index > limit {
            let byte = bytes[index - 1]
            if Self.isLetterByte(byte) {
                if wordEnd == nil { wordEnd = index }
                index -= 1
                continue
            }
            if let end = wordEnd {
                append(&out.list, bytes, index..<end)
                wordEnd = nil
            }
            if Self.isDigit(byte) || Self.stops.contains(byte) { break }
            if byte == UInt8(ascii: "#") { out.list.append(Word(text: "#", start: index - 1, end: index)) }
            index -= 1
        }
        // A word cut by the window start is not a word.
        if let end = wordEnd, index == 0 || !Self.isLetterByte(bytes[index - 1]) { append(&out.list, bytes, index..<end) }
        // Whether the farthest word is what a label after the previous number looks like.
        if let farthest = out.list.last {
            var gap = farthest.start
            while gap > 0, farthest.start - gap < 3, Self.adjacentGap.contains(bytes[gap - 1]) { gap -= 1 }
            out.touchesPreviousNumber = gap > 0 && Self.isDigit(bytes[gap - 1])
        }
        return out
    }

    /// The words after `position` up to the window or the nearest digit, nearest first.
    private func words(_ bytes: [UInt8], after position: Int) -> Words {
        var out = Words()
        var index = position
        let limit = min(bytes.count, position + window)
        var start = index
        while index < limit {
            let byte = bytes[index]
            if Self.isDigit(byte) || Self.stops.contains(byte) { break }
            if !Self.isLetterByte(byte) {
                if start < index { append(&out.list, bytes, start..<index) }
                if byte == UInt8(ascii: "#") { out.list.append(Word(text: "#", start: index, end: index + 1)) }
                start = index + 1
            }
            index += 1
        }
        if start < index, index == bytes.count || !Self.isLetterByte(bytes[index]) { append(&out.list, bytes, start..<index) }
        return out
    }

    /// Appends the word at `range` unless it holds no letter (a dash or dot of another script).
    @discardableResult
    private func append(_ list: inout [Word], _ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        let text = Self.word(bytes[range])
        guard text.contains(where: Self.isLetter) else { return false }
        let colon = range.upperBound < bytes.count && bytes[range.upperBound] == UInt8(ascii: ":")
            || (range.upperBound + 1 < bytes.count && bytes[range.upperBound] == UInt8(ascii: " ") && bytes[range.upperBound + 1] == UInt8(ascii: ":"))
        list.append(Word(text: text, start: range.lowerBound, end: range.upperBound, colon: colon))
        return true
    }

    private static func word(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).lowercased()
    }

    /// Bytes a label does not reach across.
    private static let stops: Set<UInt8> = [UInt8(ascii: "@"), UInt8(ascii: ";"), UInt8(ascii: "!"), UInt8(ascii: "?")]

    /// What may stand between a number and a label right after it.
    private static let adjacentGap: Set<UInt8> = [
        UInt8(ascii: " "), UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "-"), UInt8(ascii: ","), UInt8(ascii: "/"),
    ]

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// ASCII letters and the bytes of non-ASCII characters (words in any script).
    private static func isLetterByte(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte >= 0x80
    }

    private static func isLetter(_ character: Character) -> Bool { character.isLetter }
}

extension Checksums {
    /// Whether the number at `range` is one part of a longer hyphenated, dotted or slashed token
    /// (the last group of a UUID, a segment of a path or of a version string).
    static func isInsideLongerToken(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        let joiners: Set<UInt8> = [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "_")]
        if range.lowerBound >= 2, joiners.contains(bytes[range.lowerBound - 1]), EntityScanner.isWordByte(bytes[range.lowerBound - 2]) { return true }
        if range.upperBound + 1 < bytes.count, joiners.contains(bytes[range.upperBound]), EntityScanner.isWordByte(bytes[range.upperBound + 1]) { return true }
        return false
    }
}
