/// The W3C `tracestate` header: an ordered list of up to 32 vendor `key=value` entries.
///
/// Keel does not add entries of its own; it validates what it receives and passes it to the
/// upstream (and into exported spans) unchanged.
public struct TraceState: Sendable, Hashable {
    /// The entries in header order (the most recently updated vendor first).
    public private(set) var entries: [(key: String, value: String)]

    /// The most entries a `tracestate` may hold.
    public static let maxEntries = 32

    /// An empty list.
    public init() {
        entries = []
    }

    /// Parses a `tracestate` value (several header lines joined with `,`).
    ///
    /// Returns nil when any entry is malformed, a key repeats or there are more than
    /// ``maxEntries`` entries: W3C Trace Context then asks for the whole header to be discarded.
    /// Empty entries and optional whitespace around entries are allowed.
    public init?(header: String) {
        var entries: [(key: String, value: String)] = []
        var seen: Set<String> = []
        for rawMember in header.split(separator: ",", omittingEmptySubsequences: false) {
            let member = rawMember.trimmingOWS()
            if member.isEmpty { continue }
            guard let equals = member.firstIndex(of: "=") else { return nil }
            let key = String(member[..<equals])
            let value = String(member[member.index(after: equals)...])
            guard Self.isValidKey(key), Self.isValidValue(value), seen.insert(key).inserted else { return nil }
            entries.append((key, value))
        }
        guard entries.count <= Self.maxEntries else { return nil }
        self.entries = entries
    }

    /// Whether there are no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// The value for `key`, if present.
    public subscript(key: String) -> String? {
        entries.first { $0.key == key }?.value
    }

    /// The header value: entries joined with `,`.
    public var header: String {
        entries.map { $0.key + "=" + $0.value }.joined(separator: ",")
    }

    public static func == (lhs: TraceState, rhs: TraceState) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }

    /// `simple-key` (`[a-z][a-z0-9_\-*/]{0,255}`) or `multi-tenant-key`
    /// (`[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}`).
    static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        func isKeyChar(_ byte: UInt8) -> Bool {
            isLower(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "/")
        }
        if let at = bytes.firstIndex(of: UInt8(ascii: "@")) {
            let tenant = bytes[..<at]
            let system = bytes[(at + 1)...]
            guard let tenantFirst = tenant.first, isLower(tenantFirst) || isDigit(tenantFirst), tenant.count <= 241,
                  tenant.allSatisfy(isKeyChar),
                  let systemFirst = system.first, isLower(systemFirst), system.count <= 14, system.allSatisfy(isKeyChar)
            else { return false }
            return true
        }
        guard let first = bytes.first, isLower(first), bytes.count <= 256 else { return false }
        return bytes.allSatisfy(isKeyChar)
    }

    /// 1 to 256 printable ASCII characters other than `,` and `=`, not ending in a space.
    static func isValidValue(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 256, bytes.last != UInt8(ascii: " ") else { return false }
        return bytes.allSatisfy { $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "=") }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP optional whitespace).
    fileprivate func trimmingOWS() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
