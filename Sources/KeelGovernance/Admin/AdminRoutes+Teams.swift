import KeelCore
import KeelHTTP
import KeelStore

extension AdminRoutes {
    static let teamFields = ["id", "name", "max_budget_usd", "budget_period", "user_max_budget_usd", "rpm_limit", "tpm_limit", "models", "metadata"]

    func registerTeams(in router: inout Router) {
        router.post("/admin/teams") { [self] request, context in
            try await guarded("team.create", target: "teams", context) { caller in
                guard caller.role == .superAdmin else { throw Self.forbidden("create teams") }
                let fields = AdminFields(object: try Self.body(request))
                try fields.only(Self.teamFields)
                let name = try fields.string("name", required: true)!
                let id = try fields.string("id") ?? VirtualKey.identifier("team")
                let t = governance.nowMillis
                let team = TeamRecord(
                    id: id, name: name, maxBudgetUSD: try fields.money("max_budget_usd"),
                    budgetPeriod: (try fields.period("budget_period") ?? .monthly).rawValue,
                    userMaxBudgetUSD: try fields.money("user_max_budget_usd"), rpmLimit: try fields.limit("rpm_limit"),
                    tpmLimit: try fields.limit("tpm_limit"), models: try fields.list("models"),
                    metadata: try fields.metadata("metadata") ?? "{}", createdAt: t, updatedAt: t
                )
                let taken = governance.directory.withLock { $0.team(id) != nil || $0.team(name) != nil }
                if taken { throw GovernanceError(.conflict, "A team with that name or id already exists.") }
                do { try await governance.store.save(team: team) } catch { throw Self.storageFailure(error) }
                governance.directory.withLock { $0.put(team: team) }
                governance.audit(caller, action: "team.create", target: team.id, outcome: "ok", teamID: team.id, detail: ["name": .string(name)])
                return Self.json(await teamJSON(team), status: 201)
            }
        }
        router.get("/admin/teams") { [self] _, context in
            try await guarded("team.list", target: "teams", context) { caller in
                guard caller.role.canReadTeamReports else { throw Self.forbidden("read teams") }
                let teams = governance.directory.withLock { d in
                    d.teams.values.filter { caller.belongs(to: $0.id) }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
                }
                var data: [JSONValue] = []
                for team in teams { data.append(.object(await teamJSON(team))) }
                return Self.json(["object": "list", "data": .array(data)])
            }
        }
        router.get("/admin/teams/{id}") { [self] _, context in
            let id = context.parameters["id"] ?? ""
            return try await guarded("team.read", target: id, context) { caller in
                guard caller.role.canReadTeamReports else { throw Self.forbidden("read teams") }
                let team = try visibleTeam(id, caller)
                return Self.json(await teamJSON(team))
            }
        }
        router.patch("/admin/teams/{id}") { [self] request, context in
            let id = context.parameters["id"] ?? ""
            return try await guarded("team.update", target: id, context) { caller in
                guard caller.role == .superAdmin else { throw Self.forbidden("change teams") }
                var team = try visibleTeam(id, caller)
                let fields = AdminFields(object: try Self.body(request))
                try fields.only(Self.teamFields.filter { $0 != "id" })
                if fields.has("name") {
                    let name = try fields.string("name", required: true)!
                    let clash = governance.directory.withLock { $0.team(name).map { $0.id != team.id } ?? false }
                    if clash { throw GovernanceError(.conflict, "A team with that name already exists.") }
                    team.name = name
                }
                if fields.has("max_budget_usd") { team.maxBudgetUSD = try fields.money("max_budget_usd") }
                if fields.has("budget_period") { team.budgetPeriod = (try fields.period("budget_period") ?? .monthly).rawValue }
                if fields.has("user_max_budget_usd") { team.userMaxBudgetUSD = try fields.money("user_max_budget_usd") }
                if fields.has("rpm_limit") { team.rpmLimit = try fields.limit("rpm_limit") }
                if fields.has("tpm_limit") { team.tpmLimit = try fields.limit("tpm_limit") }
                if fields.has("models") { team.models = try fields.list("models") }
                if fields.has("metadata") { team.metadata = try fields.metadata("metadata") ?? "{}" }
                team.updatedAt = governance.nowMillis
                do { try await governance.store.save(team: team) } catch { throw Self.storageFailure(error) }
                governance.directory.withLock { $0.put(team: team) }
                governance.audit(caller, action: "team.update", target: team.id, outcome: "ok", teamID: team.id, detail: ["fields": .array(fields.object.keys.map(JSONValue.string))])
                return Self.json(await teamJSON(team))
            }
        }
        router.delete("/admin/teams/{id}") { [self] _, context in
            let id = context.parameters["id"] ?? ""
            return try await guarded("team.delete", target: id, context) { caller in
                guard caller.role == .superAdmin else { throw Self.forbidden("delete teams") }
                let team = try visibleTeam(id, caller)
                let t = governance.nowMillis
                do { try await governance.store.delete(teamID: team.id, revokedAt: t) } catch { throw Self.storageFailure(error) }
                governance.directory.withLock { d in
                    d.teams[team.id] = nil
                    d.teamIDsByName[team.name] = nil
                    for (id, key) in d.keys where key.teamID == team.id && key.revokedAt == nil { d.keys[id]?.revokedAt = t }
                }
                governance.audit(caller, action: "team.delete", target: team.id, outcome: "ok", teamID: team.id, detail: ["name": .string(team.name)])
                return Self.json(["id": .string(team.id), "object": "team", "deleted": true])
            }
        }
    }

    /// The team `idOrName` if the caller may see it; 404 otherwise (other teams do not exist for you).
    func visibleTeam(_ idOrName: String, _ caller: Caller) throws(GovernanceError) -> TeamRecord {
        guard let team = governance.directory.withLock({ $0.team(idOrName) }), caller.belongs(to: team.id) else {
            throw GovernanceError(.notFound, "No team \(idOrName).")
        }
        return team
    }

    func teamJSON(_ team: TeamRecord) async -> JSONObject {
        var o = JSONObject()
        o["id"] = .string(team.id)
        o["object"] = "team"
        o["name"] = .string(team.name)
        o["max_budget_usd"] = Self.number(team.maxBudgetUSD)
        o["budget_period"] = .string(team.budgetPeriod)
        o["user_max_budget_usd"] = Self.number(team.userMaxBudgetUSD)
        o["rpm_limit"] = Self.number(team.rpmLimit)
        o["tpm_limit"] = Self.number(team.tpmLimit)
        o["models"] = Self.strings(team.models)
        o["metadata"] = Self.object(team.metadata)
        o["created_at"] = Self.iso(team.createdAt)
        o["updated_at"] = Self.iso(team.updatedAt)
        if team.maxBudgetUSD != nil {
            let used = await governance.budgets.committed(BudgetAccount(.team, team.id), period: BudgetPeriod(rawValue: team.budgetPeriod) ?? .monthly, now: governance.now())
            o["budget_used_usd"] = JSONValue(USD.dollars(used))
        }
        return o
    }
}
