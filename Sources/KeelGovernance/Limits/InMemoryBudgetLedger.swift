import Synchronization

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
