/// Builds a node tree from libyaml events: one document at most, aliases expanded (within limits),
/// `<<` merge keys applied, duplicate keys reported.
struct YAMLDocument {
    /// The root node, or nil for an empty file.
    var root: YAMLNode?
    /// Problems that did not stop parsing (duplicate keys, non-scalar keys).
    var diagnostics: [ConfigDiagnostic]

    /// The most nodes a document may hold once aliases are expanded; guards against "billion laughs".
    static let maximumNodeCount = 100_000
    /// The deepest nesting of mappings and lists accepted.
    static let maximumDepth = 64

    /// Parses `bytes` (UTF-8). Syntax errors and unsafe documents throw; other problems are collected.
    static func parse(bytes: some Collection<UInt8>, fileName: String) throws(ConfigError) -> YAMLDocument {
        var builder = Builder(fileName: fileName)
        let parser = YAMLEventParser(bytes: bytes, fileName: fileName)
        while true {
            let event = try parser.next()
            if case .streamEnd = event { break }
            try builder.handle(event)
        }
        return YAMLDocument(root: builder.root, diagnostics: builder.diagnostics)
    }
}

extension YAMLDocument {
    /// An open collection waiting for its end event.
    private struct Frame {
        enum Kind {
            case sequence([YAMLNode])
            case mapping([YAMLNode.Entry], pendingKey: YAMLNode?)
        }

        var kind: Kind
        var tag: String?
        var anchor: String?
        var mark: SourceMark
    }

    private struct Builder {
        let fileName: String
        var root: YAMLNode?
        var diagnostics: [ConfigDiagnostic] = []
        private var stack: [Frame] = []
        private var anchors: [String: YAMLNode] = [:]
        private var documentCount = 0
        private var nodeCount = 0

        init(fileName: String) { self.fileName = fileName }

        mutating func handle(_ event: YAMLEvent) throws(ConfigError) {
            switch event {
            case .streamStart, .streamEnd, .documentEnd:
                break
            case .documentStart(let mark):
                documentCount += 1
                if documentCount > 1 {
                    throw fatal(mark, "the file holds more than one YAML document; Keel reads exactly one (remove the extra `---`)")
                }
            case .alias(let anchor, let mark):
                guard var node = anchors[anchor] else {
                    if stack.contains(where: { $0.anchor == anchor }) {
                        throw fatal(mark, "alias *\(anchor) refers to a node that contains it")
                    }
                    throw fatal(mark, "alias *\(anchor) refers to an anchor &\(anchor) that is not defined before it")
                }
                try count(node.size, at: mark)
                // Errors inside the expanded node point at the anchor's definition; the node itself at the alias.
                node.mark = mark
                try complete(node)
            case .scalar(let text, let style, let anchor, let tag, let mark):
                try checkTag(tag, at: mark)
                try count(1, at: mark)
                try complete(YAMLNode(content: .scalar(text, style: style), tag: tag, mark: mark, size: 1), anchor: anchor)
            case .sequenceStart(let anchor, let tag, let mark):
                try open(Frame(kind: .sequence([]), tag: tag, anchor: anchor, mark: mark))
            case .mappingStart(let anchor, let tag, let mark):
                try open(Frame(kind: .mapping([], pendingKey: nil), tag: tag, anchor: anchor, mark: mark))
            case .sequenceEnd, .mappingEnd:
                guard let frame = stack.popLast() else { return }
                let node: YAMLNode
                switch frame.kind {
                case .sequence(let items):
                    node = YAMLNode(content: .sequence(items), tag: frame.tag, mark: frame.mark,
                                    size: 1 + items.reduce(0) { $0 + $1.size })
                case .mapping(let entries, _):
                    let merged = applyMerges(entries)
                    node = YAMLNode(content: .mapping(merged), tag: frame.tag, mark: frame.mark,
                                    size: 1 + merged.reduce(0) { $0 + $1.key.size + $1.value.size })
                }
                try complete(node, anchor: frame.anchor)
            }
        }

        private mutating func open(_ frame: Frame) throws(ConfigError) {
            try checkTag(frame.tag, at: frame.mark)
            try count(1, at: frame.mark)
            if stack.count >= YAMLDocument.maximumDepth {
                throw fatal(frame.mark, "nesting deeper than \(YAMLDocument.maximumDepth) levels")
            }
            stack.append(frame)
        }

        private mutating func count(_ nodes: Int, at mark: SourceMark) throws(ConfigError) {
            nodeCount += nodes
            if nodeCount > YAMLDocument.maximumNodeCount {
                throw fatal(mark, "the document expands to more than \(YAMLDocument.maximumNodeCount) nodes (check aliases)")
            }
        }

        private func checkTag(_ tag: String?, at mark: SourceMark) throws(ConfigError) {
            guard let tag, !YAMLTag.accepted.contains(tag) else { return }
            throw fatal(mark, "unsupported tag \(tag.hasPrefix(YAMLTag.prefix) ? "!!" + tag.dropFirst(YAMLTag.prefix.count) : tag)")
        }

        /// Places a finished node into its parent (or as the root) and records its anchor.
        private mutating func complete(_ node: YAMLNode, anchor: String? = nil) throws(ConfigError) {
            if let anchor { anchors[anchor] = node }
            guard var parent = stack.popLast() else {
                root = node
                return
            }
            switch parent.kind {
            case .sequence(var items):
                items.append(node)
                parent.kind = .sequence(items)
            case .mapping(var entries, let pendingKey):
                if let key = pendingKey {
                    entries.append(YAMLNode.Entry(key: key, value: node))
                    parent.kind = .mapping(entries, pendingKey: nil)
                } else {
                    guard case .scalar = node.content else {
                        throw fatal(node.mark, "mapping keys must be plain text, not \(node.typeDescription)")
                    }
                    parent.kind = .mapping(entries, pendingKey: node)
                }
            }
            stack.append(parent)
        }

        /// Resolves `<<: *defaults` and `<<: [*a, *b]` merge keys and reports duplicate keys.
        ///
        /// Keys written in the mapping win over merged ones; among merged mappings the first listed wins.
        private mutating func applyMerges(_ entries: [YAMLNode.Entry]) -> [YAMLNode.Entry] {
            var result: [YAMLNode.Entry] = []
            var seen: [String: SourceMark] = [:]
            var mergeSources: [YAMLNode] = []
            for entry in entries {
                let isMergeKey = entry.keyText == "<<"
                    && (entry.key.tag == nil || entry.key.tag == YAMLTag.merge)
                    && { if case .scalar(_, .plain) = entry.key.content { true } else { false } }()
                if isMergeKey {
                    switch entry.value.content {
                    case .mapping:
                        mergeSources.append(entry.value)
                    case .sequence(let items):
                        for item in items {
                            if case .mapping = item.content {
                                mergeSources.append(item)
                            } else {
                                report(item.mark, "a `<<` merge list may only hold mappings, not \(item.typeDescription)", .typeMismatch)
                            }
                        }
                    case .scalar:
                        report(entry.value.mark, "a `<<` merge key needs a mapping or a list of mappings, not \(entry.value.typeDescription)", .typeMismatch)
                    }
                    continue
                }
                if let first = seen[entry.keyText] {
                    report(entry.key.mark, "duplicate key \(quoted(entry.keyText)) (first defined at line \(first.line))", .duplicateKey)
                    continue
                }
                seen[entry.keyText] = entry.key.mark
                result.append(entry)
            }
            for source in mergeSources {
                guard case .mapping(let merged) = source.content else { continue }
                for entry in merged where seen[entry.keyText] == nil {
                    seen[entry.keyText] = entry.key.mark
                    result.append(entry)
                }
            }
            return result
        }

        /// The key path of the collection being closed: its ancestors are the open frames.
        private var currentPath: ConfigPath {
            var path = ConfigPath.root
            for frame in stack {
                switch frame.kind {
                case .sequence(let items): path = path.appending(index: items.count)
                case .mapping(_, let pendingKey): path = path.appending(pendingKey?.scalarText ?? "")
                }
            }
            return path
        }

        private mutating func report(_ mark: SourceMark, _ message: String, _ code: ConfigError.Code) {
            diagnostics.append(ConfigDiagnostic(
                file: fileName, line: mark.line, column: mark.column,
                keyPath: currentPath.description, message: message, code: code
            ))
        }

        private func fatal(_ mark: SourceMark, _ message: String) -> ConfigError {
            ConfigError([ConfigDiagnostic(
                file: fileName, line: mark.line, column: mark.column, keyPath: "", message: message, code: .syntax
            )])
        }
    }
}
