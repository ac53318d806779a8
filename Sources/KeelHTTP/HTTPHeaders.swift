/// An ordered list of HTTP header fields with case-insensitive lookup by name.
///
/// Order and repeated fields are preserved exactly as received or added; names keep the case
/// they were given but compare case-insensitively (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (name: String, value: String)

    private var fields: [(name: String, value: String)]

    public init() { fields = [] }

    /// An empty list with room for `capacity` fields (one allocation when the count is known).
    public init(capacity: Int) {
        fields = []
        fields.reserveCapacity(capacity)
    }

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    /// The first value of the field `name`, or nil.
    public subscript(name: String) -> String? {
        get { first(name) }
        set {
            if let newValue { replaceOrAdd(name: name, value: newValue) } else { remove(name: name) }
        }
    }

    /// The first value of the field `name`, or nil.
    public func first(_ name: String) -> String? {
        for f in fields where Self.equalNames(f.name, name) { return f.value }
        return nil
    }

    /// Every value of the field `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.equalNames($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { first(name) != nil }

    /// Appends a field, keeping any existing fields with the same name.
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field named `name` with a single field.
    public mutating func replaceOrAdd(name: String, value: String) {
        if let i = fields.firstIndex(where: { Self.equalNames($0.name, name) }) {
            fields[i].value = value
            var j = fields.count - 1
            while j > i {
                if Self.equalNames(fields[j].name, name) { fields.remove(at: j) }
                j -= 1
            }
        } else {
            fields.append((name: name, value: value))
        }
    }

    /// Removes every field named `name`.
    public mutating func remove(name: String) {
        fields.removeAll { Self.equalNames($0.name, name) }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// Header names whose values are never shown by `description`.
    static let sensitiveNames: Set<String> = ["authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie", "x-goog-api-key"]

    /// Each field on its own line; credentials (authorization, api keys, cookies) are redacted.
    public var description: String {
        fields.map { field in
            let value = Self.sensitiveNames.contains(field.name.lowercased()) ? "[REDACTED]" : field.value
            return "\(field.name): \(value)"
        }.joined(separator: "\n")
    }

    /// Whether two field names are equal ignoring ASCII case, compared on their UTF-8 bytes in
    /// place (native strings always lend them; others are copied once).
    static func equalNames(_ a: String, _ b: String) -> Bool {
        if a.utf8.count != b.utf8.count { return false }
        if let equal = a.utf8.withContiguousStorageIfAvailable({ a in
            b.utf8.withContiguousStorageIfAvailable { b in equalNames(a, b) }
        }), let equal {
            return equal
        }
        return Array(a.utf8).withUnsafeBufferPointer { a in Array(b.utf8).withUnsafeBufferPointer { b in equalNames(a, b) } }
    }

    private static func equalNames(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count {
            let x = a[i], y = b[i]
            if x == y { continue }
            let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
            let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
            if lx != ly { return false }
        }
        return true
    }
}
