/// A credential read from configuration. It never prints its value: `description`, string
/// interpolation, `dump` and logging all show `********`. Read it with `reveal()` where it is sent.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    /// Wraps `value`.
    public init(_ value: String) { self.value = value }

    /// The secret itself. Call it only where the secret is used (an outgoing header, a comparison).
    public func reveal() -> String { value }

    /// Whether the secret is the empty string.
    public var isEmpty: Bool { value.isEmpty }
    /// Always `********`.
    public var description: String { "********" }
    /// Always `Secret(********)`.
    public var debugDescription: String { "Secret(********)" }
    /// A mirror without children, so `dump` and reflection show nothing of the value.
    public var customMirror: Mirror { Mirror(self, children: []) }
}
