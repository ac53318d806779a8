import Dispatch
import Foundation
import KeelCore
import Synchronization

/// Persistence for governance: teams, virtual keys, the spend ledger and the audit chain, in the same
/// SQLite database as the request log (tables `gov_*`, created by migration 3).
///
/// **Writes on the request path never touch the disk.** ``record(spend:)`` and ``record(audit:)`` append to
/// an in-memory buffer and return; a serial dispatch queue (never the Swift cooperative pool) commits the
/// buffer in one transaction at the latest `flushInterval` after its first entry, sooner when `batchSize`
/// entries wait. The audit chain (sequence numbers and hashes) is assigned by that writer in commit
/// order, so entries dropped under overload (more than `capacity` waiting) leave no gap in the chain.
/// ``shutdown()`` commits everything accepted, so SIGTERM loses nothing.
///
/// **Admin changes** (teams, keys) are written through at once with ``perform(_:)``-style async methods
/// that run on the same queue: when they return, the change is committed.
///
/// `@unchecked Sendable`: `db`, `auditHead` and the prepared statements are touched only on `queue`;
/// everything else shared is behind `pending` (a `Mutex`).
public final class GovernanceStore: @unchecked Sendable {
    private struct Pending {
        var spend: [SpendRecord] = []
        var audit: [AuditEvent] = []
        var scheduled = false
        var closed = false
        var dropped = 0
    }

    /// The path the store was opened with.
    public let path: String
    private let queue = DispatchQueue(label: "keel-governance-store")
    private let pending = Mutex(Pending())
    private let failed = Atomic<Int>(0)
    private var db: SQLiteConnection?
    private var auditHead: (seq: Int64, hash: String) = (0, AuditChain.genesis)
    private let flushDelay: DispatchTimeInterval
    private let batchSize: Int
    private let capacity: Int
    private let logger: Logger

    /// Opens (creating and migrating if needed) the database at `path`; `":memory:"` opens a private
    /// in-memory database.
    ///
    /// - Parameters:
    ///   - flushInterval: the longest a spend or audit entry waits before it is committed. Default 100 ms.
    ///   - batchSize: entries waiting that trigger a commit at once. Default 512.
    ///   - capacity: the most entries waiting; beyond it new entries are dropped and counted. Default 100,000.
    public init(path: String, flushInterval: Duration = .milliseconds(100), batchSize: Int = 512, capacity: Int = 100_000, logger: Logger) throws {
        self.path = path
        self.logger = logger
        self.batchSize = max(1, batchSize)
        self.capacity = max(1, capacity)
        let ms = Int(flushInterval.components.seconds * 1000 + flushInterval.components.attoseconds / 1_000_000_000_000_000)
        flushDelay = .milliseconds(max(1, ms))
        let filename: String
        if path == ":memory:" {
            filename = "file:/keel-governance-\(UUID().uuidString)?vfs=memdb"
        } else {
            filename = path
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        }
        let connection = try SQLiteConnection(filename: filename, mode: .readWrite)
        connection.setBusyTimeout(milliseconds: SQLiteStore.busyTimeoutMilliseconds)
        if path != ":memory:" {
            _ = try connection.scalarText("PRAGMA journal_mode = WAL")
            try connection.execute("PRAGMA synchronous = NORMAL")
        }
        _ = try SQLiteStore.migrate(connection)
        let head = try connection.prepare("SELECT seq, hash FROM gov_audit ORDER BY seq DESC LIMIT 1")
        if try head.step() {
            auditHead = (head.columnInt64(0), head.columnText(1))
        }
        db = connection
    }

    deinit {
        db?.close()
    }

    // MARK: Request path (never blocks on the disk)

    /// Accepts a spend record; it is committed within the flush interval.
    public func record(spend: SpendRecord) {
        enqueue { $0.spend.append(spend) }
    }

    /// Accepts an audit event; it is chained and committed within the flush interval.
    public func record(audit: AuditEvent) {
        enqueue { $0.audit.append(audit) }
    }

    /// Entries dropped because the buffer was full or the store shut down, plus entries whose commit failed.
    public var droppedEntries: Int {
        pending.withLock { $0.dropped } + failed.load(ordering: .relaxed)
    }

    private func enqueue(_ add: (inout Pending) -> Void) {
        enum Action { case none, schedule, flushNow, dropped(first: Bool) }
        let action: Action = pending.withLock { state in
            if state.closed || state.spend.count + state.audit.count >= capacity {
                state.dropped += 1
                return .dropped(first: state.dropped == 1)
            }
            add(&state)
            if state.spend.count + state.audit.count >= batchSize { return .flushNow }
            if !state.scheduled {
                state.scheduled = true
                return .schedule
            }
            return .none
        }
        switch action {
        case .none: break
        case .schedule: queue.asyncAfter(deadline: .now() + flushDelay) { [self] in commitPending() }
        case .flushNow: queue.async { [self] in commitPending() }
        case .dropped(let first):
            if first { logger.warning("governance write buffer is full or closed; dropping spend and audit entries") }
        }
    }

    /// Commits whatever is buffered. Runs on `queue` only.
    private func commitPending() {
        let (spend, audit) = pending.withLock { state -> ([SpendRecord], [AuditEvent]) in
            state.scheduled = false
            defer { state.spend.removeAll(keepingCapacity: true); state.audit.removeAll(keepingCapacity: true) }
            return (state.spend, state.audit)
        }
        guard !spend.isEmpty || !audit.isEmpty, let db else { return }
        var head = auditHead
        do {
            try db.execute("BEGIN IMMEDIATE")
            if !spend.isEmpty {
                let insert = try db.prepare(
                    """
                    INSERT INTO gov_spend (request_id, time, key_id, team_id, user_id, model, input_tokens, output_tokens,
                        cached_input_tokens, cache_write_tokens, cost_nanos, status, tags)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    persistent: true
                )
                for s in spend {
                    insert.reset()
                    try insert.bind(s.requestID, at: 1)
                    try insert.bind(s.time, at: 2)
                    try insert.bind(s.keyID, at: 3)
                    try insert.bind(s.teamID, at: 4)
                    try insert.bind(s.userID, at: 5)
                    try insert.bind(s.model, at: 6)
                    try insert.bind(s.inputTokens, at: 7)
                    try insert.bind(s.outputTokens, at: 8)
                    try insert.bind(s.cachedInputTokens, at: 9)
                    try insert.bind(s.cacheWriteTokens, at: 10)
                    try insert.bind(s.costNanos, at: 11)
                    try insert.bind(s.status, at: 12)
                    try insert.bind(Self.encodeList(s.tags) ?? "[]", at: 13)
                    try insert.run()
                }
            }
            if !audit.isEmpty {
                let insert = try db.prepare(
                    "INSERT INTO gov_audit (seq, time, actor, action, target, outcome, team_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    persistent: true
                )
                for event in audit {
                    let seq = head.seq + 1
                    let hash = AuditChain.hash(seq: seq, event: event, prevHash: head.hash)
                    insert.reset()
                    try insert.bind(seq, at: 1)
                    try insert.bind(event.time, at: 2)
                    try insert.bind(event.actor, at: 3)
                    try insert.bind(event.action, at: 4)
                    try insert.bind(event.target, at: 5)
                    try insert.bind(event.outcome, at: 6)
                    try insert.bind(event.teamID, at: 7)
                    try insert.bind(event.detail, at: 8)
                    try insert.bind(head.hash, at: 9)
                    try insert.bind(hash, at: 10)
                    try insert.run()
                    head = (seq, hash)
                }
                let checkpoint = try db.prepare("INSERT OR REPLACE INTO gov_audit_head (id, seq, hash) VALUES (1, ?, ?)", persistent: true)
                checkpoint.reset()
                try checkpoint.bind(head.seq, at: 1)
                try checkpoint.bind(head.hash, at: 2)
                try checkpoint.run()
            }
            try db.execute("COMMIT")
            auditHead = head
        } catch {
            if !db.isAutocommit { try? db.execute("ROLLBACK") }
            failed.add(spend.count + audit.count, ordering: .relaxed)
            logger.error("could not write governance entries; they are lost", ["error": "\(error)", "count": String(spend.count + audit.count)])
        }
    }

    // MARK: Flush and shutdown

    /// Returns once everything accepted before the call is committed.
    public func flush() async {
        await onQueue { [self] _ in commitPending() }
    }

    /// Commits everything accepted, refuses further entries and closes the database. Idempotent.
    public func shutdown() async {
        pending.withLock { $0.closed = true }
        await onQueue { [self] _ in
            commitPending()
            db?.close()
            db = nil
        }
    }

    // MARK: Admin writes and reads (off the cooperative pool, on the store's queue)

    /// Runs `body` with the connection on the store's queue. Throws ``StoreError/Code/closed`` after shutdown.
    private func perform<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                guard let db else {
                    continuation.resume(throwing: StoreError(.closed, "the governance store is shut down"))
                    return
                }
                continuation.resume(with: Result { try body(db) })
            }
        }
    }

    private func onQueue(_ body: @escaping @Sendable (SQLiteConnection?) -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                body(db)
                continuation.resume()
            }
        }
    }

    /// Synchronous read for start-up (seeding caches before serving). Never call it on the request path.
    private func performNow<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try queue.sync {
            guard let db else { throw StoreError(.closed, "the governance store is shut down") }
            return try body(db)
        }
    }

    /// Every team. For start-up.
    public func loadTeams() throws -> [TeamRecord] {
        try performNow { db in
            let stmt = try db.prepare(
                "SELECT id, name, max_budget_usd, budget_period, user_max_budget_usd, rpm_limit, tpm_limit, models, metadata, created_at, updated_at FROM gov_teams ORDER BY created_at, id"
            )
            var teams: [TeamRecord] = []
            while try stmt.step() {
                teams.append(TeamRecord(
                    id: stmt.columnText(0), name: stmt.columnText(1), maxBudgetUSD: stmt.columnDoubleOrNil(2), budgetPeriod: stmt.columnText(3),
                    userMaxBudgetUSD: stmt.columnDoubleOrNil(4), rpmLimit: stmt.columnIntOrNil(5), tpmLimit: stmt.columnIntOrNil(6),
                    models: Self.decodeList(stmt.columnTextOrNil(7)), metadata: stmt.columnText(8), createdAt: stmt.columnInt64(9), updatedAt: stmt.columnInt64(10)
                ))
            }
            return teams
        }
    }

    /// Every key, revoked ones included. For start-up.
    public func loadKeys() throws -> [KeyRecord] {
        try performNow { db in
            let stmt = try db.prepare(
                """
                SELECT id, team_id, name, role, user_id, models, max_budget_usd, budget_period, rpm_limit, tpm_limit, expires_at,
                       metadata, key_hash, key_prefix, created_at, rotated_at, revoked_at
                FROM gov_keys ORDER BY created_at, id
                """
            )
            var keys: [KeyRecord] = []
            while try stmt.step() {
                keys.append(KeyRecord(
                    id: stmt.columnText(0), teamID: stmt.columnText(1), name: stmt.columnTextOrNil(2), role: stmt.columnText(3),
                    userID: stmt.columnTextOrNil(4), models: Self.decodeList(stmt.columnTextOrNil(5)), maxBudgetUSD: stmt.columnDoubleOrNil(6),
                    budgetPeriod: stmt.columnText(7), rpmLimit: stmt.columnIntOrNil(8), tpmLimit: stmt.columnIntOrNil(9),
                    expiresAt: stmt.columnInt64OrNil(10), metadata: stmt.columnText(11), keyHash: stmt.columnText(12), keyPrefix: stmt.columnText(13),
                    createdAt: stmt.columnInt64(14), rotatedAt: stmt.columnInt64OrNil(15), revokedAt: stmt.columnInt64OrNil(16)
                ))
            }
            return keys
        }
    }

    /// Spend in nano-dollars since `since` (ms), summed per key, team or user (optionally within one team).
    /// For seeding budget counters at start-up.
    public func spendTotals(by grouping: SpendGrouping, since: Int64, teamID: String? = nil) throws -> [String: Int64] {
        let column: String
        switch grouping {
        case .key: column = "key_id"
        case .team: column = "team_id"
        case .user: column = "user_id"
        case .model: column = "model"
        case .day: column = "strftime('%Y-%m-%d', time / 1000, 'unixepoch')"
        }
        return try performNow { db in
            let stmt = try db.prepare(
                "SELECT \(column), SUM(cost_nanos) FROM gov_spend WHERE time >= ? AND (? IS NULL OR team_id = ?) AND \(column) IS NOT NULL GROUP BY \(column)"
            )
            try stmt.bind(since, at: 1)
            try stmt.bind(teamID, at: 2)
            try stmt.bind(teamID, at: 3)
            var totals: [String: Int64] = [:]
            while try stmt.step() { totals[stmt.columnText(0)] = stmt.columnInt64(1) }
            return totals
        }
    }

    /// Inserts a team or updates the one with the same id; committed when this returns. A name already
    /// used by another team fails with a `UNIQUE` constraint error.
    public func save(team: TeamRecord) async throws {
        try await perform { db in
            let stmt = try db.prepare(
                """
                INSERT INTO gov_teams (id, name, max_budget_usd, budget_period, user_max_budget_usd, rpm_limit, tpm_limit, models, metadata, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, max_budget_usd = excluded.max_budget_usd,
                    budget_period = excluded.budget_period, user_max_budget_usd = excluded.user_max_budget_usd,
                    rpm_limit = excluded.rpm_limit, tpm_limit = excluded.tpm_limit, models = excluded.models,
                    metadata = excluded.metadata, updated_at = excluded.updated_at
                """
            )
            try stmt.bind(team.id, at: 1)
            try stmt.bind(team.name, at: 2)
            try stmt.bind(team.maxBudgetUSD, at: 3)
            try stmt.bind(team.budgetPeriod, at: 4)
            try stmt.bind(team.userMaxBudgetUSD, at: 5)
            try stmt.bind(team.rpmLimit, at: 6)
            try stmt.bind(team.tpmLimit, at: 7)
            try stmt.bind(Self.encodeList(team.models), at: 8)
            try stmt.bind(team.metadata, at: 9)
            try stmt.bind(team.createdAt, at: 10)
            try stmt.bind(team.updatedAt, at: 11)
            try stmt.run()
        }
    }

    /// Deletes a team and revokes its keys (key rows stay, for spend history), in one transaction.
    public func delete(teamID: String, revokedAt: Int64) async throws {
        try await perform { db in
            try db.execute("BEGIN IMMEDIATE")
            do {
                let revoke = try db.prepare("UPDATE gov_keys SET revoked_at = ? WHERE team_id = ? AND revoked_at IS NULL")
                try revoke.bind(revokedAt, at: 1)
                try revoke.bind(teamID, at: 2)
                try revoke.run()
                let delete = try db.prepare("DELETE FROM gov_teams WHERE id = ?")
                try delete.bind(teamID, at: 1)
                try delete.run()
                try db.execute("COMMIT")
            } catch {
                if !db.isAutocommit { try? db.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// Inserts a key or updates the one with the same id; committed when this returns.
    public func save(key: KeyRecord) async throws {
        try await perform { db in
            let stmt = try db.prepare(
                """
                INSERT INTO gov_keys (id, team_id, name, role, user_id, models, max_budget_usd, budget_period, rpm_limit, tpm_limit,
                    expires_at, metadata, key_hash, key_prefix, created_at, rotated_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET team_id = excluded.team_id, name = excluded.name, role = excluded.role,
                    user_id = excluded.user_id, models = excluded.models, max_budget_usd = excluded.max_budget_usd,
                    budget_period = excluded.budget_period, rpm_limit = excluded.rpm_limit, tpm_limit = excluded.tpm_limit,
                    expires_at = excluded.expires_at, metadata = excluded.metadata, key_hash = excluded.key_hash,
                    key_prefix = excluded.key_prefix, rotated_at = excluded.rotated_at, revoked_at = excluded.revoked_at
                """
            )
            try stmt.bind(key.id, at: 1)
            try stmt.bind(key.teamID, at: 2)
            try stmt.bind(key.name, at: 3)
            try stmt.bind(key.role, at: 4)
            try stmt.bind(key.userID, at: 5)
            try stmt.bind(Self.encodeList(key.models), at: 6)
            try stmt.bind(key.maxBudgetUSD, at: 7)
            try stmt.bind(key.budgetPeriod, at: 8)
            try stmt.bind(key.rpmLimit, at: 9)
            try stmt.bind(key.tpmLimit, at: 10)
            try stmt.bind(key.expiresAt, at: 11)
            try stmt.bind(key.metadata, at: 12)
            try stmt.bind(key.keyHash, at: 13)
            try stmt.bind(key.keyPrefix, at: 14)
            try stmt.bind(key.createdAt, at: 15)
            try stmt.bind(key.rotatedAt, at: 16)
            try stmt.bind(key.revokedAt, at: 17)
            try stmt.run()
        }
    }

    /// A spend report: commits what is buffered, then sums per group, ordered by cost (highest first), or by day.
    public func spend(_ query: SpendQuery) async throws -> [SpendGroup] {
        await flush()
        return try await perform { db in
            let column: String
            switch query.groupBy {
            case .team: column = "COALESCE(team_id, '')"
            case .key: column = "COALESCE(key_id, '')"
            case .user: column = "COALESCE(user_id, '')"
            case .model: column = "model"
            case .day: column = "strftime('%Y-%m-%d', time / 1000, 'unixepoch')"
            }
            let order = query.groupBy == .day ? "g" : "cost DESC, g"
            let stmt = try db.prepare(
                """
                SELECT \(column) AS g, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(cost_nanos) AS cost
                FROM gov_spend
                WHERE (? IS NULL OR time >= ?) AND (? IS NULL OR time < ?) AND (? IS NULL OR team_id = ?)
                GROUP BY g ORDER BY \(order)
                """
            )
            try stmt.bind(query.from, at: 1)
            try stmt.bind(query.from, at: 2)
            try stmt.bind(query.to, at: 3)
            try stmt.bind(query.to, at: 4)
            try stmt.bind(query.teamID, at: 5)
            try stmt.bind(query.teamID, at: 6)
            var groups: [SpendGroup] = []
            while try stmt.step() {
                groups.append(SpendGroup(
                    group: stmt.columnText(0), requests: Int(stmt.columnInt64(1)), inputTokens: Int(stmt.columnInt64(2)),
                    outputTokens: Int(stmt.columnInt64(3)), cachedInputTokens: Int(stmt.columnInt64(4)),
                    cacheWriteTokens: Int(stmt.columnInt64(5)), costNanos: stmt.columnInt64(6)
                ))
            }
            return groups
        }
    }

    /// Audit entries matching `query`, newest first (commits what is buffered first).
    public func audit(_ query: AuditQuery) async throws -> [AuditRecord] {
        await flush()
        return try await perform { db in
            let stmt = try db.prepare(
                """
                SELECT seq, time, actor, action, target, outcome, team_id, detail, prev_hash, hash FROM gov_audit
                WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR outcome = ?3)
                  AND (?4 IS NULL OR team_id = ?4) AND (?5 IS NULL OR target = ?5) AND (?6 IS NULL OR time >= ?6)
                  AND (?7 IS NULL OR time < ?7) AND (?8 IS NULL OR seq < ?8)
                ORDER BY seq DESC LIMIT ?9
                """
            )
            try stmt.bind(query.actor, at: 1)
            try stmt.bind(query.action, at: 2)
            try stmt.bind(query.outcome, at: 3)
            try stmt.bind(query.teamID, at: 4)
            try stmt.bind(query.target, at: 5)
            try stmt.bind(query.from, at: 6)
            try stmt.bind(query.to, at: 7)
            try stmt.bind(query.beforeSeq, at: 8)
            try stmt.bind(max(1, min(query.limit, 1000)), at: 9)
            var records: [AuditRecord] = []
            while try stmt.step() { records.append(Self.auditRecord(stmt)) }
            return records
        }
    }

    /// Checks the whole audit chain (commits what is buffered first).
    public func verifyAudit() async throws -> AuditVerification {
        await flush()
        return try await perform { db in try Self.verifyAudit(db) }
    }

    /// Checks the audit chain of the database file at `path` without starting anything (for
    /// `keel audit verify`). Opens the file read-only; does not migrate it.
    public static func verifyAudit(path: String) throws -> AuditVerification {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.openFailed, "no database at \(path)")
        }
        let db = try SQLiteConnection(filename: path, mode: .readOnly)
        db.setBusyTimeout(milliseconds: SQLiteStore.busyTimeoutMilliseconds)
        defer { db.close() }
        return try verifyAudit(db)
    }

    private static func verifyAudit(_ db: SQLiteConnection) throws -> AuditVerification {
        let stmt = try db.prepare("SELECT seq, time, actor, action, target, outcome, team_id, detail, prev_hash, hash FROM gov_audit ORDER BY seq")
        var verifier = AuditChain.Verifier()
        var last: (seq: Int64, hash: String)?
        while try stmt.step() {
            let record = auditRecord(stmt)
            guard verifier.check(record) else { return verifier.result }
            last = (record.seq, record.hash)
        }
        // The head checkpoint, written with every batch, catches entries removed from the end.
        let head = try db.prepare("SELECT seq, hash FROM gov_audit_head WHERE id = 1")
        var result = verifier.result
        if try head.step() {
            let (seq, hash) = (head.columnInt64(0), head.columnText(1))
            if seq > (last?.seq ?? 0) {
                result.firstBadSeq = (last?.seq ?? 0) + 1
                result.problem = "entries \((last?.seq ?? 0) + 1) to \(seq) are missing (removed from the end of the log)"
            } else if let last, seq < last.seq {
                result.firstBadSeq = seq + 1
                result.problem = "entries \(seq + 1) to \(last.seq) were added after the recorded head of the chain"
            } else if seq == last?.seq, hash != last?.hash {
                result.firstBadSeq = seq
                result.problem = "the last entry does not match the recorded head of the chain"
            }
        }
        return result
    }

    private static func auditRecord(_ stmt: SQLiteStatement) -> AuditRecord {
        AuditRecord(
            seq: stmt.columnInt64(0),
            event: AuditEvent(
                time: stmt.columnInt64(1), actor: stmt.columnText(2), action: stmt.columnText(3), target: stmt.columnText(4),
                outcome: stmt.columnText(5), teamID: stmt.columnTextOrNil(6), detail: stmt.columnText(7)
            ),
            prevHash: stmt.columnText(8),
            hash: stmt.columnText(9)
        )
    }

    // MARK: Lists as JSON text

    static func encodeList(_ list: [String]?) -> String? {
        guard let list else { return nil }
        var out = "["
        for (i, item) in list.enumerated() {
            if i > 0 { out += "," }
            JSONString.append(item, to: &out)
        }
        return out + "]"
    }

    static func decodeList(_ text: String?) -> [String]? {
        guard let text, let value = try? JSONValue(parsing: text), let items = value.arrayValue else { return nil }
        return items.compactMap(\.stringValue)
    }
}
