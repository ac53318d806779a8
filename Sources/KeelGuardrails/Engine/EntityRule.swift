/// One kind of entity a pattern detector looks for: a Vectorscan expression that finds candidates
/// fast, and Swift checks that decide (checksums, valid ranges, context words nearby).
struct EntityRule: Sendable {
    /// Decides whether a candidate byte range is an entity; may narrow the range (a secret's value
    /// without its key name) or widen it (a private key up to its END line). Nil rejects it.
    ///
    /// A candidate pairs a start and an end of overlapping matches of ``expression``, so it need not
    /// match the expression itself: a validator checks whatever it relies on (an `@`, a length)
    /// rather than assuming it.
    typealias Validator = @Sendable (_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int>?

    /// The entity type reported, e.g. `CREDIT_CARD`.
    var type: String
    /// The candidate expression.
    var expression: String
    var options: Pattern.Options = []
    /// The score without context words (or when none are defined).
    var score: Double
    /// Words that make the entity more likely when they appear within ``contextWindow`` bytes
    /// before or after it (matched case-insensitively, whole words).
    var context: [String] = []
    /// The score when a context word is near.
    var contextScore: Double = 0.9
    /// Whether a candidate without a context word is dropped.
    var contextRequired = false
    /// How far context words may be from the candidate, in bytes.
    var contextWindow = 48
    /// Whether candidates must not touch a letter or digit on either side.
    var wordBoundary = true
    /// Whether only ASCII letters and digits count as touching (``wordBoundary``): for entities
    /// written in ASCII that appear inside text without spaces (an e-mail address in Chinese or
    /// Japanese), where a non-ASCII letter next to them is not part of them.
    var asciiBoundary = false
    /// Whether candidates may start at any token inside a matched region (digit groups), not only at
    /// the leftmost start Vectorscan reports. Validators of such rules check the whole format.
    var tokenStarts = false
    /// The longest candidate considered, in bytes (before the validator widens or narrows it).
    var maxLength = 256
    var validate: Validator? = nil
}

/// A compiled set of ``EntityRule``s: one Vectorscan pass finds every candidate and context word.
final class EntityScanner: Sendable {
    let rules: [EntityRule]
    private let database: PatternDatabase
    private static let contextBase = 1 << 20

    init(rules: [EntityRule]) throws(PatternError) {
        self.rules = rules
        var patterns: [Pattern] = []
        for (index, rule) in rules.enumerated() {
            patterns.append(Pattern(id: index, rule.expression, rule.options))
            if !rule.context.isEmpty {
                let words = rule.context.map(Self.escape).joined(separator: "|")
                patterns.append(Pattern(id: Self.contextBase + index, "(?:\(words))", [.caseless]))
            }
        }
        database = try PatternDatabase(patterns)
    }

    /// Escapes regular-expression metacharacters so `text` matches literally.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if "\\^$.|?*+()[]{}/-".unicodeScalars.contains(scalar) {
                out += "\\"
                out.unicodeScalars.append(scalar)
            } else if scalar == " " {
                out += "[\\s_\\-]+"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Every accepted entity as (rule index, byte range, score), overlaps between rules unresolved.
    func candidates(in text: ScanText) -> [(rule: Int, range: Range<Int>, score: Double)] {
        let bytes = text.bytes
        let matches = database.scan(bytes)
        guard !matches.isEmpty else { return [] }
        var byRule: [Int: [PatternMatch]] = [:]
        var contextRanges: [Int: [Range<Int>]] = [:]
        for match in matches {
            if match.id >= Self.contextBase {
                let range = match.start..<match.end
                if Self.isWholeWord(bytes, range) { contextRanges[match.id - Self.contextBase, default: []].append(range) }
            } else {
                byRule[match.id, default: []].append(match)
            }
        }
        let contextHits = contextRanges.mapValues(ContextHits.init)
        var results: [(Int, Range<Int>, Double)] = []
        for (ruleIndex, ruleMatches) in byRule.sorted(by: { $0.key < $1.key }) {
            let rule = rules[ruleIndex]
            for region in Self.regions(ruleMatches) {
                // Candidate checks are bounded per region, so adversarial input (64 KB of digits, a
                // run of colons) costs linear time and cannot use up the checks of the entities after
                // it; ordinary text needs a few checks per entity.
                var budget = 4 * (region.end - region.start) + 64
                var position = region.start
                let ends = region.ends
                let starts = rule.tokenStarts ? Self.tokenStarts(bytes, region.start..<region.end) : region.starts
                starts: for start in starts where start >= position {
                    if rule.wordBoundary, start > 0, Self.touches(bytes[start - 1], bytes[start], ascii: rule.asciiBoundary) { continue }
                    // Ends in (start, start + maxLength], longest first.
                    var upper = Self.firstIndex(in: ends, greaterThan: start + rule.maxLength)
                    let lower = Self.firstIndex(in: ends, greaterThan: start)
                    while upper > lower {
                        upper -= 1
                        let end = ends[upper]
                        budget -= 1
                        if budget <= 0 { break starts }
                        if rule.wordBoundary, end < bytes.count, Self.touches(bytes[end - 1], bytes[end], ascii: rule.asciiBoundary) { continue }
                        let candidate: Range<Int>? = if let validate = rule.validate { validate(bytes, start..<end) } else { start..<end }
                        // A validator may narrow or widen, never produce an empty range or leave the text.
                        guard let accepted = candidate, !accepted.isEmpty, accepted.lowerBound >= 0, accepted.upperBound <= bytes.count else { continue }
                        var score = rule.score
                        if !rule.context.isEmpty {
                            let near = contextHits[ruleIndex]?.near(accepted, within: rule.contextWindow) ?? false
                            if near { score = rule.contextScore } else if rule.contextRequired { continue }
                        }
                        results.append((ruleIndex, accepted, score))
                        position = accepted.upperBound
                        break
                    }
                }
            }
        }
        return results
    }

    private struct Region {
        var start: Int
        var end: Int
        var starts: [Int]
        var ends: [Int]
    }

    /// Groups overlapping matches of one rule; `starts` and `ends` come out sorted and unique.
    private static func regions(_ matches: [PatternMatch]) -> [Region] {
        let sorted = matches.sorted { $0.start != $1.start ? $0.start < $1.start : $0.end < $1.end }
        var regions: [Region] = []
        for match in sorted {
            if let last = regions.indices.last, match.start < regions[last].end {
                regions[last].end = max(regions[last].end, match.end)
                regions[last].starts.append(match.start)
                regions[last].ends.append(match.end)
            } else {
                regions.append(Region(start: match.start, end: match.end, starts: [match.start], ends: [match.end]))
            }
        }
        for index in regions.indices {
            regions[index].starts = uniqueSorted(regions[index].starts)
            regions[index].ends = uniqueSorted(regions[index].ends)
        }
        return regions
    }

    private static func uniqueSorted(_ values: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for value in values.sorted() where out.last != value { out.append(value) }
        return out
    }

    /// The index of the first element of the ascending `values` greater than `bound`.
    private static func firstIndex(in values: [Int], greaterThan bound: Int) -> Int {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] > bound { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Positions in `range` where a letter or digit follows a non-word byte (or the range start).
    private static func tokenStarts(_ bytes: [UInt8], _ range: Range<Int>) -> [Int] {
        var starts: [Int] = []
        for index in range where isWordByte(bytes[index]) || bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "(") {
            if index == range.lowerBound || !isWordByte(bytes[index - 1]) { starts.append(index) }
        }
        return starts
    }

    /// Whether two adjacent bytes are both letters or digits (with `ascii`, ASCII ones).
    private static func touches(_ left: UInt8, _ right: UInt8, ascii: Bool) -> Bool {
        ascii ? isASCIIWordByte(left) && isASCIIWordByte(right) : isWordByte(left) && isWordByte(right)
    }

    static func isASCIIWordByte(_ byte: UInt8) -> Bool {
        byte < 0x80 && isWordByte(byte)
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte >= 0x80
    }

    static func isWholeWord(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        let before = range.lowerBound == 0 || !isWordByte(bytes[range.lowerBound - 1]) || !isWordByte(bytes[range.lowerBound])
        let after = range.upperBound >= bytes.count || !isWordByte(bytes[range.upperBound]) || !isWordByte(bytes[range.upperBound - 1])
        return before && after
    }
}

/// The context words of one rule found in a text, sorted, for "is one near this candidate?".
private struct ContextHits {
    private let ranges: [Range<Int>]
    private let longest: Int

    init(_ ranges: [Range<Int>]) {
        self.ranges = ranges.sorted { $0.lowerBound < $1.lowerBound }
        longest = ranges.map(\.count).max() ?? 0
    }

    /// Whether a context word ends at most `window` bytes before `range` or starts at most `window`
    /// bytes after it (a word inside the range itself does not count). Looks only at the words that
    /// start in that neighbourhood, so a text full of context words costs no more per candidate.
    func near(_ range: Range<Int>, within window: Int) -> Bool {
        var index = firstIndex(startingAtOrAfter: range.lowerBound - window - longest)
        while index < ranges.count, ranges[index].lowerBound <= range.upperBound + window {
            let hit = ranges[index]
            if hit.upperBound >= range.lowerBound - window, !(hit.lowerBound >= range.lowerBound && hit.upperBound <= range.upperBound) {
                return true
            }
            index += 1
        }
        return false
    }

    private func firstIndex(startingAtOrAfter bound: Int) -> Int {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].lowerBound >= bound { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

/// Removes overlaps: where findings overlap, the higher score wins, then the longer one.
func resolveOverlaps(_ findings: [Finding]) -> [Finding] {
    let ranked = findings.sorted {
        if $0.score != $1.score { return $0.score > $1.score }
        if $0.range.count != $1.range.count { return $0.range.count > $1.range.count }
        return $0.range.lowerBound < $1.range.lowerBound
    }
    return keepNonOverlapping(ranked, range: \.range).sortedByPosition()
}

/// The items of `ranked` (best first) that overlap no better item kept before them, in rank order.
func keepNonOverlapping<Item>(_ ranked: [Item], range: (Item) -> Range<Int>) -> [Item] {
    var taken = DisjointRanges()
    return ranked.filter { taken.insertIfDisjoint(range($0)) }
}

/// A growing set of disjoint ranges, held sorted, so "does this range overlap one of them?" is a
/// binary search against its two neighbours: thousands of findings in one large text cost n log n,
/// not n².
struct DisjointRanges {
    private var ranges: [Range<Int>] = []

    /// Adds `range` and returns true if it overlaps none of the ranges held; otherwise returns
    /// false. An empty range overlaps nothing (as with `Range.overlaps`) and is not held.
    mutating func insertIfDisjoint(_ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return true }
        // The first range held that ends after `range` starts: the only one that can overlap it.
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound > range.lowerBound { high = middle } else { low = middle + 1 }
        }
        if low < ranges.count, ranges[low].lowerBound < range.upperBound { return false }
        ranges.insert(range, at: low)
        return true
    }
}
