#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in nanoseconds since the Unix epoch, as OTLP timestamps are written.
public enum UnixNanos {
    /// The current time (`CLOCK_REALTIME`).
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// `nanos` plus a (non-negative) duration.
    public static func adding(_ duration: Duration, to nanos: UInt64) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        let delta = Int64(seconds) &* 1_000_000_000 &+ attoseconds / 1_000_000_000
        return delta >= 0 ? nanos &+ UInt64(delta) : nanos &- UInt64(-delta)
    }
}
