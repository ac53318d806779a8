/// Where a value sits in the configuration, printed as `models[0].routes[1].weight`.
struct ConfigPath: Sendable, Equatable, CustomStringConvertible {
    enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    private(set) var components: [Component] = []

    /// The document root.
    static let root = ConfigPath()

    func appending(_ key: String) -> ConfigPath {
        var copy = self
        copy.components.append(.key(key))
        return copy
    }

    func appending(index: Int) -> ConfigPath {
        var copy = self
        copy.components.append(.index(index))
        return copy
    }

    /// Keys made of letters, digits, `_` and `-` print bare; others (like `my.provider`) print as `["my.provider"]`.
    var description: String {
        var text = ""
        for component in components {
            switch component {
            case .index(let index):
                text += "[\(index)]"
            case .key(let key):
                let bare = !key.isEmpty && key.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                        || $0 == "_" || $0 == "-"
                }
                if bare {
                    text += text.isEmpty ? key : "." + key
                } else {
                    text += "[" + quoted(key, limit: 200) + "]"
                }
            }
        }
        return text
    }
}
