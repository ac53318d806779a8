/// The `trace-flags` field of W3C `traceparent`: eight bits, of which `sampled` (0x01) and `random`
/// (0x02, Trace Context level 2) are defined.
public struct TraceFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// The caller may have recorded this trace: downstream services should record it too.
    public static let sampled = TraceFlags(rawValue: 0x01)
    /// The rightmost 7 bytes of the trace id are random (W3C Trace Context level 2).
    public static let random = TraceFlags(rawValue: 0x02)
}
