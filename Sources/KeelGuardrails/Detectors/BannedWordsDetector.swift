/// Finds words and phrases from a list, case-insensitively and as whole words, in one pass.
public struct BannedWordsDetector: OverlapResolvingDetector {
    public let name = "banned_words"
    /// The list, as configured.
    public let words: [String]
    private let database: PatternDatabase

    /// Compiles `words` (phrases allowed; any run of spaces in a phrase matches any whitespace).
    public init(words: [String]) throws(PatternError) {
        self.words = words
        database = try PatternDatabase(words.enumerated().filter { !$0.element.isEmpty }.map {
            Pattern(id: $0.offset, EntityScanner.escape($0.element), [.caseless, .unicode])
        })
    }

    public func candidates(in text: ScanText) -> [Finding] {
        var findings: [Finding] = []
        for match in database.scan(text.bytes) where EntityScanner.isWholeWord(text.bytes, match.start..<match.end) {
            findings.append(text.finding(detector: name, type: "BANNED_WORD", range: match.start..<match.end, score: 1.0))
        }
        return findings
    }
}

/// Flags text about a forbidden topic: each topic is a list of keywords, and a text is on the topic
/// when at least `minimumMatches` different keywords of that topic appear in it.
public struct BannedTopicsDetector: OverlapResolvingDetector {
    /// One topic and its keywords.
    public struct Topic: Sendable, Hashable {
        /// The topic's name, reported as the type in upper snake case (`weapons` → `WEAPONS`).
        public var name: String
        /// Words or phrases that belong to the topic.
        public var keywords: [String]
        /// Creates a topic.
        public init(name: String, keywords: [String]) {
            self.name = name
            self.keywords = keywords
        }
    }

    public let name = "banned_topics"
    /// The topics, as configured.
    public let topics: [Topic]
    /// How many different keywords of one topic make a match. Default 1.
    public let minimumMatches: Int
    private let database: PatternDatabase
    private let keywordTopic: [Int]

    /// Compiles every topic's keywords into one database.
    public init(topics: [Topic], minimumMatches: Int = 1) throws(PatternError) {
        self.topics = topics
        self.minimumMatches = max(1, minimumMatches)
        var patterns: [Pattern] = []
        var keywordTopic: [Int] = []
        for (topicIndex, topic) in topics.enumerated() {
            for keyword in topic.keywords where !keyword.isEmpty {
                patterns.append(Pattern(id: patterns.count, EntityScanner.escape(keyword), [.caseless, .unicode]))
                keywordTopic.append(topicIndex)
            }
        }
        self.keywordTopic = keywordTopic
        database = try PatternDatabase(patterns)
    }

    public func candidates(in text: ScanText) -> [Finding] {
        var hits: [Int: [PatternMatch]] = [:]
        for match in database.scan(text.bytes) where EntityScanner.isWholeWord(text.bytes, match.start..<match.end) {
            hits[keywordTopic[match.id], default: []].append(match)
        }
        var findings: [Finding] = []
        for (topicIndex, matches) in hits where Set(matches.map(\.id)).count >= minimumMatches {
            let type = topics[topicIndex].name.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
            let distinct = Set(matches.map(\.id)).count
            let score = min(1.0, 0.7 + 0.1 * Double(distinct))
            for match in matches {
                findings.append(text.finding(detector: name, type: String(type), range: match.start..<match.end, score: score))
            }
        }
        return findings
    }
}
