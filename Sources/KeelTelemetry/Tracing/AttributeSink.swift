/// Receives attributes one at a time, each under a key known when Keel is compiled.
///
/// The convention values (``GenAISpanValues``, ``KeelSpanValues``, ``KeelAttemptValues``) write
/// themselves into a sink instead of into an ``AttributeValue`` list: the OTLP protobuf encoder's
/// sink writes each `KeyValue` straight into the span's bytes (no key `String`, no enum value, no
/// closure per attribute), and ``SpanAttributes`` collects them for the other exporters.
protocol AttributeSink: ~Copyable {
    mutating func add(_ key: StaticString, string value: String)
    mutating func add(_ key: StaticString, int value: Int64)
    mutating func add(_ key: StaticString, double value: Double)
    mutating func add(_ key: StaticString, bool value: Bool)
    mutating func add(_ key: StaticString, strings value: [String])
}

extension AttributeSink where Self: ~Copyable {
    @inline(__always)
    mutating func add(_ key: StaticString, _ value: String?) {
        if let value { add(key, string: value) }
    }

    @inline(__always)
    mutating func add(_ key: StaticString, _ value: Int?) {
        if let value { add(key, int: Int64(value)) }
    }

    @inline(__always)
    mutating func add(_ key: StaticString, _ value: Double?) {
        if let value { add(key, double: value) }
    }

    /// A list attribute, left out when nil or empty.
    @inline(__always)
    mutating func add(_ key: StaticString, _ value: [String]?) {
        if let value, !value.isEmpty { add(key, strings: value) }
    }
}

extension SpanAttributes: AttributeSink {
    mutating func add(_ key: StaticString, string value: String) { append(key.description, .string(value)) }
    mutating func add(_ key: StaticString, int value: Int64) { append(key.description, .int(value)) }
    mutating func add(_ key: StaticString, double value: Double) { append(key.description, .double(value)) }
    mutating func add(_ key: StaticString, bool value: Bool) { append(key.description, .bool(value)) }
    mutating func add(_ key: StaticString, strings value: [String]) { append(key.description, .stringArray(value)) }
}
