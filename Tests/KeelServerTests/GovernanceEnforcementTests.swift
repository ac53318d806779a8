import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

/// Governance on the data plane: keys, allow-lists, budgets and rate limits enforced on chat,
/// embeddings and token counting, spend settled with the real usage.
@Suite("GovernanceEnforcement: budgets, limits and allow-lists on model calls", .serialized)
struct GovernanceEnforcementTests {
    typealias P = GatewayPassthroughTests
    static let master = "sk-keel-master-enforcement"

    /// `priced`: $1 per output token, nothing for input, so a request with `max_tokens: 4` may cost
    /// at most $4 and the fake's answers (4 completion tokens) cost exactly $4.
    static func configure(_ fake: FakeProvider) -> (inout KeelConfig) -> Void {
        { config in
            config.server.masterKey = Secret(master)
            config.providers = [
                ProviderConfig(name: "oai", kind: .openai, baseURL: fake.openAIBaseURL, apiKey: Secret(P.upstreamKey)),
                ProviderConfig(name: "claude", kind: .anthropic, baseURL: fake.anthropicBaseURL, apiKey: Secret(P.upstreamKey)),
            ]
            let pricing = ModelPricing(inputPerMillion: 0, outputPerMillion: 1_000_000, cachedInputPerMillion: 0, cacheWritePerMillion: 0)
            config.models = [
                ModelConfig(name: "priced", routes: [RouteConfig(provider: "oai", model: "gpt-4o-mini")], pricing: pricing),
                ModelConfig(name: "priced-claude", routes: [RouteConfig(provider: "claude", model: "claude-haiku")], pricing: pricing),
                ModelConfig(name: "other", routes: [RouteConfig(provider: "oai", model: "gpt-4o")]),
                ModelConfig(name: "cached", routes: [RouteConfig(provider: "oai", model: "gpt-4o-mini")], cache: CacheConfig(ttl: .seconds(60))),
                ModelConfig(name: "embed", routes: [RouteConfig(provider: "oai", model: "text-embedding-3-small")]),
            ]
        }
    }

    static let ask = #"{"model":"priced","max_tokens":4,"messages":[{"role":"user","content":"Hi"}]}"#
    static let askClaude = #"{"model":"priced-claude","max_tokens":4,"messages":[{"role":"user","content":"Hi"}]}"#

    static func chat(_ app: Application, key: String, _ json: String = ask, path: String = "/v1/chat/completions") async throws -> RawHTTPConnection.Response {
        try await P.post(app.port, path, json, headers: [("authorization", "Bearer \(key)")])
    }

    static func admin(_ app: Application, _ method: String, _ path: String, _ body: String? = nil) async throws -> JSONValue {
        let port = app.port
        let response = try await onThread {
            let c = try RawHTTPConnection(port: port)
            c.setReadTimeout(seconds: 10)
            var headers = [("authorization", "Bearer \(master)")]
            if body != nil { headers.append(("content-type", "application/json")) }
            return try c.request(method, path, headers: headers, body: Array((body ?? "").utf8))
        }
        return try JSONValue(parsing: response.body)
    }

    /// Creates a team (JSON members in `team`) and a key for it (members in `key`): (team id, key id, secret).
    static func teamAndKey(_ app: Application, _ name: String, team: String = "", key: String = "") async throws -> (team: String, id: String, secret: String) {
        let created = try await admin(app, "POST", "/admin/teams", #"{"name":"\#(name)"\#(team)}"#)
        let teamID = try #require(created["id"]?.stringValue)
        let k = try await admin(app, "POST", "/admin/keys", #"{"team":"\#(teamID)"\#(key)}"#)
        return (teamID, try #require(k["id"]?.stringValue), try #require(k["key"]?.stringValue))
    }

    @Test func aKeyOverItsBudgetIsRefusedWith429InBothShapes() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let (_, _, secret) = try await Self.teamAndKey(app, "frugal", key: #","max_budget_usd":3"#)
            let refused = try await Self.chat(app, key: secret)
            #expect(refused.status == 429)
            #expect(refused.header("x-should-retry") == "false")
            let body = try JSONValue(parsing: refused.body)
            #expect(body["error"]?["code"]?.stringValue == "budget_exceeded")
            #expect(body["error"]?["message"]?.stringValue?.contains("may cost up to $4.00") == true)
            let anthropic = try await Self.chat(app, key: secret, Self.askClaude, path: "/v1/messages")
            #expect(anthropic.status == 429)
            let anthropicBody = try JSONValue(parsing: anthropic.body)
            #expect(anthropicBody["type"]?.stringValue == "error")
            #expect(anthropicBody["error"]?["type"]?.stringValue == "rate_limit_error")
            #expect(fake.requests.isEmpty)
            let entries = try await P.logged(app, atLeast: 2)
            #expect(entries.count == 2)
            #expect(entries.allSatisfy { $0.status == 429 && $0.attempts.isEmpty && $0.errorMessage?.hasPrefix("Budget exceeded") == true })
        }
        await fake.stop()
    }

    @Test func twentyConcurrentRequestsAgainstABudgetWorthFiveServeExactlyFive() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let (team, _, secret) = try await Self.teamAndKey(app, "exact", team: #","max_budget_usd":20"#)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    let path = index % 2 == 0 ? "/v1/chat/completions" : "/v1/messages"
                    let json = index % 2 == 0 ? Self.ask : Self.askClaude
                    group.addTask { try await Self.chat(app, key: secret, json, path: path).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 5)
            #expect(statuses.filter { $0 == 429 }.count == 15)
            #expect(fake.requests.count == 5)
            // The five settled at exactly their real cost: the budget is used up.
            try await app.store.flush()
            let spend = try await Self.admin(app, "GET", "/admin/teams/\(team)")
            #expect(spend["budget_used_usd"]?.doubleValue == 20)
        }
        await fake.stop()
    }

    @Test func anRPMLimitOfFiveLetsExactlyFiveThroughWithRateLimitHeaders() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let (_, _, secret) = try await Self.teamAndKey(app, "limited", key: #","rpm_limit":5"#)
            var statuses: [Int] = []
            var last: RawHTTPConnection.Response?
            for _ in 0..<8 {
                let r = try await Self.chat(app, key: secret)
                statuses.append(r.status)
                if r.status == 200 { #expect(r.header("x-ratelimit-limit-requests") == "5") }
                last = r
            }
            #expect(statuses.filter { $0 == 200 }.count == 5)
            #expect(statuses.suffix(3).allSatisfy { $0 == 429 })
            let refused = try #require(last)
            #expect(refused.header("retry-after") != nil)
            #expect((try JSONValue(parsing: refused.body))["error"]?["code"]?.stringValue == "rate_limit_exceeded")
        }
        await fake.stop()
    }

    @Test func allowListsRevokedKeysAndTokenCounting() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let (_, keyID, secret) = try await Self.teamAndKey(app, "narrow", key: #","models":["priced","priced-claude"]"#)
            #expect(try await Self.chat(app, key: secret).status == 200)
            let forbidden = try await Self.chat(app, key: secret, #"{"model":"other","messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(forbidden.status == 403)
            #expect(forbidden.header("x-should-retry") == "false")
            #expect((try JSONValue(parsing: forbidden.body))["error"]?["code"]?.stringValue == "model_not_allowed")
            // Token counting checks the allow-list too (and no budget).
            let count = #"{"model":"other","messages":[{"role":"user","content":"Hi"}]}"#
            #expect(try await Self.chat(app, key: secret, count, path: "/v1/messages/count_tokens").status == 403)
            let allowedCount = try await Self.chat(app, key: secret, #"{"model":"priced-claude","messages":[{"role":"user","content":"Hi"}]}"#, path: "/v1/messages/count_tokens")
            #expect(allowedCount.status == 200)
            let embeddings = try await Self.chat(app, key: secret, #"{"model":"embed","input":"Hi"}"#, path: "/v1/embeddings")
            #expect(embeddings.status == 403)

            _ = try await Self.admin(app, "DELETE", "/admin/keys/\(keyID)")
            let revoked = try await Self.chat(app, key: secret)
            #expect(revoked.status == 401)
            #expect((try JSONValue(parsing: revoked.body))["error"]?["code"]?.stringValue == "invalid_api_key")
        }
        await fake.stop()
    }

    @Test func spendIsSettledWithTheRealUsageAndRecordedWithTheCaller() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let (team, keyID, secret) = try await Self.teamAndKey(app, "payers", team: #","max_budget_usd":100"#, key: #","user":"ann""#)
            // The worst case is 50 × $1; the fake answers with 4 completion tokens.
            let big = #"{"model":"priced","max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}"#
            let r = try await P.post(app.port, "/v1/chat/completions", big, headers: [("authorization", "Bearer \(secret)"), ("x-keel-tags", "batch,nightly")])
            #expect(r.status == 200)
            let claude = try await Self.chat(app, key: secret, #"{"model":"priced-claude","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#, path: "/v1/messages")
            #expect(claude.status == 200)
            let entries = try await P.logged(app, atLeast: 2)
            #expect(entries.count == 2)
            for entry in entries {
                #expect(entry.metadata["key_id"] == keyID)
                #expect(entry.metadata["team"] == team)
                #expect(entry.metadata["user"] == "ann")
                #expect(entry.metadata["cost_usd"] == "4.0")
            }
            // Anthropic usage counts cache reads and writes in the input (5 + 7 + 2).
            #expect(entries.first { $0.model == "priced-claude" }?.inputTokens == 14)
            let teamInfo = try await Self.admin(app, "GET", "/admin/teams/\(team)")
            #expect(teamInfo["budget_used_usd"]?.doubleValue == 8)
            let spend = try await Self.admin(app, "GET", "/admin/spend?group_by=key&team=\(team)")
            let row = try #require(spend["data"]?[0])
            #expect(row["cost_usd"]?.doubleValue == 8)
            #expect(row["requests"]?.intValue == 2)
        }
        await fake.stop()
    }

    @Test func cachedAnswersAreNotSharedAcrossTeamsAndCostNothing() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let a = try await Self.teamAndKey(app, "team-a")
            let a2 = try await Self.admin(app, "POST", "/admin/keys", #"{"team":"\#(a.team)"}"#)["key"]?.stringValue
            let b = try await Self.teamAndKey(app, "team-b")
            let ask = #"{"model":"cached","messages":[{"role":"user","content":"What is Keel?"}]}"#
            #expect(try await Self.chat(app, key: a.secret, ask).header("x-keel-cache") == "miss")
            #expect(try await Self.chat(app, key: try #require(a2), ask).header("x-keel-cache") == "hit")
            #expect(try await Self.chat(app, key: b.secret, ask).header("x-keel-cache") == "miss")
            #expect(fake.requests.count == 2)
            let entries = try await P.logged(app)
            #expect(entries.first { $0.cache == "hit" }?.metadata["cost_usd"] == "0.0")
        }
        await fake.stop()
    }

    @Test func theRequestLogIsScopedByRole() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let a = try await Self.teamAndKey(app, "log-a")
            let b = try await Self.teamAndKey(app, "log-b")
            let adminA = try #require(try await Self.admin(app, "POST", "/admin/keys", #"{"team":"\#(a.team)","role":"team_admin"}"#)["key"]?.stringValue)
            let viewerB = try #require(try await Self.admin(app, "POST", "/admin/keys", #"{"team":"\#(b.team)","role":"viewer"}"#)["key"]?.stringValue)
            #expect(try await Self.chat(app, key: a.secret).status == 200)
            #expect(try await Self.chat(app, key: b.secret).status == 200)
            try await app.store.flush()
            let port = app.port
            func list(_ key: String) async throws -> RawHTTPConnection.Response {
                try await onThread {
                    let c = try RawHTTPConnection(port: port)
                    c.setReadTimeout(seconds: 10)
                    return try c.request("GET", "/admin/requests", headers: [("authorization", "Bearer \(key)")])
                }
            }
            func teams(_ response: RawHTTPConnection.Response) throws -> Set<String> {
                let data = try JSONValue(parsing: response.body)["data"]?.arrayValue ?? []
                return Set(data.compactMap { $0["team"]?.stringValue ?? $0["metadata"]?["team"]?.stringValue })
            }
            let all = try await list(Self.master)
            #expect(all.status == 200)
            #expect(try teams(all) == [a.team, b.team])
            let ownA = try await list(adminA)
            #expect(ownA.status == 200)
            #expect(try teams(ownA) == [a.team])
            let ownB = try await list(viewerB)
            #expect(ownB.status == 200)
            #expect(try teams(ownB) == [b.team])
            #expect(try await list(a.secret).status == 403)
        }
        await fake.stop()
    }
}
