/// How often a budget starts over. Periods are calendar periods in UTC: a day from midnight, a week
/// from Monday midnight, a month from the first; `total` never resets.
public enum BudgetPeriod: String, Sendable, CaseIterable {
    case daily, weekly, monthly, total

    /// The start of the period containing `time` (seconds since the Unix epoch), in seconds.
    public func start(containing time: Double) -> Int64 {
        let seconds = Int64(time.rounded(.down))
        let day = Self.floorDiv(seconds, 86_400)
        switch self {
        case .total:
            return 0
        case .daily:
            return day * 86_400
        case .weekly:
            // 1970-01-01 was a Thursday: (day + 3) mod 7 is the number of days since Monday.
            return (day - Self.floorMod(day + 3, 7)) * 86_400
        case .monthly:
            let (year, month, _) = Self.civil(fromDays: day)
            return Self.days(year: year, month: month, day: 1) * 86_400
        }
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    private static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    /// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// (year, month, day) → days since 1970-01-01.
    static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
