/// The value of a span, event, link or resource attribute: the types OpenTelemetry attributes allow
/// that Keel records.
public enum AttributeValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case stringArray([String])
}

extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// An ordered set of attributes: setting a key that is present replaces its value in place, so
/// every key appears once (as OpenTelemetry requires) and the export order is stable.
public struct SpanAttributes: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// The attributes in insertion order.
    public private(set) var entries: [(key: String, value: AttributeValue)]

    /// No attributes.
    public init() {
        entries = []
    }

    /// Attributes in the given order; a repeated key keeps its last value at its first position.
    public init(dictionaryLiteral elements: (String, AttributeValue)...) {
        entries = []
        entries.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }

    /// The number of attributes.
    public var count: Int { entries.count }

    /// Whether there are no attributes.
    public var isEmpty: Bool { entries.isEmpty }

    /// The value for `key`; setting nil removes the key.
    public subscript(key: String) -> AttributeValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            let index = entries.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let index?, let value?): entries[index].value = value
            case (let index?, nil): entries.remove(at: index)
            case (nil, let value?): entries.append((key, value))
            case (nil, nil): break
            }
        }
    }

    /// Sets `key` when `value` is not nil; a nil value leaves the attributes unchanged.
    public mutating func set(_ key: String, _ value: String?) {
        if let value { self[key] = .string(value) }
    }

    /// Sets `key` when `value` is not nil.
    public mutating func set(_ key: String, _ value: Int?) {
        if let value { self[key] = .int(Int64(value)) }
    }

    /// Sets `key` when `value` is not nil.
    public mutating func set(_ key: String, _ value: Double?) {
        if let value { self[key] = .double(value) }
    }

    /// Sets `key` when `value` is not nil.
    public mutating func set(_ key: String, _ value: Bool?) {
        if let value { self[key] = .bool(value) }
    }

    /// Sets `key` when `value` is not nil and not empty.
    public mutating func set(_ key: String, _ value: [String]?) {
        if let value, !value.isEmpty { self[key] = .stringArray(value) }
    }

    /// Adds every attribute of `other`, replacing values of keys present in both.
    public mutating func merge(_ other: SpanAttributes) {
        if entries.isEmpty {
            entries = other.entries
            return
        }
        for (key, value) in other.entries { self[key] = value }
    }

    // Appending without the lookup, for builders whose keys are distinct by construction (the
    // GenAI attribute sets, the response attributes of an attempt span): a request's spans are
    // built on the request path, so this matters.

    /// Appends `key` (which must not be present yet).
    public mutating func append(_ key: String, _ value: AttributeValue) {
        entries.append((key, value))
    }

    /// Appends `key` (which must not be present yet) when `value` is not nil.
    public mutating func append(_ key: String, _ value: String?) {
        if let value { entries.append((key, .string(value))) }
    }

    /// Appends `key` (which must not be present yet) when `value` is not nil.
    public mutating func append(_ key: String, _ value: Int?) {
        if let value { entries.append((key, .int(Int64(value)))) }
    }

    /// Appends `key` (which must not be present yet) when `value` is not nil.
    public mutating func append(_ key: String, _ value: Double?) {
        if let value { entries.append((key, .double(value))) }
    }

    /// Appends `key` (which must not be present yet) when `value` is not nil.
    public mutating func append(_ key: String, _ value: Bool?) {
        if let value { entries.append((key, .bool(value))) }
    }

    /// Appends `key` (which must not be present yet) when `value` is not nil and not empty.
    public mutating func append(_ key: String, _ value: [String]?) {
        if let value, !value.isEmpty { entries.append((key, .stringArray(value))) }
    }

    /// Appends every attribute of `other`, none of whose keys may be present yet.
    public mutating func appendAll(_ other: SpanAttributes) {
        entries.append(contentsOf: other.entries)
    }

    /// Room for `count` attributes without reallocating.
    mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: AttributeValue)]> {
        entries.makeIterator()
    }

    public static func == (lhs: SpanAttributes, rhs: SpanAttributes) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}
