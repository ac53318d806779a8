/// What the words next to a number say it is: the label a writer puts before a phone number
/// ("Tel.", "call me on") or an SSN ("SSN:"), or the one that makes it an order or invoice number.
///
/// Only the words between the number and the nearest other digit count (a label belongs to the
/// nearest number), at most ``window`` bytes away and not across an `@` (an e-mail address) or a
/// `;`, `!` or `?`; nearest word first. Before the number, a context word decides when it comes
/// before any identifier word, and an identifier word (`order`, `invoice`, `ticket`, ...) or a `#`
/// not preceded by a context word vetoes. After it (`123456789 (SSN)`), only context words count:
/// an identifier word there labels the next thing.
struct NumberContext: Sendable {
    enum Label: Equatable {
        /// A context word labels the number.
        case context
        /// An identifier word (or `#`) labels it as something else.
        case identifier
        /// Neither, within the window.
        case none
    }

    /// Words that label a number as the identifier of something other than the entity sought.
    static let identifierWords: Set<String> = [
        "order", "orders", "invoice", "inv", "ticket", "case", "ref", "reference", "tracking", "account", "acct",
        "iban", "card", "build", "version", "serial", "sku", "id", "receipt", "transaction", "booking",
        "confirmation", "zip", "postcode", "isbn", "batch", "lot", "part", "item", "issue", "pr", "po",
    ]

    /// Context phrases, each as its words (lower case).
    let phrases: [[String]]
    /// How far from the number a label may start, in bytes.
    let window: Int

    init(_ phrases: [String], window: Int = 40) {
        self.phrases = phrases.map { $0.lowercased().split(whereSeparator: { !Self.isLetter($0) }).map(String.init) }
        self.window = window
    }

    /// The label before `range`, else the one after it.
    func label(_ bytes: [UInt8], _ range: Range<Int>) -> Label {
        let before = label(words(bytes, before: range.lowerBound), forward: false)
        if before != .none { return before }
        return label(words(bytes, after: range.upperBound), forward: true) == .context ? .context : .none
    }

    /// The label before `range` only.
    func leadingLabel(_ bytes: [UInt8], _ range: Range<Int>) -> Label {
        label(words(bytes, before: range.lowerBound), forward: false)
    }

    /// Scans `words` (nearest first; `#` is a word of its own); `forward` when they follow the number,
    /// so that nearest first is also text order.
    private func label(_ words: [String], forward: Bool) -> Label {
        var hash = false
        for index in words.indices {
            for phrase in phrases where matches(phrase, words, index, forward: forward) { return .context }
            let word = words[index]
            if word == "#" {
                hash = true
                continue
            }
            if hash || Self.identifierWords.contains(word) { return .identifier }
        }
        return hash ? .identifier : .none
    }

    /// Whether `phrase` starts at `words[index]` and runs away from the number: backwards in the text
    /// for words before it (the phrase ends there), forwards for words after it.
    private func matches(_ phrase: [String], _ words: [String], _ index: Int, forward: Bool) -> Bool {
        guard !phrase.isEmpty, index + phrase.count <= words.count else { return false }
        let ordered = forward ? phrase : phrase.reversed()
        for (offset, word) in ordered.enumerated() where words[index + offset] != word { return false }
        return true
    }

    /// The words before `position` up to the window or the nearest digit, nearest first.
    private func words(_ bytes: [UInt8], before position: Int) -> [String] {
        var out: [String] = []
        var index = position
        let limit = max(0, position - window)
        var current: [UInt8] = []
        while index > limit {
            let byte = bytes[index - 1]
            if Self.isDigit(byte) || Self.stops.contains(byte) { break }
            if Self.isLetterByte(byte) {
                current.append(byte)
            } else {
                if !current.isEmpty { out.append(Self.word(current.reversed())); current = [] }
                if byte == UInt8(ascii: "#") { out.append("#") }
            }
            index -= 1
        }
        // A word cut by the window start is not a word.
        if !current.isEmpty, index == 0 || !Self.isLetterByte(bytes[index - 1]) { out.append(Self.word(current.reversed())) }
        return out
    }

    /// The words after `position` up to the window or the nearest digit, nearest first.
    private func words(_ bytes: [UInt8], after position: Int) -> [String] {
        var out: [String] = []
        var index = position
        let limit = min(bytes.count, position + window)
        var current: [UInt8] = []
        while index < limit {
            let byte = bytes[index]
            if Self.isDigit(byte) || Self.stops.contains(byte) { break }
            if Self.isLetterByte(byte) {
                current.append(byte)
            } else {
                if !current.isEmpty { out.append(Self.word(current)); current = [] }
                if byte == UInt8(ascii: "#") { out.append("#") }
            }
            index += 1
        }
        if !current.isEmpty, index == bytes.count || !Self.isLetterByte(bytes[index]) { out.append(Self.word(current)) }
        return out
    }

    private static func word<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        String(decoding: Array(bytes), as: UTF8.self).lowercased()
    }

    /// Bytes a label does not reach across.
    private static let stops: Set<UInt8> = [UInt8(ascii: "@"), UInt8(ascii: ";"), UInt8(ascii: "!"), UInt8(ascii: "?")]

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
