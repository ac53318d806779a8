import Foundation
import KeelConfig
import KeelCore
import KeelServer
import KeelStore
import KeelTestSupport
import Testing
@testable import KeelGovernance

@Suite("Admin API")
struct AdminAPITests {
    static let master = "sk-master-admin-test"

    static func configure(_ config: inout KeelConfig) {
        config.server.masterKey = Secret(master)
        config.providers = [ProviderConfig(name: "openai", kind: .openai)]
        config.models = [
            ModelConfig(name: "gpt-4o-mini", routes: [RouteConfig(provider: "openai", model: "gpt-4o-mini")]),
            ModelConfig(name: "priced", routes: [RouteConfig(provider: "openai", model: "x")], pricing: ModelPricing(inputPerMillion: 4, outputPerMillion: 6)),
        ]
    }

    @Test func eachRoleGetsWhatItMayAndTeamsAreIsolated() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let api = AdminClient(port: app.port)
            let a = try await api.team("alpha", key: Self.master)
            let b = try await api.team("beta", key: Self.master)
            let adminA = try await api.key(#"{"team":"alpha","role":"team_admin","name":"a-admin"}"#, key: Self.master)
            let adminB = try await api.key(#"{"team":"\#(b)","role":"team_admin"}"#, key: Self.master)
            let devA = try await api.key(#"{"team":"alpha"}"#, key: Self.master)
            let viewA = try await api.key(#"{"team":"alpha","role":"viewer"}"#, key: Self.master)

            // team_admin: manages its own team's keys only.
            let own = try await api.key(#"{"name":"made-by-team-admin"}"#, key: adminA.secret)
            #expect(try await api.call("GET", "/admin/keys/\(own.id)", key: Self.master)["team"]?.stringValue == a)
            #expect(try await api.call("POST", "/admin/keys", key: adminA.secret, body: #"{"team":"beta"}"#).status == 404)
            #expect(try await api.call("POST", "/admin/keys", key: adminA.secret, body: #"{"role":"super_admin"}"#).status == 400)
            let listA = try await api.call("GET", "/admin/keys", key: adminA.secret)
            #expect(listA.status == 200)
            #expect(listA.data.count == 4)
            #expect(listA.data.allSatisfy { $0["team"]?.stringValue == a && $0["key"] == nil })
            #expect(!listA.text.contains(adminA.secret) && !listA.text.contains(devA.secret))
            for (method, path) in [("GET", "/admin/keys/\(adminB.id)"), ("DELETE", "/admin/keys/\(adminB.id)"), ("POST", "/admin/keys/\(adminB.id)/rotate"), ("GET", "/admin/teams/\(b)")] {
                let reply = try await api.call(method, path, key: adminA.secret)
                #expect(reply.status == 404, "\(method) \(path)")
            }
            #expect(try await api.call("POST", "/admin/teams", key: adminA.secret, body: #"{"name":"gamma"}"#).status == 403)
            #expect(try await api.call("PATCH", "/admin/teams/\(a)", key: adminA.secret, body: #"{"rpm_limit":5}"#).status == 403)
            #expect(try await api.call("DELETE", "/admin/teams/\(a)", key: adminA.secret).status == 403)
            #expect(try await api.call("GET", "/admin/teams", key: adminA.secret).data.compactMap { $0["id"]?.stringValue } == [a])
            // Still exists: adminA could not touch it.
            #expect(try await api.call("GET", "/admin/keys/\(adminB.id)", key: Self.master)["revoked"] == false)

            // developer: models only.
            for (method, path) in [("GET", "/admin/keys"), ("GET", "/admin/spend"), ("GET", "/admin/audit"), ("GET", "/admin/teams"), ("POST", "/admin/keys")] {
                let reply = try await api.call(method, path, key: devA.secret, body: method == "POST" ? "{}" : nil)
                #expect(reply.status == 403, "developer \(method) \(path)")
                #expect(reply.errorCode == "permission_denied")
                #expect(reply.header("x-should-retry") == "false")
            }
            #expect(try await api.call("GET", "/admin/whoami", key: devA.secret)["role"]?.stringValue == "developer")

            // viewer: reads its team's spend and audit log; cannot call models or manage keys.
            #expect(try await api.call("GET", "/admin/spend", key: viewA.secret)["team"]?.stringValue == a)
            let auditA = try await api.call("GET", "/admin/audit", key: viewA.secret)
            #expect(auditA.status == 200)
            #expect(!auditA.data.isEmpty && auditA.data.allSatisfy { $0["team"]?.stringValue == a })
            #expect(try await api.call("GET", "/admin/keys", key: viewA.secret).status == 403)
            let chat = try await api.call("POST", "/v1/chat/completions", key: viewA.secret, body: #"{"model":"gpt-4o-mini","messages":[]}"#)
            #expect(chat.status == 403)
            #expect(chat.errorCode == "permission_denied")
            #expect(try await api.call("GET", "/v1/models", key: viewA.secret).status == 200)

            // Another team's reports are invisible.
            #expect(try await api.call("GET", "/admin/spend?team=alpha", key: adminB.secret).status == 404)
            #expect(try await api.call("GET", "/admin/audit?team=\(a)", key: adminB.secret).status == 404)
            #expect(try await api.call("GET", "/admin/audit", key: adminB.secret).data.allSatisfy { $0["team"]?.stringValue == b })

            // Super-admin sees every team.
            #expect(try await api.call("GET", "/admin/teams", key: Self.master).data.count == 2)
            #expect(try await api.call("GET", "/admin/keys", key: Self.master).data.count == 5)

            // Refusals are audited.
            let denied = try await api.call("GET", "/admin/audit?outcome=denied&actor=key:\(devA.id)", key: Self.master)
            #expect(denied.data.count == 5)
        }
    }

    @Test func rotationAndRevocationTakeEffectAtOnce() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let api = AdminClient(port: app.port)
            _ = try await api.team("rot", key: Self.master)
            let key = try await api.key(#"{"team":"rot","name":"ci"}"#, key: Self.master)
            #expect(key.secret.hasPrefix("sk-keel-"))
            #expect(try await api.call("GET", "/v1/models", key: key.secret).status == 200)

            let rotated = try await api.call("POST", "/admin/keys/\(key.id)/rotate", key: Self.master)
            #expect(rotated.status == 200)
            let newSecret = try #require(rotated["key"]?.stringValue)
            #expect(newSecret != key.secret)
            #expect(rotated["key_prefix"]?.stringValue == String(newSecret.prefix(12)) + "…")
            let old = try await api.call("GET", "/v1/models", key: key.secret)
            #expect(old.status == 401)
            #expect(old.errorCode == "invalid_api_key")
            #expect(try await api.call("GET", "/v1/models", key: newSecret).status == 200)

            #expect(try await api.call("DELETE", "/admin/keys/\(key.id)", key: Self.master).status == 200)
            let revoked = try await api.call("GET", "/v1/models", key: newSecret)
            #expect(revoked.status == 401)
            #expect(revoked.text.contains("revoked"))
            #expect(try await api.call("GET", "/admin/keys/\(key.id)", key: Self.master)["revoked"] == true)
            #expect(try await api.call("POST", "/admin/keys/\(key.id)/rotate", key: Self.master).status == 400)

            // Expired keys are 401 too; deleting a team revokes its keys.
            let expired = try await api.key(#"{"team":"rot","expires_at":"2020-01-01T00:00:00Z"}"#, key: Self.master)
            let expiredReply = try await api.call("GET", "/v1/models", key: expired.secret)
            #expect(expiredReply.status == 401)
            #expect(expiredReply.text.contains("expired at 2020-01-01T00:00:00Z"))
            let live = try await api.key(#"{"team":"rot"}"#, key: Self.master)
            #expect(try await api.call("DELETE", "/admin/teams/rot", key: Self.master).status == 200)
            #expect(try await api.call("GET", "/v1/models", key: live.secret).status == 401)

            // Newest first: the refused rotation of the revoked key, the revocation, the rotation, the creation.
            let trail = try await api.call("GET", "/admin/audit?target=\(key.id)", key: Self.master).data
            #expect(trail.compactMap { $0["action"]?.stringValue } == ["key.rotate", "key.revoke", "key.rotate", "key.create"])
            #expect(trail.compactMap { $0["outcome"]?.stringValue } == ["failed", "ok", "ok", "ok"])
        }
    }

    @Test func badAdminInputIsA400NamingTheField() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let api = AdminClient(port: app.port)
            for (body, param) in [
                (#"{"name":"x","max_budget":5}"#, "max_budget"),
                (#"{"name":"x","max_budget_usd":-1}"#, "max_budget_usd"),
                (#"{"name":"x","budget_period":"yearly"}"#, "budget_period"),
                (#"{"name":"x","rpm_limit":0}"#, "rpm_limit"),
                (#"{"name":"x","models":"gpt-4o"}"#, "models"),
                (#"{}"#, "name"),
            ] {
                let reply = try await api.call("POST", "/admin/teams", key: Self.master, body: body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.json["error"]?["param"]?.stringValue == param, "\(body)")
            }
            #expect(try await api.call("POST", "/admin/teams", key: Self.master, body: "not json").status == 400)
            _ = try await api.team("dup", key: Self.master, extra: #","models":["gpt-4o-mini"]"#)
            #expect(try await api.call("POST", "/admin/teams", key: Self.master, body: #"{"name":"dup"}"#).status == 409)
            let stray = try await api.call("POST", "/admin/keys", key: Self.master, body: #"{"team":"dup","models":["priced"]}"#)
            #expect(stray.status == 400)
            #expect(try await api.call("POST", "/admin/keys", key: Self.master, body: #"{"team":"nope"}"#).status == 404)
            #expect(try await api.call("GET", "/admin/spend?group_by=week", key: Self.master).status == 400)
            #expect(try await api.call("GET", "/admin/spend?from=yesterday", key: Self.master).status == 400)
            // PATCH changes and clears limits.
            let patched = try await api.call("PATCH", "/admin/teams/dup", key: Self.master, body: #"{"max_budget_usd":12.5,"models":null}"#)
            #expect(patched.status == 200)
            #expect(patched["max_budget_usd"] == 12.5)
            #expect(patched["models"] == .null)
            #expect(patched["budget_used_usd"]?.doubleValue == 0)
        }
    }

    @Test func spendIsReportedByTeamKeyModelAndDay() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let api = AdminClient(port: app.port)
            _ = try await api.team("spenders", key: Self.master, extra: #","max_budget_usd":100"#)
            let key = try await api.key(#"{"team":"spenders","user":"ann"}"#, key: Self.master)
            let caller = try app.governance.authenticate(["authorization": "Bearer \(key.secret)"])
            for (model, input, output) in [("priced", 1000, 1000), ("priced", 500, 0), ("gpt-4o-mini", 1_000_000, 0)] {
                let reservation = try await app.governance.admit(caller, model: model, promptTokens: input, maxOutputTokens: output)
                await app.governance.settle(reservation, usage: TokenUsage(inputTokens: input, outputTokens: output), status: 200, tags: ["feature:test"])
            }
            let byModel = try await api.call("GET", "/admin/spend?group_by=model", key: Self.master)
            #expect(byModel.status == 200)
            // priced: $0.01 + $0.002; gpt-4o-mini: 1M input tokens at $0.15.
            #expect(byModel.data.map { $0["model"]?.stringValue } == ["gpt-4o-mini", "priced"])
            #expect(byModel.data.map { $0["cost_usd"]?.doubleValue } == [0.15, 0.012])
            #expect(byModel["total_cost_usd"]?.doubleValue == 0.162)
            #expect(try await api.call("GET", "/admin/spend?group_by=key", key: Self.master).data.first?["key"]?.stringValue == key.id)
            #expect(try await api.call("GET", "/admin/spend?group_by=team", key: key.secret).status == 403)
            let today = String(RFC3339.now().prefix(10))
            let byDay = try await api.call("GET", "/admin/spend?group_by=day&from=\(today)", key: Self.master)
            #expect(byDay.data.first?["day"]?.stringValue == today)
            #expect(byDay.data.first?["requests"] == 3)
            #expect(try await api.call("GET", "/admin/spend?to=2020-01-01", key: Self.master).data.isEmpty)
            let team = try await api.call("GET", "/admin/teams/spenders", key: Self.master)
            #expect(team["budget_used_usd"]?.doubleValue == 0.162)
        }
    }

    @Test func theOpenAPIDocumentIsPublicAndDescribesEveryRoute() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let reply = try await AdminClient(port: app.port).call("GET", "/admin/openapi.json", key: nil)
            #expect(reply.status == 200)
            let paths = try #require(reply["paths"]?.objectValue)
            for path in ["/admin/teams", "/admin/teams/{id}", "/admin/keys", "/admin/keys/{id}", "/admin/keys/{id}/rotate", "/admin/spend", "/admin/audit"] {
                #expect(paths[path] != nil, "\(path)")
            }
            #expect(try await AdminClient(port: app.port).call("GET", "/admin/teams", key: nil).status == 401)
        }
    }

    @Test func invalidCredentialsAreAuditedWithoutTheCredential() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let api = AdminClient(port: app.port)
            let wrong = "sk-keel-this-is-not-a-real-key-0000000000000"
            #expect(try await api.call("GET", "/v1/models", key: wrong).status == 401)
            let entries = try await api.call("GET", "/admin/audit?action=auth.authenticate", key: Self.master)
            #expect(entries.data.count == 1)
            #expect(entries.data.first?["outcome"] == "denied")
            #expect(entries.data.first?["target"] == "GET /v1/models")
            #expect(!entries.text.contains(wrong))
            let verified = try await app.governance.store.verifyAudit()
            #expect(verified.isIntact)
        }
    }
}

@Suite("Secrets at rest")
struct SecretsAtRestTests {
    @Test func noPlaintextKeyIsWrittenToTheDataDirectoryOrTheLogs() async throws {
        let directory = TemporaryDirectory()
        var config = KeelConfig()
        AdminAPITests.configure(&config)
        config.server.listen = ListenAddress(host: "127.0.0.1", port: 0)
        config.storage.url = .sqlite(path: directory.path + "/data/keel.db")
        let (sink, logs) = LogSink.memory()
        let app = try buildApplication(config: config, logger: Logger(label: "keel", level: .trace, sink: sink))
        try app.start()
        let api = AdminClient(port: app.port)
        var secrets: [String] = []
        do {
            _ = try await api.team("vault", key: AdminAPITests.master)
            for i in 0..<3 {
                let key = try await api.key(#"{"team":"vault","name":"k\#(i)","max_budget_usd":1}"#, key: AdminAPITests.master)
                secrets.append(key.secret)
                _ = try await api.call("GET", "/v1/models", key: key.secret)
                _ = try await api.call("GET", "/admin/whoami", key: key.secret)
                let rotated = try await api.call("POST", "/admin/keys/\(key.id)/rotate", key: AdminAPITests.master)
                secrets.append(try #require(rotated["key"]?.stringValue))
            }
        } catch {
            await app.shutdown()
            throw error
        }
        await app.shutdown()

        var scanned = 0
        let root = directory.path + "/data"
        for name in try FileManager.default.contentsOfDirectory(atPath: root) {
            let bytes = try #require(FileManager.default.contents(atPath: root + "/" + name))
            scanned += bytes.count
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(name) contains a key")
            }
        }
        #expect(scanned > 0)
        let text = logs().joined(separator: "\n")
        #expect(!text.isEmpty)
        for secret in secrets + [AdminAPITests.master] {
            #expect(!text.contains(secret))
            // Not even the random part after the visible prefix.
            #expect(!text.contains(String(secret.dropFirst(12))))
        }
    }

    @Test func shutdownWritesEverySpendRecordAndAuditEntryAccepted() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keel.db"
        var config = KeelConfig()
        AdminAPITests.configure(&config)
        config.server.listen = ListenAddress(host: "127.0.0.1", port: 0)
        // Nothing is written by the timer within the test: only shutdown can write the buffers.
        config.storage = StorageConfig(url: .sqlite(path: path), flushInterval: .seconds(3600))
        let app = try buildApplication(config: config, logger: Logger(label: "keel", sink: LogSink.memory().0))
        try app.start()
        let team = try await app.governance.testTeam("flush")
        let (caller, _) = try await app.governance.testKey(team: team)
        for i in 0..<300 {
            let reservation = try await app.governance.admit(caller, model: "priced", promptTokens: 10, maxOutputTokens: 10, requestID: "r\(i)")
            await app.governance.settle(reservation, usage: TokenUsage(inputTokens: 10, outputTokens: 10), status: 200, requestID: "r\(i)")
        }
        await app.shutdown()
        let store = try GovernanceStore(path: path, logger: Logger(label: "t", sink: LogSink.memory().0))
        #expect(try store.spendTotals(by: .model, since: 0) == ["priced": 300 * 100_000])
        let verification = try await store.verifyAudit()
        #expect(verification.isIntact)
        #expect(verification.checked == 300)
        await store.shutdown()
    }

    @Test func ssoTokensAuthenticateWithTheirMappedRoleAndTeam() async throws {
        let jwks = TemporaryDirectoryForJWKS()
        try await withTestApplication(configure: { config in
            AdminAPITests.configure(&config)
            config.auth.jwt = JWTAuthConfig(
                keys: .file(jwks.path), issuer: "https://idp.example.com/", audience: "keel",
                roleMap: ["ml-leads": "team_admin", "engineers": "developer", "auditors": "viewer"]
            )
        }) { app, _ in
            let api = AdminClient(port: app.port)
            let platform = try await api.team("platform", key: AdminAPITests.master)
            let who = try await api.call("GET", "/admin/whoami", key: JWTFixtures.goodRS256)
            #expect(who.status == 200)
            #expect(who["role"] == "team_admin")
            #expect(who["team"]?.stringValue == platform)
            #expect(who["actor"] == "jwt:alice@example.com")
            // A team admin by SSO creates keys for its team.
            #expect(try await api.call("POST", "/admin/keys", key: JWTFixtures.goodRS256, body: #"{"name":"from-sso"}"#).status == 201)
            #expect(try await api.call("GET", "/admin/whoami", key: JWTFixtures.goodES256)["role"] == "developer")
            #expect(try await api.call("GET", "/admin/keys", key: JWTFixtures.viewer).status == 403)
            for token in [JWTFixtures.expired, JWTFixtures.wrongIssuer, JWTFixtures.wrongAudience, JWTFixtures.badSignature, JWTFixtures.algNone] {
                let reply = try await api.call("GET", "/admin/whoami", key: token)
                #expect(reply.status == 401)
                #expect(reply.errorCode == "invalid_api_key")
            }
            #expect(try await api.call("GET", "/admin/whoami", key: JWTFixtures.otherTeam).status == 403)
        }
    }
}
