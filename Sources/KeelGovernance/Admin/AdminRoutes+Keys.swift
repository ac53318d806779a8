import KeelCore
import KeelHTTP
import KeelStore

extension AdminRoutes {
    static let keyFields = [
        "team", "name", "role", "user", "models", "max_budget_usd", "budget_period", "rpm_limit", "tpm_limit", "expires_at", "metadata",
    ]

    func registerKeys(in router: inout Router) {
        router.post("/admin/keys") { [self] request, context in
            try await guarded("key.create", target: "keys", context) { caller in
                guard caller.role.canManageTeamKeys else { throw Self.forbidden("create keys") }
                let fields = AdminFields(object: try Self.body(request))
                try fields.only(Self.keyFields)
                let teamName = try fields.string("team", required: caller.role == .superAdmin) ?? caller.teamID ?? ""
                let team = try visibleTeam(teamName, caller)
                let role = try Self.role(fields, caller: caller)
                let models = try fields.list("models")
                if let models, let allowed = team.models, let stray = models.first(where: { !allowed.contains($0) }) {
                    throw GovernanceError(.invalidRequest, "models: \(stray) is not allowed for team \(team.name).", param: "models")
                }
                let secret = VirtualKey.generate()
                let key = KeyRecord(
                    id: VirtualKey.identifier("key"), teamID: team.id, name: try fields.string("name"), role: role.rawValue,
                    userID: try fields.string("user"), models: models, maxBudgetUSD: try fields.money("max_budget_usd"),
                    budgetPeriod: (try fields.period("budget_period") ?? .monthly).rawValue, rpmLimit: try fields.limit("rpm_limit"),
                    tpmLimit: try fields.limit("tpm_limit"), expiresAt: try Self.expiry(fields), metadata: try fields.metadata("metadata") ?? "{}",
                    keyHash: VirtualKey.hash(secret), keyPrefix: VirtualKey.prefix(secret), createdAt: governance.nowMillis
                )
                do { try await governance.store.save(key: key) } catch { throw Self.storageFailure(error) }
                governance.directory.withLock { $0.put(key: key) }
                governance.audit(caller, action: "key.create", target: key.id, outcome: "ok", teamID: team.id, detail: ["role": .string(role.rawValue)])
                var body = await keyJSON(key)
                body["key"] = .string(secret)
                return Self.json(body, status: 201)
            }
        }
        router.get("/admin/keys") { [self] request, context in
            try await guarded("key.list", target: "keys", context) { caller in
                guard caller.role.canManageTeamKeys else { throw Self.forbidden("list keys") }
                let filter = request.queryValue("team").flatMap { name in governance.directory.withLock { $0.team(name)?.id ?? name } }
                let keys = governance.directory.withLock { d in
                    d.keys.values.filter { caller.belongs(to: $0.teamID) && (filter == nil || $0.teamID == filter) }
                        .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
                }
                var data: [JSONValue] = []
                for key in keys { data.append(.object(await keyJSON(key))) }
                return Self.json(["object": "list", "data": .array(data)])
            }
        }
        router.get("/admin/keys/{id}") { [self] _, context in
            let id = context.parameters["id"] ?? ""
            return try await guarded("key.read", target: id, context) { caller in
                guard caller.role.canManageTeamKeys else { throw Self.forbidden("read keys") }
                return Self.json(await keyJSON(try visibleKey(id, caller)))
            }
        }
        router.post("/admin/keys/{id}/rotate") { [self] _, context in
            let id = context.parameters["id"] ?? ""
            return try await guarded("key.rotate", target: id, context) { caller in
                guard caller.role.canManageTeamKeys else { throw Self.forbidden("rotate keys") }
                var key = try visibleKey(id, caller)
                guard key.revokedAt == nil else { throw GovernanceError(.invalidRequest, "Key \(id) is revoked; create a new one.") }
                let secret = VirtualKey.generate()
                key.keyHash = VirtualKey.hash(secret)
                key.keyPrefix = VirtualKey.prefix(secret)
                key.rotatedAt = governance.nowMillis
                do { try await governance.store.save(key: key) } catch { throw Self.storageFailure(error) }
                governance.directory.withLock { $0.put(key: key) }
                governance.audit(caller, action: "key.rotate", target: key.id, outcome: "ok", teamID: key.teamID)
                var body = await keyJSON(key)
                body["key"] = .string(secret)
                return Self.json(body)
            }
        }
        router.delete("/admin/keys/{id}") { [self] _, context in
            let id = context.parameters["id"] ?? ""
            return try await guarded("key.revoke", target: id, context) { caller in
                guard caller.role.canManageTeamKeys else { throw Self.forbidden("revoke keys") }
                var key = try visibleKey(id, caller)
                if key.revokedAt == nil {
                    key.revokedAt = governance.nowMillis
                    do { try await governance.store.save(key: key) } catch { throw Self.storageFailure(error) }
                    governance.directory.withLock { $0.put(key: key) }
                }
                governance.audit(caller, action: "key.revoke", target: key.id, outcome: "ok", teamID: key.teamID)
                return Self.json(["id": .string(key.id), "object": "key", "revoked": true])
            }
        }
    }

    func visibleKey(_ id: String, _ caller: Caller) throws(GovernanceError) -> KeyRecord {
        guard let key = governance.directory.withLock({ $0.keys[id] }), caller.belongs(to: key.teamID) else {
            throw GovernanceError(.notFound, "No key \(id).")
        }
        return key
    }

    /// The role a new key gets: `developer` by default; never above the creator's role, never `super_admin`.
    static func role(_ fields: AdminFields, caller: Caller) throws(GovernanceError) -> Role {
        guard let text = try fields.string("role") else { return .developer }
        guard let role = Role(rawValue: text), role != .superAdmin else {
            throw GovernanceError(.invalidRequest, "role must be team_admin, developer or viewer.", param: "role")
        }
        if role > caller.role { throw GovernanceError(.permissionDenied, "You cannot create a key with a role above your own.") }
        return role
    }

    static func expiry(_ fields: AdminFields) throws(GovernanceError) -> Int64? {
        switch fields.object["expires_at"] {
        case nil, .null?: return nil
        case .number(let n)?:
            guard let seconds = n.double, seconds > 0, let millis = AdminRoutes.millisecondsSinceEpoch(seconds) else { break }
            return millis
        case .string(let text)?:
            return try time(text, name: "expires_at")
        default: break
        }
        throw GovernanceError(.invalidRequest, "expires_at must be an RFC 3339 time or Unix seconds.", param: "expires_at")
    }

    func keyJSON(_ key: KeyRecord) async -> JSONObject {
        var o = JSONObject()
        o["id"] = .string(key.id)
        o["object"] = "key"
        o["team"] = .string(key.teamID)
        o["name"] = Self.string(key.name)
        o["role"] = .string(key.role)
        o["user"] = Self.string(key.userID)
        o["models"] = Self.strings(key.models)
        o["max_budget_usd"] = Self.number(key.maxBudgetUSD)
        o["budget_period"] = .string(key.budgetPeriod)
        o["rpm_limit"] = Self.number(key.rpmLimit)
        o["tpm_limit"] = Self.number(key.tpmLimit)
        o["expires_at"] = Self.iso(key.expiresAt)
        o["metadata"] = Self.object(key.metadata)
        o["key_prefix"] = .string(key.keyPrefix)
        o["created_at"] = Self.iso(key.createdAt)
        o["rotated_at"] = Self.iso(key.rotatedAt)
        o["revoked_at"] = Self.iso(key.revokedAt)
        o["revoked"] = .bool(key.revokedAt != nil)
        if key.maxBudgetUSD != nil {
            let used = await governance.budgets.committed(BudgetAccount(.key, key.id), period: BudgetPeriod(rawValue: key.budgetPeriod) ?? .monthly, now: governance.now())
            o["budget_used_usd"] = JSONValue(USD.dollars(used))
        }
        return o
    }
}
