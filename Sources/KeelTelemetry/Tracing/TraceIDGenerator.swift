import KeelCore
import Synchronization

/// Generates trace and span ids: unique, unpredictable enough for tracing, and cheap.
///
/// Each id is the SplitMix64 finaliser applied to a per-process random seed plus an atomic counter
/// times the golden-ratio increment. The finaliser is a bijection, so ids never repeat before 2^64
/// calls; the seed comes from the system's cryptographic generator, so ids differ between
/// processes and replicas. One id costs one relaxed atomic add and a few multiplications — no
/// system call and no lock. (Ids are not secrets: nothing here needs cryptographic strength.)
public final class TraceIDGenerator: Sendable {
    /// The process-wide generator.
    public static let shared = TraceIDGenerator()

    private let seed: UInt64
    private let counter = Atomic<UInt64>(0)

    /// A generator with a fresh random seed.
    public convenience init() {
        let bytes = Digest.randomBytes(8)
        self.init(seed: bytes.reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// A generator with a fixed seed (deterministic sequences for tests).
    public init(seed: UInt64) {
        self.seed = seed
    }

    /// A new span id, never zero.
    public func spanID() -> SpanID {
        SpanID(nextNonZero())
    }

    /// A new trace id, never all zero.
    public func traceID() -> TraceID {
        TraceID(high: next(), low: nextNonZero())
    }

    private func next() -> UInt64 {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return Self.mix(seed &+ n &* 0x9E37_79B9_7F4A_7C15)
    }

    private func nextNonZero() -> UInt64 {
        while true {
            let value = next()
            if value != 0 { return value }
        }
    }

    /// The SplitMix64 output function.
    static func mix(_ input: UInt64) -> UInt64 {
        var z = input
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
