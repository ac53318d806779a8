import KeelCore
import KeelHTTP
import KeelStore

extension AdminRoutes {
    func registerReports(in router: inout Router) {
        router.get("/admin/spend") { [self] request, context in
            try await guarded("spend.read", target: "spend", context) { caller in
                guard caller.role.canReadTeamReports else { throw Self.forbidden("read spend") }
                let groupText = request.queryValue("group_by") ?? "team"
                guard let grouping = SpendGrouping(rawValue: groupText) else {
                    throw GovernanceError(.invalidRequest, "group_by must be team, key, model, user or day.", param: "group_by")
                }
                let teamID = try reportTeam(request.queryValue("team"), caller)
                let query = SpendQuery(
                    groupBy: grouping, from: try Self.time(request.queryValue("from"), name: "from"),
                    to: try Self.time(request.queryValue("to"), name: "to"), teamID: teamID
                )
                let groups: [SpendGroup]
                do { groups = try await governance.store.spend(query) } catch { throw Self.storageFailure(error) }
                let data: [JSONValue] = groups.map { g in
                    .object([
                        grouping.rawValue: .string(g.group), "requests": JSONValue(g.requests), "input_tokens": JSONValue(g.inputTokens),
                        "output_tokens": JSONValue(g.outputTokens), "cached_input_tokens": JSONValue(g.cachedInputTokens),
                        "cache_write_tokens": JSONValue(g.cacheWriteTokens), "cost_usd": JSONValue(USD.dollars(g.costNanos)),
                    ])
                }
                let total = groups.reduce(Int64(0)) { $0 + $1.costNanos }
                return Self.json([
                    "object": "spend_report", "group_by": .string(grouping.rawValue), "from": Self.iso(query.from), "to": Self.iso(query.to),
                    "team": teamID.map(JSONValue.string) ?? .null, "total_cost_usd": JSONValue(USD.dollars(total)), "data": .array(data),
                ])
            }
        }
        router.get("/admin/audit") { [self] request, context in
            try await guarded("audit.read", target: "audit", context) { caller in
                guard caller.role.canReadTeamReports else { throw Self.forbidden("read the audit log") }
                var limit = 100
                if let text = request.queryValue("limit") {
                    guard let n = Int(text), (1...1000).contains(n) else {
                        throw GovernanceError(.invalidRequest, "limit must be between 1 and 1000.", param: "limit")
                    }
                    limit = n
                }
                var before: Int64?
                if let text = request.queryValue("before") {
                    guard let n = Int64(text) else { throw GovernanceError(.invalidRequest, "before must be a sequence number.", param: "before") }
                    before = n
                }
                let query = AuditQuery(
                    actor: request.queryValue("actor"), action: request.queryValue("action"), outcome: request.queryValue("outcome"),
                    teamID: try reportTeam(request.queryValue("team"), caller), target: request.queryValue("target"),
                    from: try Self.time(request.queryValue("from"), name: "from"), to: try Self.time(request.queryValue("to"), name: "to"),
                    beforeSeq: before, limit: limit
                )
                let records: [AuditRecord]
                do { records = try await governance.store.audit(query) } catch { throw Self.storageFailure(error) }
                let data: [JSONValue] = records.map { r in
                    .object([
                        "seq": JSONValue(Int(r.seq)), "time": Self.iso(r.event.time), "actor": .string(r.event.actor), "action": .string(r.event.action),
                        "target": .string(r.event.target), "outcome": .string(r.event.outcome), "team": r.event.teamID.map(JSONValue.string) ?? .null,
                        "detail": (try? JSONValue(parsing: r.event.detail)) ?? [:], "prev_hash": .string(r.prevHash), "hash": .string(r.hash),
                    ])
                }
                var body: JSONObject = ["object": "list", "data": .array(data)]
                body["next_before"] = records.count == limit ? records.last.map { JSONValue(Int($0.seq)) } ?? .null : .null
                return Self.json(body)
            }
        }
    }

    /// The team a report covers: super-admins choose (or see everything); everyone else sees their own team.
    func reportTeam(_ requested: String?, _ caller: Caller) throws(GovernanceError) -> String? {
        if caller.role == .superAdmin {
            guard let requested else { return nil }
            return governance.directory.withLock { $0.team(requested)?.id } ?? requested
        }
        guard let own = caller.teamID else { throw Self.forbidden("read reports without a team") }
        if let requested, requested != own, governance.directory.withLock({ $0.team(requested)?.id }) != own {
            throw GovernanceError(.notFound, "No team \(requested).")
        }
        return own
    }
}
