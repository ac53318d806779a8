import KeelCore

/// Reads the keys of one YAML mapping as typed fields, remembering which keys were asked for, so that
/// ``finish()`` can report every key nobody asked for as unknown — with a "did you mean" suggestion.
///
/// A section decoder reads its fields and ends with `finish()`:
///
/// ```swift
/// var reader = value.mapping()
/// let retries = reader.int("retries", .atLeast(0)) ?? 2
/// reader.finish()
/// ```
struct MappingReader {
    let mark: SourceMark
    let path: ConfigPath
    let context: DecodingContext
    private let entries: [YAMLNode.Entry]
    private var requested: [String] = []
    private var taken: Set<String> = []

    init(entries: [YAMLNode.Entry], mark: SourceMark, path: ConfigPath, context: DecodingContext) {
        self.entries = entries
        self.mark = mark
        self.path = path
        self.context = context
    }

    /// The keys present, in file order.
    var keys: [String] { entries.map(\.keyText) }

    /// Whether `key` is present (null values included). Does not mark it as read.
    func contains(_ key: String) -> Bool { entries.contains { $0.keyText == key } }

    /// The value stored under `key` without marking the key as read.
    func peek(_ key: String) -> ConfigValue? {
        entries.first { $0.keyText == key }.map { ConfigValue(node: $0.value, path: path.appending(key), context: context) }
    }

    /// The value stored under `key`, marking the key as known; nil when absent.
    mutating func take(_ key: String) -> ConfigValue? {
        if !requested.contains(key) { requested.append(key) }
        guard let entry = entries.first(where: { $0.keyText == key }) else { return nil }
        taken.insert(key)
        return ConfigValue(node: entry.value, path: path.appending(key), context: context)
    }

    /// Like ``take(_:)``, but reports a missing value when the key is absent.
    mutating func require(_ key: String) -> ConfigValue? {
        guard let value = take(key) else {
            context.report("missing required key \(quoted(key))", at: mark, path: path, code: .missingValue)
            return nil
        }
        return value
    }

    /// Every entry not read yet, marking them as read: for mappings keyed by user-chosen names (`providers`, `headers`).
    mutating func takeAll() -> [(key: String, keyMark: SourceMark, value: ConfigValue)] {
        entries.filter { !taken.contains($0.keyText) }.map { entry in
            taken.insert(entry.keyText)
            return (entry.keyText, entry.key.mark, ConfigValue(node: entry.value, path: path.appending(entry.keyText), context: context))
        }
    }

    // MARK: Typed fields

    mutating func string(_ key: String, required: Bool = false) -> String? {
        field(key, required: required)?.string(required: required)
    }

    mutating func int(_ key: String, _ bounds: IntBounds, required: Bool = false) -> Int? {
        field(key, required: required)?.int(bounds, required: required)
    }

    mutating func number(_ key: String, minimum: Double) -> Double? {
        take(key)?.number(minimum: minimum)
    }

    mutating func secret(_ key: String) -> Secret? {
        take(key)?.secret()
    }

    mutating func choice<T>(_ key: String, _ options: KeyValuePairs<String, T>, required: Bool = false) -> T? {
        field(key, required: required)?.choice(options, required: required)
    }

    /// A whole number of seconds as a `Duration`.
    mutating func seconds(_ key: String, _ bounds: IntBounds, required: Bool = false) -> Duration? {
        int(key, bounds, required: required).map { .seconds($0) }
    }

    /// A whole number of milliseconds as a `Duration`.
    mutating func milliseconds(_ key: String, _ bounds: IntBounds, required: Bool = false) -> Duration? {
        int(key, bounds, required: required).map { .milliseconds($0) }
    }

    /// A nested mapping decoded by `decode`, which need not call `finish()`: unknown keys are reported here.
    mutating func section<T>(_ key: String, required: Bool = false, _ decode: (inout MappingReader) -> T) -> T? {
        guard var reader = field(key, required: required)?.mapping() else { return nil }
        let result = decode(&reader)
        reader.finish()
        return result
    }

    /// A list of strings, each with its position (for cross references).
    mutating func stringList(_ key: String) -> [(name: String, value: ConfigValue)]? {
        guard let items = take(key)?.list() else { return nil }
        return items.compactMap { item in item.string(required: true).map { ($0, item) } }
    }

    private mutating func field(_ key: String, required: Bool) -> ConfigValue? {
        required ? require(key) : take(key)
    }

    // MARK: Finishing

    /// Reports every key that was not read as unknown, suggesting the closest known key.
    mutating func finish() {
        for entry in entries where !taken.contains(entry.keyText) {
            taken.insert(entry.keyText)
            var message = "unknown key \(quoted(entry.keyText))"
            if let suggestion = Suggestion.closest(to: entry.keyText, among: requested) {
                message += " (did you mean \(quoted(suggestion))?)"
            } else if !requested.isEmpty {
                message += " (expected one of: \(requested.joined(separator: ", ")))"
            }
            context.report(message, at: entry.key.mark, path: path, code: .unknownKey)
        }
    }
}

/// "Did you mean …?" suggestions by edit distance.
enum Suggestion {
    /// The candidate closest to `word`, if it is close enough to be a plausible typo, or if `word` is
    /// an abbreviation of exactly one candidate (`warn` → `warning`).
    static func closest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        let allowed = switch lowered.count {
        case ...2: 0
        case ...4: 1
        case ...8: 2
        default: 3
        }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            if distance <= allowed, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        if let best { return best.candidate }
        let extensions = lowered.count >= 3 ? candidates.filter { $0.lowercased().hasPrefix(lowered) } : []
        return extensions.count == 1 ? extensions[0] : nil
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps each cost 1.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs.unicodeScalars)
        let b = Array(rhs.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var distance = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    distance = min(distance, table[i - 2][j - 2] + 1)
                }
                table[i][j] = distance
            }
        }
        return table[a.count][b.count]
    }
}
