/// A 1-based position in the configuration text.
struct SourceMark: Sendable, Equatable, Comparable {
    var line: Int
    var column: Int

    static func < (lhs: SourceMark, rhs: SourceMark) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// One node of a parsed YAML document, with aliases already expanded.
///
/// Every node remembers where it starts in the file so that decoding errors can point at it.
struct YAMLNode: Sendable {
    /// How a scalar was written. Only plain scalars can mean `null`.
    enum ScalarStyle: Sendable, Equatable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// One `key: value` pair of a mapping. Keys are always scalars.
    struct Entry: Sendable {
        var key: YAMLNode
        var value: YAMLNode

        /// The key's text (keys are never interpolated).
        var keyText: String { key.scalarText ?? "" }
    }

    enum Content: Sendable {
        case scalar(String, style: ScalarStyle)
        case sequence([YAMLNode])
        case mapping([Entry])
    }

    var content: Content
    /// The explicit tag, resolved to its full form (`tag:yaml.org,2002:str`), or nil when none was written.
    var tag: String?
    /// Where the node starts.
    var mark: SourceMark
    /// The number of nodes in this subtree (this node included); bounds alias expansion.
    var size: Int

    /// The scalar's text, or nil for collections.
    var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// Whether the node means "no value": an empty or `~`/`null` plain scalar, or an explicit `!!null`.
    var isNull: Bool {
        if tag == YAMLTag.null { return true }
        guard tag == nil, case .scalar(let text, .plain) = content else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// A short phrase naming the node's type for error messages: `a mapping`, `a list`, `"abc"`.
    var typeDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, _):
            if isNull { return "nothing" }
            return quoted(text)
        }
    }
}

/// The standard tags Keel's configuration accepts.
enum YAMLTag {
    static let prefix = "tag:yaml.org,2002:"
    static let null = prefix + "null"
    static let string = prefix + "str"
    static let merge = prefix + "merge"
    /// The non-specific tag `!`, which makes a scalar a string.
    static let nonSpecific = "!"
    static let accepted: Set<String> = [
        nonSpecific, null, string, merge,
        prefix + "int", prefix + "float", prefix + "bool", prefix + "map", prefix + "seq",
    ]
}

/// Quotes a value for an error message, shortening long ones.
func quoted(_ text: String, limit: Int = 60) -> String {
    var shown = text
    if shown.count > limit { shown = String(shown.prefix(limit)) + "…" }
    var out = ""
    for scalar in shown.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return "\"" + out + "\""
}
