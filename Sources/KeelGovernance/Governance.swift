import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelStore
import Synchronization

/// Teams, virtual keys, roles, single sign-on, budgets, rate limits and the audit log — the one object
/// the server and the gateway ask "who is this, and may they do that?".
///
/// **Data plane.** ``GovernanceMiddleware`` calls ``authenticate(_:)`` for every `/v1/` and `/admin`
/// request and stores the ``Caller`` in the request's attributes (``CallerKey``). The gateway then calls
/// ``admit(_:model:promptTokens:maxOutputTokens:requestID:)`` before the first upstream attempt — allow-lists,
/// budgets (the worst-case cost is reserved) and rate limits — and ``settle(_:usage:status:upstreamModel:tags:)``
/// with the real usage afterwards, or ``release(_:)`` when the request failed without using tokens.
///
/// **State.** Teams and keys live in memory (loaded from the ``GovernanceStore`` at start, written
/// through on every admin change), so authentication never reads the disk. Budget counters live in a
/// ``BudgetLedger`` seeded with the spend recorded in the current period; rate limits in a ``RateLimiter``.
/// Spend records and audit events are handed to the store's background writer.
public final class Governance: Sendable {
    struct Directory {
        var teams: [String: TeamRecord] = [:]
        var teamIDsByName: [String: String] = [:]
        var keys: [String: KeyRecord] = [:]
        var keyIDsByHash: [String: String] = [:]

        mutating func put(team: TeamRecord) {
            if let old = teams[team.id], old.name != team.name { teamIDsByName[old.name] = nil }
            teams[team.id] = team
            teamIDsByName[team.name] = team.id
        }

        mutating func put(key: KeyRecord) {
            if let old = keys[key.id], old.keyHash != key.keyHash { keyIDsByHash[old.keyHash] = nil }
            keys[key.id] = key
            keyIDsByHash[key.keyHash] = key.id
        }

        /// The team with this id or name.
        func team(_ idOrName: String) -> TeamRecord? {
            teams[idOrName] ?? teamIDsByName[idOrName].flatMap { teams[$0] }
        }
    }

    /// The configuration governance was built from.
    public let config: KeelConfig
    /// Where teams, keys, spend and the audit chain are persisted.
    public let store: GovernanceStore
    let directory = Mutex(Directory())
    let budgets: any BudgetLedger
    let limiter: any RateLimiter
    let tokens: TokenAuthenticator?
    let now: @Sendable () -> Double
    let logger: Logger
    private let masterKeyDigest: [UInt8]?
    /// Resolved prices by model and upstream model (see ``price(model:upstreamModel:)``); the
    /// configuration and the price table never change while the process runs.
    let priceCache = Mutex<[PriceCacheKey: ModelPrice?]>([:])
    private let nextReservation = Atomic<UInt64>(1)

    /// Builds governance over `store`: loads teams and keys, seeds the budget counters with this
    /// period's recorded spend, and loads the JWKS (a `jwks_url` is fetched in the background with
    /// `client`, then refreshed every `refresh_interval_s`).
    ///
    /// - Parameters:
    ///   - budgets: the budget counters; default in-process (``InMemoryBudgetLedger``).
    ///   - limiter: the rate-limit counters; default in-process (``InMemoryRateLimiter``).
    ///   - now: seconds since the Unix epoch; tests pass a manual clock.
    /// - Throws: ``GovernanceError`` when the store cannot be read or a `jwks_file` cannot be used.
    public init(
        config: KeelConfig,
        store: GovernanceStore,
        client: HTTPClient? = nil,
        logger: Logger,
        budgets: (any BudgetLedger)? = nil,
        limiter: (any RateLimiter)? = nil,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) throws(GovernanceError) {
        self.config = config
        self.store = store
        self.logger = logger
        self.now = now
        self.budgets = budgets ?? InMemoryBudgetLedger()
        self.limiter = limiter ?? InMemoryRateLimiter()
        masterKeyDigest = config.server.masterKey.map { Digest.sha256($0.reveal()) }
        if let jwt = config.auth.jwt {
            tokens = try TokenAuthenticator(config: jwt, client: client, logger: logger)
        } else {
            tokens = nil
        }
        do {
            let teams = try store.loadTeams()
            let keys = try store.loadKeys()
            directory.withLock { directory in
                teams.forEach { directory.put(team: $0) }
                keys.forEach { directory.put(key: $0) }
            }
            try seedBudgets(teams: teams, keys: keys)
        } catch {
            throw GovernanceError(.storageFailed, "could not load governance state: \(error)")
        }
    }

    /// Opens the governance store named by `config.storage` and builds governance over it.
    public static func open(config: KeelConfig, client: HTTPClient? = nil, logger: Logger) throws -> Governance {
        let path: String
        switch config.storage.url {
        case .sqlite(let p): path = p
        case .postgres: throw GovernanceError(.storageFailed, "governance needs sqlite storage in this version of Keel")
        }
        let store = try GovernanceStore(path: path, flushInterval: config.storage.flushInterval, logger: logger.labeled("keel.governance.store"))
        do {
            return try Governance(config: config, store: store, client: client, logger: logger)
        } catch {
            Task { await store.shutdown() }
            throw error
        }
    }

    /// Stops the JWKS refresh and commits every spend record and audit event accepted so far.
    public func shutdown() async {
        tokens?.stop()
        await store.shutdown()
    }

    /// Nanoseconds-free wall clock in milliseconds, for records.
    var nowMillis: Int64 { Int64((now() * 1000).rounded(.down)) }

    func newReservationID() -> UInt64 {
        nextReservation.add(1, ordering: .relaxed).oldValue
    }

    private func seedBudgets(teams: [TeamRecord], keys: [KeyRecord]) throws {
        let t = now()
        var periods = Set<BudgetPeriod>()
        for key in keys where key.maxBudgetUSD != nil && key.revokedAt == nil { periods.insert(BudgetPeriod(rawValue: key.budgetPeriod) ?? .monthly) }
        for team in teams where team.maxBudgetUSD != nil || team.userMaxBudgetUSD != nil { periods.insert(BudgetPeriod(rawValue: team.budgetPeriod) ?? .monthly) }
        for period in periods {
            let since = period.start(containing: t) * 1000
            let byKey = try store.spendTotals(by: .key, since: since)
            let byTeam = try store.spendTotals(by: .team, since: since)
            for key in keys where key.maxBudgetUSD != nil && key.budgetPeriod == period.rawValue {
                if let spent = byKey[key.id] { budgets.seed(BudgetAccount(.key, key.id), period: period, spentNanos: spent, now: t) }
            }
            for team in teams where team.budgetPeriod == period.rawValue {
                if team.maxBudgetUSD != nil, let spent = byTeam[team.id] {
                    budgets.seed(BudgetAccount(.team, team.id), period: period, spentNanos: spent, now: t)
                }
                if team.userMaxBudgetUSD != nil {
                    for (user, spent) in try store.spendTotals(by: .user, since: since, teamID: team.id) {
                        budgets.seed(BudgetAccount(.user, "\(team.id)/\(user)"), period: period, spentNanos: spent, now: t)
                    }
                }
            }
        }
    }

    // MARK: Authentication

    /// The key or token a request presents: `Authorization: Bearer …` or `x-api-key: …`.
    public static func presentedCredential(_ headers: HTTPHeaders) -> String? {
        if let authorization = headers.first("authorization") {
            let utf8 = authorization.utf8
            var start = utf8.startIndex
            while start != utf8.endIndex, utf8[start] == UInt8(ascii: " ") { utf8.formIndex(after: &start) }
            let scheme = utf8[start...].prefix(7)
            // "Bearer " in any case, then the key.
            if scheme.count == 7, scheme.elementsEqual("bearer ".utf8, by: { ($0 | 0x20) == $1 }) {
                let key = trimmingBlanks(utf8[scheme.endIndex...])
                if !key.isEmpty { return key }
            }
        }
        if let value = headers.first("x-api-key") {
            let key = trimmingBlanks(value.utf8[...])
            if !key.isEmpty { return key }
        }
        return nil
    }

    private static func trimmingBlanks(_ text: Substring.UTF8View) -> String {
        var s = text
        while let first = s.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { s = s.dropFirst() }
        while let last = s.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { s = s.dropLast() }
        return String(Substring(s))
    }

    /// Who is calling: the master key, a virtual key or a verified JWT. Never touches the disk.
    ///
    /// - Throws: ``GovernanceError`` 401 (`invalid_api_key`) for a missing, unknown, expired or revoked key
    ///   or an invalid token; 403 when a token's team does not exist. Messages never echo the credential.
    public func authenticate(_ headers: HTTPHeaders) throws(GovernanceError) -> Caller {
        guard let credential = Self.presentedCredential(headers) else {
            if masterKeyDigest == nil && tokens == nil && directory.withLock({ $0.keys.isEmpty }) {
                throw GovernanceError(.invalidAPIKey, "Keel has no API keys configured; set server.master_key.")
            }
            throw GovernanceError(.invalidAPIKey, "Missing API key. Send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY'.")
        }
        // One digest serves both the master-key comparison and the virtual-key lookup.
        let digest = Digest.sha256(credential)
        if let masterKeyDigest, Digest.constantTimeEquals(digest, masterKeyDigest) {
            return .master
        }
        if credential.hasPrefix(VirtualKey.scheme) {
            return try authenticateKey(hash: Digest.hex(digest))
        }
        if let tokens, credential.hasPrefix("eyJ"), credential.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2 {
            return try tokens.authenticate(credential, now: now(), resolveTeam: { name in directory.withLock { $0.team(name)?.id } })
        }
        if masterKeyDigest == nil && tokens == nil && directory.withLock({ $0.keys.isEmpty }) {
            throw GovernanceError(.invalidAPIKey, "Keel has no API keys configured; set server.master_key.")
        }
        throw GovernanceError(.invalidAPIKey, "Invalid API key.")
    }

    /// The caller of the virtual key whose ``VirtualKey/hash(_:)`` is `hash`.
    private func authenticateKey(hash: String) throws(GovernanceError) -> Caller {
        let (record, teamExists) = directory.withLock { directory -> (KeyRecord?, Bool) in
            guard let id = directory.keyIDsByHash[hash], let record = directory.keys[id] else { return (nil, false) }
            return (record, directory.teams[record.teamID] != nil)
        }
        guard let record else { throw GovernanceError(.invalidAPIKey, "Invalid API key.") }
        if record.revokedAt != nil || !teamExists {
            throw GovernanceError(.invalidAPIKey, "This API key (\(record.keyPrefix)) has been revoked.")
        }
        if let expiresAt = record.expiresAt, nowMillis >= expiresAt {
            throw GovernanceError(.invalidAPIKey, "This API key (\(record.keyPrefix)) expired at \(Self.timestamp(expiresAt)).")
        }
        return Caller(credential: .key(id: record.id), role: Role(rawValue: record.role) ?? .developer, teamID: record.teamID, userID: record.userID)
    }

    /// RFC 3339 text of a millisecond timestamp.
    static func timestamp(_ millis: Int64) -> String {
        RFC3339.format(seconds: Int(millis / 1000))
    }

    // MARK: Audit

    /// Appends an event to the audit chain (written in the background).
    public func audit(_ caller: Caller?, action: String, target: String, outcome: String, teamID: String? = nil, detail: JSONObject = [:]) {
        store.record(audit: AuditEvent(
            time: nowMillis,
            actor: caller?.actor ?? "anonymous",
            action: action,
            target: target,
            outcome: outcome,
            teamID: teamID ?? caller?.teamID,
            detail: JSONValue.object(detail).serializedString()
        ))
    }
}
