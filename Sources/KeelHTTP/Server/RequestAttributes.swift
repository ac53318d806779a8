/// A key for a value that middleware attaches to a request for the handlers after it, such as the
/// authenticated caller or the trace context. Declare one empty enum per kind of value:
///
/// ```swift
/// enum CallerKey: RequestAttributeKey { typealias Value = Caller }
/// context.attributes[CallerKey.self] = caller
/// ```
public protocol RequestAttributeKey {
    /// The type of the value stored under this key.
    associatedtype Value: Sendable
}

/// Typed values attached to one request by middleware (see ``RequestAttributeKey``); the engine
/// itself stores nothing here, so modules above it can share per-request state without the HTTP
/// engine knowing their types.
public struct RequestAttributes: Sendable {
    private var storage: [ObjectIdentifier: any Sendable] = [:]

    /// No attributes.
    public init() {}

    /// The value stored under `key`, or nil; assigning nil removes it.
    public subscript<Key: RequestAttributeKey>(_ key: Key.Type) -> Key.Value? {
        get { storage[ObjectIdentifier(key)] as? Key.Value }
        set { storage[ObjectIdentifier(key)] = newValue }
    }
}
