import Foundation
import KeelConfig
import KeelCore
import KeelStore
import KeelTestSupport
import Synchronization
@testable import KeelGovernance

/// A wall clock the test moves by hand (seconds since the Unix epoch).
final class ManualClock: Sendable {
    private let seconds: Mutex<Double>
    init(_ start: Double = 1_750_000_000) { seconds = Mutex(start) }
    var now: Double { seconds.withLock { $0 } }
    func advance(_ delta: Double) { seconds.withLock { $0 += delta } }
    var function: @Sendable () -> Double { { self.now } }
}

/// A model priced so that one request of 1,000 prompt tokens and `max_tokens: 1000` has a worst case of
/// exactly $0.01: input $4/M, output $6/M.
let pricedModel = ModelConfig(
    name: "priced",
    routes: [RouteConfig(provider: "openai", model: "priced-upstream")],
    pricing: ModelPricing(inputPerMillion: 4, outputPerMillion: 6)
)

func governanceConfig(_ configure: (inout KeelConfig) -> Void = { _ in }) -> KeelConfig {
    var config = KeelConfig()
    config.server.masterKey = Secret("sk-master-test")
    config.providers = [ProviderConfig(name: "openai", kind: .openai)]
    config.models = [
        pricedModel,
        ModelConfig(name: "gpt-4o-mini", routes: [RouteConfig(provider: "openai", model: "gpt-4o-mini")]),
        ModelConfig(name: "claude", routes: [RouteConfig(provider: "openai", model: "claude-sonnet-4-5")]),
    ]
    configure(&config)
    return config
}

/// Governance over a store at `path` (in memory by default) with a manual clock.
func makeGovernance(
    path: String = ":memory:",
    clock: ManualClock = ManualClock(),
    logs: LogSink = LogSink.memory().0,
    _ configure: (inout KeelConfig) -> Void = { _ in }
) throws -> Governance {
    let store = try GovernanceStore(path: path, flushInterval: .milliseconds(5), logger: Logger(label: "test", sink: logs))
    return try Governance(config: governanceConfig(configure), store: store, logger: Logger(label: "test", sink: logs), now: clock.function)
}

extension Governance {
    /// Creates a team directly (as the admin API does), for data-plane tests.
    func testTeam(_ name: String, budget: Double? = nil, period: BudgetPeriod = .monthly, userBudget: Double? = nil,
                  rpm: Int? = nil, tpm: Int? = nil, models: [String]? = nil) async throws -> TeamRecord {
        let team = TeamRecord(id: "team_\(name)", name: name, maxBudgetUSD: budget, budgetPeriod: period.rawValue, userMaxBudgetUSD: userBudget,
                              rpmLimit: rpm, tpmLimit: tpm, models: models, createdAt: nowMillis, updatedAt: nowMillis)
        try await store.save(team: team)
        directory.withLock { $0.put(team: team) }
        return team
    }

    /// Creates a key directly and returns its caller and secret.
    func testKey(team: TeamRecord, role: Role = .developer, user: String? = nil, models: [String]? = nil, budget: Double? = nil,
                 period: BudgetPeriod = .monthly, rpm: Int? = nil, tpm: Int? = nil, expiresAt: Int64? = nil) async throws -> (Caller, String) {
        let secret = VirtualKey.generate()
        let key = KeyRecord(id: VirtualKey.identifier("key"), teamID: team.id, role: role.rawValue, userID: user, models: models, maxBudgetUSD: budget,
                            budgetPeriod: period.rawValue, rpmLimit: rpm, tpmLimit: tpm, expiresAt: expiresAt,
                            keyHash: VirtualKey.hash(secret), keyPrefix: VirtualKey.prefix(secret), createdAt: nowMillis)
        try await store.save(key: key)
        directory.withLock { $0.put(key: key) }
        return (Caller(credential: .key(id: key.id), role: role, teamID: team.id, userID: user), secret)
    }
}

/// Runs `count` admissions at once and returns the outcomes.
func concurrentAdmissions(_ governance: Governance, _ caller: Caller, model: String = "priced", count: Int = 20,
                          promptTokens: Int = 1000, maxOutputTokens: Int = 1000) async -> [Result<Reservation, GovernanceError>] {
    await withTaskGroup(of: Result<Reservation, GovernanceError>.self) { group in
        for _ in 0..<count {
            group.addTask {
                do throws(GovernanceError) {
                    return .success(try await governance.admit(caller, model: model, promptTokens: promptTokens, maxOutputTokens: maxOutputTokens))
                } catch {
                    return .failure(error)
                }
            }
        }
        var results: [Result<Reservation, GovernanceError>] = []
        for await result in group { results.append(result) }
        return results
    }
}

extension Result {
    var success: Success? { if case .success(let s) = self { s } else { nil } }
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}
