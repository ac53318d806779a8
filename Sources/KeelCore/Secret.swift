/// A credential read from configuration. It never prints its value: `description`, string
/// interpolation, `dump` and logging all show `********`. Read it with `reveal()` where it is sent.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret itself. Call it only where the secret is used (an outgoing header, a comparison).
    public func reveal() -> String { value }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { "********" }
    public var debugDescription: String { "Secret(********)" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
