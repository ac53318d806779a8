/// Whose money a budget caps.
public struct BudgetAccount: Hashable, Sendable, CustomStringConvertible {
    /// The kind of account.
    public enum Scope: String, Sendable {
        case key, team, user
    }

    /// What the limit or budget applies to.
    public var scope: Scope
    /// The key or team id; for users, `TEAM_ID/USER`.
    public var id: String

    /// Creates a value with the given fields.
    public init(_ scope: Scope, _ id: String) {
        self.scope = scope
        self.id = id
    }

    /// A readable form for logs and messages.
    public var description: String { "\(scope.rawValue) \(id)" }
}

/// One budget a request is charged against: its account, cap and period.
public struct BudgetCharge: Sendable, Equatable {
    /// Whose money is charged.
    public var account: BudgetAccount
    /// The cap, in nano-dollars.
    public var limitNanos: Int64
    /// How often the budget starts over.
    public var period: BudgetPeriod

    /// Creates a value with the given fields.
    public init(account: BudgetAccount, limitNanos: Int64, period: BudgetPeriod) {
        self.account = account
        self.limitNanos = limitNanos
        self.period = period
    }
}

/// The ledger's answer to a reservation.
public enum BudgetDecision: Sendable, Equatable {
    /// The amount is held against every budget until settled or released.
    case reserved
    /// This budget would be exceeded: its cap, and what is spent plus held now (nano-dollars).
    case exceeded(BudgetCharge, committedNanos: Int64)
}

/// Budget counters with reservations: a request holds its worst-case cost before it runs and settles
/// the real cost afterwards, so concurrent requests can never spend more than a budget.
///
/// ``InMemoryBudgetLedger`` is exact within one process. A shared backend (Redis, PostgreSQL) implements
/// the same calls with an atomic check-and-add per reservation, for several replicas.
public protocol BudgetLedger: Sendable {
    /// Holds `amountNanos` against every charge, or none of them if any cap would be exceeded.
    /// `now` is seconds since the Unix epoch (it decides the budget period).
    func reserve(_ id: UInt64, amountNanos: Int64, charges: [BudgetCharge], now: Double) async -> BudgetDecision
    /// Replaces the hold of reservation `id` by the actual cost. Unknown or finished ids are ignored.
    func settle(_ id: UInt64, actualNanos: Int64, now: Double) async
    /// Drops the hold of reservation `id` (the request failed before costing anything).
    func release(_ id: UInt64) async
    /// Spend plus holds of `account` in the period containing `now`.
    func committed(_ account: BudgetAccount, period: BudgetPeriod, now: Double) async -> Int64
    /// Adds already-recorded spend (read from the store at start) to `account`'s current period.
    func seed(_ account: BudgetAccount, period: BudgetPeriod, spentNanos: Int64, now: Double)
}
