/// A JSON object whose members keep their order.
///
/// Members stay in insertion (or source) order, so re-serialising a parsed body gives the
/// keys in the order the client sent them. Setting an existing key replaces its value in
/// place; a new key is appended. Small objects are searched linearly; once an object has
/// more than `JSONObject.indexThreshold` members a key → position index is kept beside
/// the members.
///
/// Keys compare as Swift strings (canonical equivalence). Two objects are equal when they
/// have the same keys with equal values, whatever the order — as in JSON itself; compare
/// `keys` as well when order matters.
public struct JSONObject: Sendable {
    /// One member: a key and its value.
    public typealias Element = (key: String, value: JSONValue)

    /// Objects with more members than this keep a hash index for lookups.
    ///
    /// Measured with `keel-json-bench`: a linear scan costs about 1 ns per member, a hash
    /// lookup about 20 ns, so the scan wins up to roughly 20 members.
    public static let indexThreshold = 20

    /// Stored form of a member (a struct rather than a tuple: no runtime tuple metadata).
    struct Member {
        var key: String
        var value: JSONValue
    }

    private var members: [Member]
    /// Key → position in `members`; only present when `members.count > indexThreshold`.
    private var positions: [String: Int]?

    /// Creates an empty object.
    public init() {
        members = []
        positions = nil
    }

    /// Creates an empty object with room for `minimumCapacity` members.
    public init(minimumCapacity: Int) {
        members = []
        members.reserveCapacity(minimumCapacity)
        positions = nil
    }

    /// Wraps members whose keys are known to be distinct (the parser checks as it goes).
    init(uniqueMembers: [Member]) {
        members = uniqueMembers
        positions = nil
        if members.count > JSONObject.indexThreshold {
            rebuildIndex()
        }
    }

    /// Creates an object from key/value pairs in order; a repeated key keeps its first
    /// position and its last value.
    public init<S: Sequence>(_ pairs: S) where S.Element == (String, JSONValue) {
        self.init(minimumCapacity: pairs.underestimatedCount)
        for (key, value) in pairs {
            self[key] = value
        }
    }

    /// Number of members.
    public var count: Int { members.count }

    /// `true` when the object has no members.
    public var isEmpty: Bool { members.isEmpty }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// The values in key order.
    public var values: [JSONValue] { members.map(\.value) }

    /// Position of `key` among the members, or `nil` if absent.
    public func position(ofKey key: String) -> Int? {
        if let positions {
            return positions[key]
        }
        var index = 0
        let count = members.count
        while index < count {
            if members[index].key == key { return index }
            index += 1
        }
        return nil
    }

    /// `true` if the object has a member named `key`.
    public func contains(key: String) -> Bool {
        position(ofKey: key) != nil
    }

    /// The value for `key`; setting `nil` removes the member, setting a value replaces it
    /// in place or appends it.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = position(ofKey: key) else { return nil }
            return members[index].value
        }
        set {
            if let newValue {
                updateValue(newValue, forKey: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Sets the value for `key` (in place if present, appended otherwise) and returns the old value.
    @discardableResult
    public mutating func updateValue(_ value: JSONValue, forKey key: String) -> JSONValue? {
        if let index = position(ofKey: key) {
            let old = members[index].value
            members[index].value = value
            return old
        }
        append(key: key, value: value)
        return nil
    }

    /// Appends a member whose key is known to be absent.
    private mutating func append(key: String, value: JSONValue) {
        members.append(Member(key: key, value: value))
        if positions != nil {
            positions![key] = members.count - 1
        } else if members.count > JSONObject.indexThreshold {
            rebuildIndex()
        }
    }

    /// Removes the member named `key`, keeping the order of the others; returns its value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let index = position(ofKey: key) else { return nil }
        let old = members.remove(at: index).value
        if positions != nil {
            if members.count > JSONObject.indexThreshold {
                rebuildIndex()
            } else {
                positions = nil
            }
        }
        return old
    }

    /// Removes all members.
    public mutating func removeAll(keepingCapacity: Bool = false) {
        members.removeAll(keepingCapacity: keepingCapacity)
        positions = nil
    }

    /// Calls `body` with the members in order, without copying them.
    func withUnsafeMembers<R>(_ body: (UnsafeBufferPointer<Member>) throws -> R) rethrows -> R {
        try members.withUnsafeBufferPointer(body)
    }

    private mutating func rebuildIndex() {
        var index = [String: Int](minimumCapacity: members.count)
        for (position, member) in members.enumerated() {
            index[member.key] = position
        }
        positions = index
    }
}

extension JSONObject: RandomAccessCollection {
    /// Positions are member offsets, 0 for the first.
    public typealias Index = Int

    /// Always 0.
    public var startIndex: Int { 0 }
    /// The number of members.
    public var endIndex: Int { members.count }

    /// The member at `position` (in key order).
    public subscript(position: Int) -> Element {
        let member = members[position]
        return (key: member.key, value: member.value)
    }
}

extension JSONObject: Hashable {
    /// `true` when both objects have the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for index in lhs.members.indices {
            let member = lhs.members[index]
            // Fast path: same key at the same position.
            if rhs.members[index].key == member.key {
                if rhs.members[index].value != member.value { return false }
            } else {
                guard let other = rhs[member.key], other == member.value else { return false }
            }
        }
        return true
    }

    /// Hashes the members independently of their order, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        // Order-independent, to agree with `==`.
        var combined = 0
        for member in members {
            var memberHasher = Hasher()
            memberHasher.combine(member.key)
            memberHasher.combine(member.value)
            combined ^= memberHasher.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(combined)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Creates an object from a literal; members keep the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}

extension JSONObject: CustomStringConvertible {
    /// The object as compact JSON.
    public var description: String { JSONValue.object(self).serializedString() }
}
