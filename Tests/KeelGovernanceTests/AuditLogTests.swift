import Foundation
import KeelCore
import KeelTestSupport
import Testing
@testable import KeelGovernance
@testable import KeelStore

@Suite("Audit chain")
struct AuditLogTests {
    static func event(_ i: Int) -> AuditEvent {
        AuditEvent(time: 1_750_000_000_000 + Int64(i), actor: "master", action: "key.create", target: "key_\(i)", outcome: "ok", teamID: "team_a", detail: #"{"n":\#(i)}"#)
    }

    /// A database with `count` chained entries, committed and closed.
    static func database(_ count: Int) async throws -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keel.db"
        let store = try GovernanceStore(path: path, logger: Logger(label: "t", sink: LogSink.memory().0))
        for i in 1...count { store.record(audit: event(i)) }
        await store.shutdown()
        return (directory, path)
    }

    static func tamper(_ path: String, _ sql: String) throws {
        let db = try SQLiteConnection(filename: path, mode: .readWrite)
        try db.execute(sql)
        db.close()
    }

    @Test func anUntouchedChainVerifiesAndSurvivesRestarts() async throws {
        let (directory, path) = try await Self.database(5)
        // A second process appends after a restart: the chain continues from the stored head.
        let store = try GovernanceStore(path: path, logger: Logger(label: "t", sink: LogSink.memory().0))
        store.record(audit: Self.event(6))
        let result = try await store.verifyAudit()
        #expect(result.isIntact)
        #expect(result.checked == 6)
        await store.shutdown()
        let offline = try GovernanceStore.verifyAudit(path: path)
        #expect(offline == result)
        _ = directory
    }

    @Test(arguments: [
        ("UPDATE gov_audit SET outcome = 'denied' WHERE seq = 3", Int64(3), "altered"),
        ("UPDATE gov_audit SET detail = '{\"n\":99}' WHERE seq = 7", Int64(7), "altered"),
        ("DELETE FROM gov_audit WHERE seq = 4", Int64(4), "missing"),
        ("DELETE FROM gov_audit WHERE seq >= 9", Int64(9), "removed from the end"),
        ("DELETE FROM gov_audit", Int64(1), "missing"),
        ("UPDATE gov_audit SET prev_hash = hash WHERE seq = 2", Int64(2), "prev_hash"),
    ])
    func tamperingIsDetectedAtTheFirstBadEntry(sql: String, firstBad: Int64, problem: String) async throws {
        let (directory, path) = try await Self.database(10)
        try Self.tamper(path, sql)
        let result = try GovernanceStore.verifyAudit(path: path)
        #expect(result.firstBadSeq == firstBad)
        #expect(result.problem?.contains(problem) == true, "\(result.problem ?? "")")
        _ = directory
    }

    @Test func recomputingOneEntrysHashBreaksTheNext() async throws {
        let (directory, path) = try await Self.database(4)
        var altered = Self.event(2)
        altered.outcome = "denied"
        let rows = try await GovernanceStore(path: path, logger: Logger(label: "t", sink: LogSink.memory().0)).audit(AuditQuery(limit: 10))
        let prev = try #require(rows.first { $0.seq == 2 }).prevHash
        let forged = AuditChain.hash(seq: 2, event: altered, prevHash: prev)
        try Self.tamper(path, "UPDATE gov_audit SET outcome = 'denied', hash = '\(forged)' WHERE seq = 2")
        #expect(try GovernanceStore.verifyAudit(path: path).firstBadSeq == 3)
        _ = directory
    }

    @Test func theCanonicalFormIsStable() {
        let hash = AuditChain.hash(seq: 1, event: Self.event(1), prevHash: AuditChain.genesis)
        let text = #"[1,1750000000001,"master","key.create","key_1","ok","team_a","{\"n\":1}","# + "\"" + AuditChain.genesis + "\"]"
        #expect(hash == Digest.hex(Digest.sha256(text)))
    }
}

@Suite("Governance store")
struct GovernanceStoreTests {
    @Test func spendIsBatchedAndReportedByGroup() async throws {
        let store = try GovernanceStore(path: ":memory:", flushInterval: .seconds(3600), logger: Logger(label: "t", sink: LogSink.memory().0))
        let day: Int64 = 1_750_000_000_000
        for (i, (team, model, cost)) in [("a", "m1", 100), ("a", "m2", 200), ("b", "m1", 400)].enumerated() {
            store.record(spend: SpendRecord(requestID: "r\(i)", time: day + Int64(i) * 86_400_000, keyID: "k\(team)", teamID: team, userID: nil,
                                            model: model, inputTokens: 10, outputTokens: 5, costNanos: Int64(cost), status: 200, tags: ["x"]))
        }
        // The hour-long flush interval has not passed: the report commits what is buffered first.
        let byTeam = try await store.spend(SpendQuery(groupBy: .team))
        #expect(byTeam.map(\.group) == ["b", "a"])
        #expect(byTeam.map(\.costNanos) == [400, 300])
        let byDay = try await store.spend(SpendQuery(groupBy: .day, teamID: "a"))
        #expect(byDay.map(\.group) == ["2025-06-15", "2025-06-16"])
        let window = try await store.spend(SpendQuery(groupBy: .model, from: day + 1, to: day + 2 * 86_400_000))
        #expect(window.map(\.group) == ["m2"])
        #expect(try store.spendTotals(by: .team, since: 0) == ["a": 300, "b": 400])
        await store.shutdown()
        store.record(spend: SpendRecord(requestID: "late", time: 0, keyID: nil, teamID: nil, userID: nil, model: "m", inputTokens: 0, outputTokens: 0, costNanos: 0, status: 200))
        #expect(store.droppedEntries == 1)
    }

    @Test func aTeamNameStaysUniqueAndSavingAgainUpdatesInPlace() async throws {
        let store = try GovernanceStore(path: ":memory:", logger: Logger(label: "t", sink: LogSink.memory().0))
        var team = TeamRecord(id: "team_1", name: "one", createdAt: 1, updatedAt: 1)
        try await store.save(team: team)
        team.rpmLimit = 10
        team.updatedAt = 2
        try await store.save(team: team)
        await #expect(throws: StoreError.self) { try await store.save(team: TeamRecord(id: "team_2", name: "one", createdAt: 3, updatedAt: 3)) }
        #expect(try store.loadTeams() == [team])
        await store.shutdown()
    }
}
