import Synchronization

/// Whose money a budget caps.
public struct BudgetAccount: Hashable, Sendable, CustomStringConvertible {
    /// The kind of account.
    public enum Scope: String, Sendable {
        case key, team, user
    }

    public var scope: Scope
    /// The key or team id; for users, `TEAM_ID/USER`.
    public var id: String

    public init(_ scope: Scope, _ id: String) {
        self.scope = scope
        self.id = id
    }

    public var description: String { "\(scope.rawValue) \(id)" }
}

/// One budget a request is charged against: its account, cap and period.
public struct BudgetCharge: Sendable, Equatable {
    public var account: BudgetAccount
    public var limitNanos: Int64
    public var period: BudgetPeriod

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

/// The in-process ``BudgetLedger``: one `Mutex` around every counter, so a reservation checks and holds
/// all of its budgets atomically.
public final class InMemoryBudgetLedger: BudgetLedger {
    private struct Counter {
        var periodStart: Int64
        var spent: Int64 = 0
        var held: Int64 = 0
    }

    private struct Hold {
        var amount: Int64
        var accounts: [(BudgetAccount, BudgetPeriod, Int64)]  // account, period, period start when held
    }

    private struct State {
        var counters: [BudgetAccount: Counter] = [:]
        var holds: [UInt64: Hold] = [:]

        mutating func counter(_ account: BudgetAccount, _ period: BudgetPeriod, now: Double) -> Counter {
            let start = period.start(containing: now)
            var counter = counters[account] ?? Counter(periodStart: start)
            if counter.periodStart != start {
                // A new period: spend starts over; holds of requests still running stay held.
                counter.periodStart = start
                counter.spent = 0
            }
            return counter
        }
    }

    private let state = Mutex(State())

    public init() {}

    public func reserve(_ id: UInt64, amountNanos: Int64, charges: [BudgetCharge], now: Double) -> BudgetDecision {
        state.withLock { state in
            var updated: [(BudgetAccount, Counter)] = []
            for charge in charges {
                let counter = state.counter(charge.account, charge.period, now: now)
                let committed = counter.spent + counter.held
                if committed + amountNanos > charge.limitNanos || committed >= charge.limitNanos {
                    return .exceeded(charge, committedNanos: committed)
                }
                updated.append((charge.account, counter))
            }
            var accounts: [(BudgetAccount, BudgetPeriod, Int64)] = []
            for (i, (account, var counter)) in updated.enumerated() {
                counter.held += amountNanos
                state.counters[account] = counter
                accounts.append((account, charges[i].period, counter.periodStart))
            }
            state.holds[id] = Hold(amount: amountNanos, accounts: accounts)
            return .reserved
        }
    }

    public func settle(_ id: UInt64, actualNanos: Int64, now: Double) {
        state.withLock { state in
            guard let hold = state.holds.removeValue(forKey: id) else { return }
            for (account, period, _) in hold.accounts {
                var counter = state.counter(account, period, now: now)
                counter.held = max(0, counter.held - hold.amount)
                counter.spent += actualNanos
                state.counters[account] = counter
            }
        }
    }

    public func release(_ id: UInt64) {
        state.withLock { state in
            guard let hold = state.holds.removeValue(forKey: id) else { return }
            for (account, _, _) in hold.accounts {
                if var counter = state.counters[account] {
                    counter.held = max(0, counter.held - hold.amount)
                    state.counters[account] = counter
                }
            }
        }
    }

    public func committed(_ account: BudgetAccount, period: BudgetPeriod, now: Double) -> Int64 {
        state.withLock { state in
            let counter = state.counter(account, period, now: now)
            return counter.spent + counter.held
        }
    }

    public func seed(_ account: BudgetAccount, period: BudgetPeriod, spentNanos: Int64, now: Double) {
        state.withLock { state in
            var counter = state.counter(account, period, now: now)
            counter.spent += spentNanos
            state.counters[account] = counter
        }
    }
}
