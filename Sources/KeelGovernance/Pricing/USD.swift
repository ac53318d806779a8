/// Converts between US dollars and the nano-dollars budgets are kept in.
public enum USD {
    /// Nano-dollars per dollar.
    public static let nanosPerDollar: Double = 1_000_000_000

    /// `dollars` as nano-dollars, rounded to the nearest.
    public static func nanos(_ dollars: Double) -> Int64 { Int64((dollars * nanosPerDollar).rounded()) }

    /// `nanos` as dollars.
    public static func dollars(_ nanos: Int64) -> Double { Double(nanos) / nanosPerDollar }
}
