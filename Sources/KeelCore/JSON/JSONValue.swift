/// A parsed JSON document or a value to serialise.
///
/// Built for the gateway's hot path: `JSONParser` turns request and response bodies into
/// values, handlers read and rewrite them, and `JSONWriter` turns them back into bytes.
/// Numbers keep their source text (`JSONNumber`) and objects keep their key order
/// (`JSONObject`), so an untouched body re-serialises to the same members in the same
/// order with the same numbers.
///
/// ```swift
/// var body = try JSONValue(parsing: requestBytes)
/// let model = body["model"]?.stringValue
/// body.withObject { $0["stream"] = false }
/// let bytes = body.serialized()
/// ```
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, kept as its exact text.
    case number(JSONNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object with ordered members.
    case object(JSONObject)
}

// MARK: - Parsing and serialising

extension JSONValue {
    /// Parses UTF-8 JSON text with the default parser (depth limit 128).
    public init(parsing bytes: [UInt8]) throws(JSONError) {
        self = try JSONParser().parse(bytes)
    }

    /// Parses JSON text with the default parser (depth limit 128).
    public init(parsing text: String) throws(JSONError) {
        self = try JSONParser().parse(text)
    }

    /// Parses UTF-8 JSON text from any byte collection (contiguous collections are not copied).
    public init<Bytes: Collection<UInt8>>(parsing bytes: Bytes) throws(JSONError) {
        self = try JSONParser().parse(bytes)
    }

    /// The value as UTF-8 JSON text.
    public func serialized(options: JSONWriter.Options = []) -> [UInt8] {
        JSONWriter(options: options).serialize(self)
    }

    /// The value as JSON text.
    public func serializedString(options: JSONWriter.Options = []) -> String {
        let bytes = serialized(options: options)
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension JSONValue: CustomStringConvertible {
    /// The value as compact JSON.
    public var description: String { serializedString() }
}

// MARK: - Accessors

extension JSONValue {
    /// The member named `key` if this is an object that has one.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The element at `index` if this is an array and the index is in range.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    /// The string, if this is a string.
    public var stringValue: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// The number as an `Int`, if this is a number that is an integer in range (see `JSONNumber.int`).
    public var intValue: Int? {
        guard case .number(let value) = self else { return nil }
        return value.int
    }

    /// The number as a `Double`, if this is a finite number (see `JSONNumber.double`).
    public var doubleValue: Double? {
        guard case .number(let value) = self else { return nil }
        return value.double
    }

    /// The number, if this is a number.
    public var numberValue: JSONNumber? {
        guard case .number(let value) = self else { return nil }
        return value
    }

    /// The boolean, if this is `true` or `false`.
    public var boolValue: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        guard case .array(let value) = self else { return nil }
        return value
    }

    /// The object, if this is an object.
    public var objectValue: JSONObject? {
        guard case .object(let value) = self else { return nil }
        return value
    }

    /// `true` for `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Runs `body` on the object in place (without copying its storage) if this is an object.
    ///
    /// Returns `body`'s result, or `nil` (without calling it) when the value is not an object.
    @discardableResult
    public mutating func withObject<R>(_ body: (inout JSONObject) throws -> R) rethrows -> R? {
        guard case .object(var object) = self else { return nil }
        self = .null  // drop the second reference so `object` is uniquely owned
        defer { self = .object(object) }
        return try body(&object)
    }

    /// Runs `body` on the array in place (without copying its storage) if this is an array.
    ///
    /// Returns `body`'s result, or `nil` (without calling it) when the value is not an array.
    @discardableResult
    public mutating func withArray<R>(_ body: (inout [JSONValue]) throws -> R) rethrows -> R? {
        guard case .array(var array) = self else { return nil }
        self = .null
        defer { self = .array(array) }
        return try body(&array)
    }
}

// MARK: - Building values

extension JSONValue {
    /// A number from an integer.
    public init(_ value: Int) {
        self = .number(JSONNumber(value))
    }

    /// A number from a double; `null` for infinities and NaN, which JSON cannot represent.
    public init(_ value: Double) {
        if let number = JSONNumber(value) {
            self = .number(number)
        } else {
            self = .null
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    /// `null`.
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// `true` or `false`.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// An integer number.
    public init(integerLiteral value: Int) {
        self = .number(JSONNumber(value))
    }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// A number from a floating-point literal.
    public init(floatLiteral value: Double) {
        self = .number(JSONNumber(floatLiteral: value))
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// A string.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// An array.
    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object; members keep the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }
}
