import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelStore

/// What an admitted request holds until it settles: its worst-case cost against every budget and its
/// estimated tokens against every rate limit.
public struct Reservation: Sendable {
    /// Unique within the process.
    public let id: UInt64
    /// Who was admitted.
    public let caller: Caller
    /// The model name the client asked for.
    public let model: String
    /// The worst-case cost held against the caller's budgets, in nano-dollars.
    public let reservedNanos: Int64
    /// The tokens held against token-per-minute limits (prompt estimate + output allowance).
    public let reservedTokens: Int
    /// `x-ratelimit-*` headers for the response (empty when no rate limit applies).
    public let headers: HTTPHeaders
}

extension Governance {
    /// The price of `model` (a configured model name): its configured `pricing` over the built-in price
    /// of `upstreamModel` (default: the model's first route's upstream model, then the name itself).
    public func price(model: String, upstreamModel: String? = nil) -> ModelPrice? {
        let key = PriceCacheKey(model: model, upstreamModel: upstreamModel)
        if let cached = priceCache.withLock({ $0[key] }) { return cached }
        let configured = config.model(named: model)
        let upstream = upstreamModel ?? configured?.routes.first?.model ?? model
        let price = ModelPrice.resolve(configured: configured?.pricing, base: PriceTable.price(for: upstream) ?? PriceTable.price(for: model))
        priceCache.withLock { cache in
            // Upstream model names come from providers' answers: bounded, in case one varies them.
            if cache.count >= Self.priceCacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[key] = .some(price)
        }
        return price
    }

    /// The most resolved prices kept.
    static let priceCacheLimit = 4096

    /// Decides whether `caller` may send a request to `model` now, and holds its worst-case cost and
    /// tokens until ``settle(_:usage:status:upstreamModel:tags:)`` or ``release(_:)``.
    ///
    /// Checks, in order: the role may use models (403 `permission_denied`); the model is on the key's and
    /// the team's allow-lists (403 `model_not_allowed`); the worst-case cost — `promptTokens` × input price
    /// + `maxOutputTokens` (default `auth.default_max_tokens`) × output price — fits the key's, the team's and
    /// the user's budgets (429 `budget_exceeded`, `x-should-retry: false`); and requests and tokens per
    /// minute of the key, the team and the model (429 `rate_limit_exceeded` with `retry-after` and
    /// `x-ratelimit-*`). Every decision is appended to the audit log (allowed calls of a caller no
    /// policy applies to, such as the master key, are recorded in the request log only).
    ///
    /// - Parameter promptTokens: the prompt's estimated token count (the gateway's estimator).
    /// The most tokens one request reserves for its prompt or its answer.
    static let maximumTokens = 100_000_000

    public func admit(_ caller: Caller, model: String, promptTokens: Int, maxOutputTokens: Int?, requestID: String = "") async throws(GovernanceError) -> Reservation {
        // Clamped so the worst-case cost and the token count cannot overflow, whatever a client
        // sends (no model produces anywhere near this many tokens in one answer).
        let maxOutput = min(max(0, maxOutputTokens ?? config.auth.defaultMaxTokens), Self.maximumTokens)
        let promptTokens = min(max(0, promptTokens), Self.maximumTokens)
        let (key, team) = try checkAccess(caller, model: model, requestID: requestID)
        var detail: JSONObject = ["model": .string(model)]
        if !requestID.isEmpty { detail["request_id"] = .string(requestID) }

        let id = newReservationID()
        let t = now()
        let worstCase = price(model: model)?.worstCase(promptTokens: promptTokens, maxOutputTokens: maxOutput) ?? 0
        let charges = budgetCharges(key: key, team: team, user: caller.userID)
        if !charges.isEmpty {
            if case .exceeded(let charge, let committed) = await budgets.reserve(id, amountNanos: worstCase, charges: charges, now: t) {
                let error = GovernanceError(
                    .budgetExceeded,
                    Self.budgetMessage(charge: charge, committed: committed, worstCase: worstCase, teamName: team?.name),
                    headers: ["x-should-retry": "false"]
                )
                detail["budget"] = .string(charge.account.description)
                deny(caller, model: model, error: error, detail: detail)
                throw error
            }
        }

        let tokens = max(0, promptTokens) + max(0, maxOutput)
        let rules = rateRules(key: key, team: team, model: model)
        var headers: HTTPHeaders = [:]
        if !rules.isEmpty {
            switch await limiter.acquire(id, rules: rules, tokens: tokens, now: t) {
            case .allowed(let status):
                headers = Self.headers(status)
            case .limited(let rule, let isTokens, let retryAfter, let status):
                await budgets.release(id)
                var headers = Self.headers(status)
                let seconds = max(1, Int(retryAfter.rounded(.up)))
                headers.replaceOrAdd(name: "retry-after", value: String(seconds))
                let limit = isTokens ? "\(rule.tpm ?? 0) tokens per minute" : "\(rule.rpm ?? 0) requests per minute"
                let error = GovernanceError(.rateLimitExceeded, "Rate limit reached for \(rule.scope): \(limit). Retry in \(seconds) s.", headers: headers)
                detail["limit"] = .string(rule.scope.description)
                deny(caller, model: model, error: error, detail: detail)
                throw error
            }
        }
        // A caller no key, team, budget or limit applies to (the master key) has no policy decision
        // to record: its calls are in the request log and the spend ledger.
        if key != nil || team != nil || !charges.isEmpty || !rules.isEmpty {
            detail["reserved_usd"] = JSONValue(USD.dollars(worstCase))
            audit(caller, action: "request.admit", target: model, outcome: "allowed", detail: detail)
        }
        return Reservation(id: id, caller: caller, model: model, reservedNanos: worstCase, reservedTokens: tokens, headers: headers)
    }

    /// Decides whether `caller` may use `model` at all, without reserving anything: the role may use
    /// models (403 `permission_denied`) and the model is on the key's and the team's allow-lists (403
    /// `model_not_allowed`). Refusals are appended to the audit log. Calls that cost nothing (token
    /// counting) use this instead of ``admit(_:model:promptTokens:maxOutputTokens:requestID:)``.
    public func authorize(_ caller: Caller, model: String, requestID: String = "") throws(GovernanceError) {
        _ = try checkAccess(caller, model: model, requestID: requestID)
    }

    /// Whether the key's and the team's allow-lists (if any) include `model`; no audit entry. For
    /// showing callers only what they may use.
    public func allowLists(of caller: Caller, include model: String) -> Bool {
        let (key, team) = records(of: caller)
        return Self.allowListRefusal(key: key, team: team, model: model) == nil
    }

    /// The caller's key and team records.
    private func records(of caller: Caller) -> (KeyRecord?, TeamRecord?) {
        directory.withLock { d in (caller.keyID.flatMap { d.keys[$0] }, caller.teamID.flatMap { d.teams[$0] }) }
    }

    /// The 403 `model_not_allowed` when the key's or the team's allow-list leaves `model` out.
    private static func allowListRefusal(key: KeyRecord?, team: TeamRecord?, model: String) -> GovernanceError? {
        if let allowed = key?.models, !allowed.contains(model) {
            return GovernanceError(.modelNotAllowed, "The model '\(model)' is not allowed for this key (allowed: \(allowed.joined(separator: ", "))).", param: "model")
        }
        if let team, let allowed = team.models, !allowed.contains(model) {
            return GovernanceError(.modelNotAllowed, "The model '\(model)' is not allowed for team \(team.name) (allowed: \(allowed.joined(separator: ", "))).", param: "model")
        }
        return nil
    }

    /// The role and allow-list checks of admission; returns the caller's key and team records.
    private func checkAccess(_ caller: Caller, model: String, requestID: String) throws(GovernanceError) -> (KeyRecord?, TeamRecord?) {
        let (key, team) = records(of: caller)
        var detail: JSONObject = ["model": .string(model)]
        if !requestID.isEmpty { detail["request_id"] = .string(requestID) }
        guard caller.role.canUseModels else {
            let error = GovernanceError(.permissionDenied, "The \(caller.role.rawValue) role cannot call models.")
            deny(caller, model: model, error: error, detail: detail)
            throw error
        }
        if let error = Self.allowListRefusal(key: key, team: team, model: model) {
            deny(caller, model: model, error: error, detail: detail)
            throw error
        }

        return (key, team)
    }

    /// Records what the request really used: replaces the held cost and tokens by the real ones and
    /// appends a spend record (key, team, user, model, tokens, cost, tags). Returns the cost in
    /// nano-dollars. Calling it twice, or after ``release(_:)``, records spend but changes no counter twice.
    ///
    /// - Parameters:
    ///   - upstreamModel: the provider's model that served the request, for the built-in price.
    ///   - tags: from ``tags(headers:metadata:)``.
    @discardableResult
    public func settle(_ reservation: Reservation, usage: TokenUsage, status: Int, upstreamModel: String? = nil, requestID: String = "", tags: [String] = []) async -> Int64 {
        let t = now()
        let cost = price(model: reservation.model, upstreamModel: upstreamModel)?.cost(of: usage) ?? 0
        await budgets.settle(reservation.id, actualNanos: cost, now: t)
        await limiter.settle(reservation.id, actualTokens: usage.totalTokens, now: t)
        store.record(spend: SpendRecord(
            requestID: requestID, time: Int64((t * 1000).rounded(.down)), keyID: reservation.caller.keyID, teamID: reservation.caller.teamID,
            userID: reservation.caller.userID, model: reservation.model, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens,
            cachedInputTokens: usage.cachedInputTokens, cacheWriteTokens: usage.cacheWriteTokens, costNanos: cost, status: status, tags: tags
        ))
        return cost
    }

    /// Gives back everything `reservation` holds (the request failed before using tokens).
    public func release(_ reservation: Reservation) async {
        await budgets.release(reservation.id)
        await limiter.release(reservation.id, now: now())
    }

    /// Spend tags of a request: the comma-separated `x-keel-tags` header, then `metadata.tags` (a list of
    /// strings) from the request body. At most 20 tags of at most 64 characters each.
    public static func tags(headers: HTTPHeaders, metadata: JSONValue? = nil) -> [String] {
        var tags: [String] = []
        for value in headers.values("x-keel-tags") {
            tags += value.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        if let list = metadata?["tags"]?.arrayValue {
            tags += list.compactMap(\.stringValue)
        }
        var seen = Set<String>()
        return tags.filter { !$0.isEmpty && $0.count <= 64 && seen.insert($0).inserted }.prefix(20).map { $0 }
    }

    // MARK: Helpers

    private func deny(_ caller: Caller, model: String, error: GovernanceError, detail: JSONObject) {
        var detail = detail
        detail["code"] = .string(error.code.rawValue)
        detail["message"] = .string(error.message)
        audit(caller, action: "request.admit", target: model, outcome: "denied", detail: detail)
    }

    private func budgetCharges(key: KeyRecord?, team: TeamRecord?, user: String?) -> [BudgetCharge] {
        var charges: [BudgetCharge] = []
        if let key, let max = key.maxBudgetUSD {
            charges.append(BudgetCharge(account: BudgetAccount(.key, key.id), limitNanos: USD.nanos(max), period: BudgetPeriod(rawValue: key.budgetPeriod) ?? .monthly))
        }
        if let team {
            let period = BudgetPeriod(rawValue: team.budgetPeriod) ?? .monthly
            if let max = team.maxBudgetUSD {
                charges.append(BudgetCharge(account: BudgetAccount(.team, team.id), limitNanos: USD.nanos(max), period: period))
            }
            if let user, let max = team.userMaxBudgetUSD {
                charges.append(BudgetCharge(account: BudgetAccount(.user, "\(team.id)/\(user)"), limitNanos: USD.nanos(max), period: period))
            }
        }
        return charges
    }

    private func rateRules(key: KeyRecord?, team: TeamRecord?, model: String) -> [RateLimitRule] {
        var rules: [RateLimitRule] = []
        if let key, key.rpmLimit != nil || key.tpmLimit != nil {
            rules.append(RateLimitRule(scope: .key(key.id), rpm: key.rpmLimit, tpm: key.tpmLimit))
        }
        if let team, team.rpmLimit != nil || team.tpmLimit != nil {
            rules.append(RateLimitRule(scope: .team(team.id), rpm: team.rpmLimit, tpm: team.tpmLimit))
        }
        if let limit = config.auth.modelLimits[model], limit.rpm != nil || limit.tpm != nil {
            rules.append(RateLimitRule(scope: .model(model), rpm: limit.rpm, tpm: limit.tpm))
        }
        return rules
    }

    static func budgetMessage(charge: BudgetCharge, committed: Int64, worstCase: Int64, teamName: String?) -> String {
        let which: String
        switch charge.account.scope {
        case .key: which = "the key's budget (\(charge.account.id))"
        case .team: which = "team \(teamName ?? charge.account.id)'s budget"
        case .user: which = "the per-user budget of user \(charge.account.id.split(separator: "/", maxSplits: 1).last.map(String.init) ?? "")"
        }
        let period = charge.period == .total ? "total" : charge.period.rawValue
        return "Budget exceeded: \(which) is \(money(charge.limitNanos)) (\(period)); \(money(committed)) is spent or reserved, "
            + "and this request may cost up to \(money(worstCase))."
    }

    static func money(_ nanos: Int64) -> String {
        let dollars = USD.dollars(nanos)
        if nanos % 10_000_000 == 0 { return String(format: "$%.2f", dollars) }
        var text = String(format: "%.9f", dollars)
        while text.hasSuffix("0") { text.removeLast() }
        return "$" + text
    }

    static func headers(_ status: RateLimitStatus) -> HTTPHeaders {
        var h: HTTPHeaders = [:]
        func duration(_ seconds: Double) -> String {
            seconds < 1 ? "\(Int((seconds * 1000).rounded(.up)))ms" : "\(Int(seconds.rounded(.up)))s"
        }
        if let limit = status.limitRequests, let remaining = status.remainingRequests {
            h.add(name: "x-ratelimit-limit-requests", value: String(limit))
            h.add(name: "x-ratelimit-remaining-requests", value: String(remaining))
            h.add(name: "x-ratelimit-reset-requests", value: duration(status.resetRequests ?? 0))
        }
        if let limit = status.limitTokens, let remaining = status.remainingTokens {
            h.add(name: "x-ratelimit-limit-tokens", value: String(limit))
            h.add(name: "x-ratelimit-remaining-tokens", value: String(remaining))
            h.add(name: "x-ratelimit-reset-tokens", value: duration(status.resetTokens ?? 0))
        }
        return h
    }
}

/// A ``Governance/price(model:upstreamModel:)`` question.
struct PriceCacheKey: Hashable, Sendable {
    var model: String
    var upstreamModel: String?
}
