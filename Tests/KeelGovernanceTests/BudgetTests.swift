import Foundation
import KeelConfig
import KeelCore
import KeelStore
import KeelHTTP
import KeelTestSupport
import Testing
@testable import KeelGovernance

@Suite("Budgets")
struct BudgetTests {
    /// One request of 1,000 prompt tokens and max_tokens 1,000 on `priced` reserves exactly $0.01.
    static let worstCase = 0.01

    @Test func twentyConcurrentRequestsAgainstABudgetWorthFiveServeExactlyFive() async throws {
        let governance = try makeGovernance()
        let team = try await governance.testTeam("a")
        let (caller, _) = try await governance.testKey(team: team, budget: 5 * Self.worstCase)
        let results = await concurrentAdmissions(governance, caller)
        #expect(results.compactMap(\.success).count == 5)
        let refusals = results.compactMap(\.failure)
        #expect(refusals.count == 15)
        for error in refusals {
            #expect(error.status == 429)
            #expect(error.code == .budgetExceeded)
            #expect(error.httpError.headers["x-should-retry"] == "false")
            #expect(error.message.contains("the key's budget"))
            #expect(error.message.contains("$0.05"))
        }
        await governance.shutdown()
    }

    @Test func theSameHoldsForTeamAndUserBudgets() async throws {
        let governance = try makeGovernance()
        let team = try await governance.testTeam("t", budget: 3 * Self.worstCase)
        let (first, _) = try await governance.testKey(team: team)
        let (second, _) = try await governance.testKey(team: team)
        async let a = concurrentAdmissions(governance, first, count: 10)
        async let b = concurrentAdmissions(governance, second, count: 10)
        let all = await a + b
        #expect(all.compactMap(\.success).count == 3)
        #expect(all.compactMap(\.failure).allSatisfy { $0.code == .budgetExceeded && $0.message.contains("team t's budget") })

        let users = try await governance.testTeam("u", userBudget: 2 * Self.worstCase)
        let (alice, _) = try await governance.testKey(team: users, user: "alice")
        let (bob, _) = try await governance.testKey(team: users, user: "bob")
        #expect(await concurrentAdmissions(governance, alice, count: 8).compactMap(\.success).count == 2)
        let bobResults = await concurrentAdmissions(governance, bob, count: 8)
        #expect(bobResults.compactMap(\.success).count == 2)
        #expect(bobResults.compactMap(\.failure).first?.message.contains("per-user budget of user bob") == true)
        await governance.shutdown()
    }

    @Test func settlingWithTheRealCostFreesTheRestOfTheReservation() async throws {
        let governance = try makeGovernance()
        let team = try await governance.testTeam("s")
        let (caller, _) = try await governance.testKey(team: team, budget: 2 * Self.worstCase)
        let one = try await governance.admit(caller, model: "priced", promptTokens: 1000, maxOutputTokens: 1000)
        let two = try await governance.admit(caller, model: "priced", promptTokens: 1000, maxOutputTokens: 1000)
        await #expect(throws: GovernanceError.self) { try await governance.admit(caller, model: "priced", promptTokens: 1000, maxOutputTokens: 1000) }
        // The first used 1,000 in + 100 out = $0.004 + $0.0006; the second failed before any tokens.
        let cost = await governance.settle(one, usage: TokenUsage(inputTokens: 1000, outputTokens: 100), status: 200, requestID: "r1")
        #expect(cost == 4_600_000)
        await governance.release(two)
        // Settling or releasing twice changes nothing.
        await governance.release(one)
        await governance.release(two)
        // $0.02 - $0.0046 = $0.0154 left: one more worst case fits, a second does not.
        _ = try await governance.admit(caller, model: "priced", promptTokens: 1000, maxOutputTokens: 1000)
        await #expect(throws: GovernanceError.self) { try await governance.admit(caller, model: "priced", promptTokens: 1000, maxOutputTokens: 1000) }
        await governance.shutdown()
    }

    @Test func spentBudgetSurvivesARestartAndStartsOverWithThePeriod() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keel.db"
        let clock = ManualClock(1_750_000_000) // 2025-06-15, a Sunday
        var governance = try makeGovernance(path: path, clock: clock)
        let team = try await governance.testTeam("r")
        let (caller, _) = try await governance.testKey(team: team, budget: 0.01, period: .daily)
        let reservation = try await governance.admit(caller, model: "priced", promptTokens: 1000, maxOutputTokens: 1000)
        await governance.settle(reservation, usage: TokenUsage(inputTokens: 1000, outputTokens: 1000), status: 200)
        await governance.shutdown()

        governance = try makeGovernance(path: path, clock: clock)
        await #expect(throws: GovernanceError.self) { try await governance.admit(caller, model: "priced", promptTokens: 1, maxOutputTokens: 1) }
        clock.advance(86_400)
        _ = try await governance.admit(caller, model: "priced", promptTokens: 1000, maxOutputTokens: 1000)
        await governance.shutdown()
    }

    @Test func periodsStartAtUTCCalendarBoundaries() {
        let t = 1_750_000_000.0 // 2025-06-15T15:06:40Z, a Sunday
        #expect(BudgetPeriod.daily.start(containing: t) == 1_749_945_600) // 2025-06-15
        #expect(BudgetPeriod.weekly.start(containing: t) == 1_749_427_200) // Monday 2025-06-09
        #expect(BudgetPeriod.monthly.start(containing: t) == 1_748_736_000) // 2025-06-01
        #expect(BudgetPeriod.total.start(containing: t) == 0)
        #expect(BudgetPeriod.monthly.start(containing: 1_709_251_199) == 1_706_745_600) // 2024-02-29 → 2024-02-01
    }

    @Test func theLedgerIsAllOrNothingAcrossBudgets() async {
        let ledger = InMemoryBudgetLedger()
        let key = BudgetCharge(account: BudgetAccount(.key, "k"), limitNanos: 100, period: .total)
        let team = BudgetCharge(account: BudgetAccount(.team, "t"), limitNanos: 150, period: .total)
        #expect(ledger.reserve(1, amountNanos: 60, charges: [key, team], now: 0) == .reserved)
        // The key has room for 40 more, the team for 90: 50 fails on the key and holds nothing on the team.
        #expect(ledger.reserve(2, amountNanos: 50, charges: [key, team], now: 0) == .exceeded(key, committedNanos: 60))
        #expect(ledger.committed(team.account, period: .total, now: 0) == 60)
        ledger.settle(1, actualNanos: 10, now: 0)
        #expect(ledger.committed(key.account, period: .total, now: 0) == 10)
    }
}

@Suite("Rate limits")
struct RateLimitTests {
    @Test func twentyConcurrentRequestsAgainstAnRPMOfFiveServeExactlyFive() async throws {
        let clock = ManualClock()
        let governance = try makeGovernance(clock: clock)
        let team = try await governance.testTeam("a")
        let (caller, _) = try await governance.testKey(team: team, rpm: 5)
        let results = await concurrentAdmissions(governance, caller, model: "gpt-4o-mini")
        #expect(results.compactMap(\.success).count == 5)
        let refusals = results.compactMap(\.failure)
        #expect(refusals.count == 15)
        for error in refusals {
            #expect(error.status == 429)
            #expect(error.code == .rateLimitExceeded)
            #expect(error.headers["retry-after"] == "12")
            #expect(error.headers["x-ratelimit-limit-requests"] == "5")
            #expect(error.headers["x-ratelimit-remaining-requests"] == "0")
            #expect(error.message.contains("5 requests per minute"))
        }
        #expect(results.compactMap(\.success).last?.headers["x-ratelimit-limit-requests"] == "5")
        // One request's worth refills every 12 seconds.
        clock.advance(12)
        _ = try await governance.admit(caller, model: "gpt-4o-mini", promptTokens: 10, maxOutputTokens: 10)
        await #expect(throws: GovernanceError.self) { try await governance.admit(caller, model: "gpt-4o-mini", promptTokens: 10, maxOutputTokens: 10) }
        await governance.shutdown()
    }

    @Test func tokensPerMinuteCountTheEstimateThenTheRealUsage() async throws {
        let clock = ManualClock()
        let governance = try makeGovernance(clock: clock)
        let team = try await governance.testTeam("t", tpm: 1000)
        let (caller, _) = try await governance.testKey(team: team)
        let first = try await governance.admit(caller, model: "gpt-4o-mini", promptTokens: 300, maxOutputTokens: 300)
        #expect(first.headers["x-ratelimit-remaining-tokens"] == "400")
        do {
            _ = try await governance.admit(caller, model: "gpt-4o-mini", promptTokens: 300, maxOutputTokens: 300)
            Issue.record("expected the token limit to refuse")
        } catch {
            #expect(error.code == .rateLimitExceeded)
            #expect(error.message.contains("team team_t: 1000 tokens per minute"))
            #expect(error.headers["x-ratelimit-limit-tokens"] == "1000")
        }
        // The first request really used 200 tokens: 400 go back.
        await governance.settle(first, usage: TokenUsage(inputTokens: 150, outputTokens: 50), status: 200)
        _ = try await governance.admit(caller, model: "gpt-4o-mini", promptTokens: 300, maxOutputTokens: 300)
        await governance.shutdown()
    }

    @Test func modelLimitsApplyAcrossCallersAndReleasedRequestsGiveTheirSlotBack() async throws {
        let governance = try makeGovernance { $0.auth.modelLimits = ["claude": RateLimitConfig(rpm: 2)] }
        let a = try await governance.testTeam("a")
        let b = try await governance.testTeam("b")
        let (alice, _) = try await governance.testKey(team: a)
        let (bob, _) = try await governance.testKey(team: b)
        let first = try await governance.admit(alice, model: "claude", promptTokens: 1, maxOutputTokens: 1)
        _ = try await governance.admit(bob, model: "claude", promptTokens: 1, maxOutputTokens: 1)
        await #expect(throws: GovernanceError.self) { try await governance.admit(bob, model: "claude", promptTokens: 1, maxOutputTokens: 1) }
        await governance.release(first)
        _ = try await governance.admit(bob, model: "claude", promptTokens: 1, maxOutputTokens: 1)
        // Other models are not limited.
        _ = try await governance.admit(bob, model: "gpt-4o-mini", promptTokens: 1, maxOutputTokens: 1)
        await governance.shutdown()
    }

    @Test func aRateLimitRefusalReleasesTheBudgetHold() async throws {
        let governance = try makeGovernance()
        let team = try await governance.testTeam("x")
        let (caller, _) = try await governance.testKey(team: team, budget: 0.02, rpm: 1)
        _ = try await governance.admit(caller, model: "priced", promptTokens: 1000, maxOutputTokens: 1000)
        await #expect(throws: GovernanceError.self) { try await governance.admit(caller, model: "priced", promptTokens: 1000, maxOutputTokens: 1000) }
        let held = await governance.budgets.committed(BudgetAccount(.key, caller.keyID!), period: .monthly, now: governance.now())
        #expect(held == 10_000_000)
        await governance.shutdown()
    }
}

@Suite("Admission")
struct AdmissionTests {
    @Test func allowListsAndRolesAre403() async throws {
        let governance = try makeGovernance()
        let team = try await governance.testTeam("m", models: ["priced", "gpt-4o-mini"])
        let (limited, _) = try await governance.testKey(team: team, models: ["priced"])
        let (viewer, _) = try await governance.testKey(team: team, role: .viewer)
        let (teamWide, _) = try await governance.testKey(team: team)
        _ = try await governance.admit(limited, model: "priced", promptTokens: 1, maxOutputTokens: 1)
        for (caller, model, text) in [(limited, "gpt-4o-mini", "for this key"), (teamWide, "claude", "for team m")] {
            do {
                _ = try await governance.admit(caller, model: model, promptTokens: 1, maxOutputTokens: 1)
                Issue.record("expected \(model) to be refused")
            } catch {
                #expect(error.status == 403)
                #expect(error.code == .modelNotAllowed)
                #expect(error.message.contains(text))
                #expect(error.httpError.code == "model_not_allowed")
            }
        }
        await #expect(throws: GovernanceError.self) { try await governance.admit(viewer, model: "priced", promptTokens: 1, maxOutputTokens: 1) }
        // The master key is not restricted.
        _ = try await governance.admit(.master, model: "claude", promptTokens: 1, maxOutputTokens: 1)
        await governance.shutdown()
    }

    @Test func everyDecisionIsAudited() async throws {
        let governance = try makeGovernance()
        let team = try await governance.testTeam("q", models: ["priced"])
        let (caller, _) = try await governance.testKey(team: team)
        _ = try await governance.admit(caller, model: "priced", promptTokens: 1, maxOutputTokens: 1, requestID: "req-1")
        _ = try? await governance.admit(caller, model: "claude", promptTokens: 1, maxOutputTokens: 1, requestID: "req-2")
        let entries = try await governance.store.audit(AuditQuery(action: "request.admit"))
        #expect(entries.map(\.event.outcome) == ["denied", "allowed"])
        #expect(entries[0].event.actor == caller.actor)
        #expect(entries[0].event.teamID == team.id)
        #expect(entries[0].event.detail.contains("model_not_allowed"))
        #expect(entries[1].event.detail.contains("req-1"))
        #expect(try await governance.store.verifyAudit().isIntact)
        await governance.shutdown()
    }

    @Test func authenticationRefusesUnknownExpiredAndRevokedKeys() async throws {
        let clock = ManualClock()
        let governance = try makeGovernance(clock: clock)
        let team = try await governance.testTeam("k")
        let expiresAt = Int64((clock.now + 60) * 1000)
        let (caller, secret) = try await governance.testKey(team: team, role: .teamAdmin, user: "ann", expiresAt: expiresAt)
        #expect(try governance.authenticate(["authorization": "Bearer \(secret)"]) == caller)
        #expect(try governance.authenticate(["x-api-key": secret]) == caller)
        #expect(try governance.authenticate(["authorization": "Bearer sk-master-test"]) == .master)
        for headers: HTTPHeadersLiteral in [[:], ["authorization": "Bearer sk-keel-unknown"], ["authorization": "Bearer nope"]] {
            #expect(throws: GovernanceError.self) { try governance.authenticate(headers.headers) }
        }
        clock.advance(61)
        do {
            _ = try governance.authenticate(["authorization": "Bearer \(secret)"])
            Issue.record("an expired key was accepted")
        } catch {
            #expect(error.status == 401)
            #expect(error.message.contains("expired"))
            #expect(!error.message.contains(secret))
        }
        await governance.shutdown()
    }

    @Test func tagsComeFromTheHeaderAndTheMetadata() throws {
        let metadata = try JSONValue(parsing: #"{"tags": ["feature:search", "team-x"]}"#)
        let tags = Governance.tags(headers: ["x-keel-tags": "env:prod, feature:search ,"], metadata: metadata)
        #expect(tags == ["env:prod", "feature:search", "team-x"])
    }
}

/// Header literals for parameterised loops.
struct HTTPHeadersLiteral: ExpressibleByDictionaryLiteral {
    let headers: HTTPHeaders
    init(dictionaryLiteral elements: (String, String)...) {
        headers = HTTPHeaders(elements.map { ($0.0, $0.1) })
    }
}
