import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

/// Fault injection end to end: the real application in front of fake upstreams that fail in every
/// way the routing layer must hide (5xx, 429 with retry-after, hangs, resets, cut streams).
///
/// Most models use the `cost` strategy with the faulty route cheaper, so the first attempt goes to
/// it deterministically and the failover is observable.
@Suite("Resilience: retries, failover, breakers, hedging, timeouts", .serialized)
struct ResilienceTests {
    typealias P = GatewayPassthroughTests
    static let chat = #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#

    /// A model whose first (cheaper) route has the upstream model `faulty` and whose second is healthy.
    static func failover(_ name: String = "m", faulty: String, provider: String = "oai", timeout: Duration? = nil, firstToken: Duration? = nil, retries: Int = 2) -> ModelConfig {
        ModelConfig(
            name: name,
            routes: [
                RouteConfig(provider: provider, model: faulty, timeout: timeout, firstTokenTimeout: firstToken, pricing: ModelPricing(inputPerMillion: 1, outputPerMillion: 1)),
                RouteConfig(provider: "oai", model: "gpt-healthy", pricing: ModelPricing(inputPerMillion: 5, outputPerMillion: 5)),
            ],
            strategy: .cost, retries: retries
        )
    }

    static func configure(_ fake: FakeProvider, extraProviders: [ProviderConfig] = [], models: [ModelConfig]) -> (inout KeelConfig) -> Void {
        { config in
            config.server.masterKey = Secret(P.key)
            config.providers = [ProviderConfig(name: "oai", kind: .openai, baseURL: fake.openAIBaseURL, apiKey: Secret(P.upstreamKey))] + extraProviders
            config.models = models
        }
    }

    static func post(_ app: Application, _ json: String = chat, headers: [(String, String)] = []) async throws -> RawHTTPConnection.Response {
        try await P.post(app.port, "/v1/chat/completions", json, headers: [("authorization", "Bearer \(P.key)")] + headers)
    }

    static func statuses(_ entry: RequestLogEntry) -> [String] {
        entry.attempts.map { "\($0.model):\($0.status)" }
    }

    @Test func serverErrorsFailOverAndOpenTheBreaker() async throws {
        let fake = try FakeProvider()
        // The model's own breaker settings: two failures open it, for longer than any loaded
        // machine takes to send the remaining requests.
        var model = Self.failover(faulty: "status-503")
        model.breaker = BreakerConfig(failures: 2, cooldown: .seconds(60))
        try await withTestApplication(configure: Self.configure(fake, models: [model])) { app, _ in
            for i in 1...5 {
                let r = try await Self.post(app)
                #expect(r.status == 200)
                #expect(r.header("x-keel-route") == "oai/gpt-healthy")
                // Two failures in a row open the cheap route's breaker: later requests skip it.
                #expect(r.header("x-keel-attempts") == (i <= 2 ? "2" : "1"))
            }
            #expect(fake.requestCount(model: "status-503") == 2)
            let entries = try await P.logged(app).sorted { $0.time < $1.time || ($0.time == $1.time && $0.attempts.count > $1.attempts.count) }
            #expect(entries.map(\.status) == [200, 200, 200, 200, 200])
            #expect(entries.filter { $0.attempts.count == 2 }.allSatisfy { Self.statuses($0) == ["status-503:503", "gpt-healthy:200"] })
            let first = try #require(entries.first { $0.attempts.count == 2 })
            #expect(first.attempts[0].error?.contains("overloaded") == true)
            #expect(first.attempts[1].startedMs >= first.attempts[0].startedMs + first.attempts[0].latencyMs - 1)
            #expect(first.provider == "oai" && first.upstreamModel == "gpt-healthy")
        }
        await fake.stop()
    }

    @Test func a429TakesTheRouteOutForItsRetryAfter() async throws {
        let fake = try FakeProvider()
        // Three seconds: long enough that the second request comes within them on a loaded machine.
        try await withTestApplication(configure: Self.configure(fake, models: [Self.failover(faulty: "retry-after-3")])) { app, _ in
            let first = try await Self.post(app)
            #expect(first.status == 200 && first.header("x-keel-attempts") == "2")
            let during = try await Self.post(app)
            #expect(during.status == 200 && during.header("x-keel-attempts") == "1")
            #expect(fake.requestCount(model: "retry-after-3") == 1)
            try await Task.sleep(for: .milliseconds(3100))
            // Cooled down: the route is probed again (and is rate limited again).
            let after = try await Self.post(app)
            #expect(after.status == 200 && after.header("x-keel-attempts") == "2")
            #expect(fake.requestCount(model: "retry-after-3") == 2)
        }
        await fake.stop()
    }

    @Test func aSingleRouteIsRetriedAfterItsRetryAfterWithinTheWaitBudget() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake, models: [
            ModelConfig(name: "m", routes: [RouteConfig(provider: "oai", model: "retry-after-ms-150")]),
            ModelConfig(name: "long", routes: [RouteConfig(provider: "oai", model: "retry-after-30")]),
        ])) { app, _ in
            let r = try await Self.post(app)
            #expect(r.status == 429)
            #expect(r.header("x-keel-attempts") == "3")
            let entry = try #require(try await P.logged(app).first)
            let starts = entry.attempts.map(\.startedMs)
            #expect(starts.count == 3)
            // Each retry waited at least the 150 ms the upstream asked for.
            #expect(zip(starts.dropFirst(), starts).allSatisfy { $0 - $1 >= 150 })
            // A retry-after longer than queue_timeout_ms (1 s by default) goes back to the client at once.
            let long = try await Self.post(app, #"{"model":"long","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(long.status == 429)
            #expect(long.header("retry-after") == "30")
            #expect(long.header("x-keel-attempts") == "1")
        }
        await fake.stop()
    }

    @Test func whenEveryRouteCoolsTheRequestWaitsForTheFirstToReturn() async throws {
        let fake = try FakeProvider()
        let other = try FakeProvider()
        let routes = [RouteConfig(provider: "oai", model: "limited-once-300"), RouteConfig(provider: "other", model: "limited-once-300")]
        var patient = ModelConfig(name: "m", routes: routes)
        patient.queueTimeout = .seconds(2)
        var impatient = ModelConfig(name: "impatient", routes: [RouteConfig(provider: "oai", model: "limited-once-5000"), RouteConfig(provider: "other", model: "limited-once-5000")])
        impatient.queueTimeout = .milliseconds(100)
        let extra = [ProviderConfig(name: "other", kind: .openai, baseURL: other.openAIBaseURL, apiKey: Secret(P.upstreamKey))]
        try await withTestApplication(configure: Self.configure(fake, extraProviders: extra, models: [patient, impatient])) { app, _ in
            let r = try await Self.post(app)
            #expect(r.status == 200)
            #expect(r.header("x-keel-attempts") == "3")
            let entry = try #require(try await P.logged(app).first)
            #expect(entry.attempts.map(\.status) == [429, 429, 200])
            #expect(entry.attempts[2].startedMs - entry.attempts[0].startedMs >= 300)

            let refused = try await Self.post(app, #"{"model":"impatient","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(refused.status == 429)
            #expect(refused.header("x-keel-attempts") == "2")
        }
        await fake.stop()
        await other.stop()
    }

    @Test func hangsTimeOutAndAreNotRetriedOnTheSameRoute() async throws {
        let fake = try FakeProvider()
        var single = ModelConfig(name: "single", routes: [RouteConfig(provider: "oai", model: "hang", timeout: .milliseconds(200))])
        single.retries = 2
        try await withTestApplication(configure: Self.configure(fake, models: [Self.failover(faulty: "hang", timeout: .milliseconds(200)), single])) { app, _ in
            let r = try await Self.post(app)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "oai/gpt-healthy")
            let alone = try await Self.post(app, #"{"model":"single","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(alone.status == 504)
            #expect(alone.header("x-keel-attempts") == "1")
            #expect(alone.header("x-keel-route") == "oai/hang")
            let entries = try await P.logged(app)
            #expect(entries.first { $0.model == "m" }.map(Self.statuses) == ["hang:504", "gpt-healthy:200"])
            #expect(entries.first { $0.model == "single" }?.status == 504)
        }
        await fake.stop()
    }

    @Test func aPerRequestTimeoutOverridesTheRoutesWithinTheMaximum() async throws {
        let fake = try FakeProvider()
        var capped = ModelConfig(name: "capped", routes: [RouteConfig(provider: "oai", model: "delay-400")])
        capped.maxTimeout = .milliseconds(100)
        try await withTestApplication(configure: Self.configure(fake, models: [ModelConfig(name: "m", routes: [RouteConfig(provider: "oai", model: "delay-400")]), capped])) { app, _ in
            let short = try await Self.post(app, headers: [("x-keel-timeout-ms", "100")])
            #expect(short.status == 504)
            #expect(short.bodyText.contains("upstream_timeout"))
            #expect(try await Self.post(app).status == 200)
            // Above max_timeout_ms the header is lowered to it.
            let lowered = try await Self.post(app, #"{"model":"capped","messages":[{"role":"user","content":"hi"}]}"#, headers: [("x-keel-timeout-ms", "60000")])
            #expect(lowered.status == 504)
            let invalid = try await Self.post(app, headers: [("x-keel-timeout-ms", "soon")])
            #expect(invalid.status == 400)
            #expect(invalid.bodyText.contains("x-keel-timeout-ms"))
        }
        await fake.stop()
    }

    @Test func connectionResetsFailOver() async throws {
        let fake = try FakeProvider()
        let resetting = try TestHTTPServerResettingUpstream()
        let extra = [ProviderConfig(name: "flaky-proxy", kind: .openai, baseURL: resetting.baseURL + "/v1", apiKey: Secret(P.upstreamKey))]
        try await withTestApplication(configure: Self.configure(fake, extraProviders: extra, models: [Self.failover(faulty: "gpt", provider: "flaky-proxy")])) { app, _ in
            let r = try await Self.post(app)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "oai/gpt-healthy")
            let entry = try #require(try await P.logged(app).first)
            #expect(entry.attempts.map(\.provider) == ["flaky-proxy", "oai"])
            #expect(entry.attempts.first?.status == 502)
            #expect(resetting.requestCount >= 1)
        }
        resetting.stop()
        await fake.stop()
    }

    @Test func streamsFailOverOnlyBeforeTheirFirstByte() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake, models: [
            Self.failover(faulty: "stall-stream", firstToken: .milliseconds(200)),
            Self.failover("cut", faulty: "cut-stream"),
        ])) { app, _ in
            // No first token in time: the stream is moved to the healthy route, invisibly.
            let moved = try await Self.post(app, #"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(moved.status == 200)
            #expect(moved.header("x-keel-route") == "oai/gpt-healthy")
            #expect(moved.header("x-keel-attempts") == "2")
            #expect(moved.bodyText.hasSuffix("data: [DONE]\n\n"))
            #expect(!moved.bodyText.contains("error"))
            // Cut after the first token reached the client: the stream ends with the error event.
            let cut = try await Self.post(app, #"{"model":"cut","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(cut.status == 200)
            #expect(cut.header("x-keel-attempts") == "1")
            #expect(cut.bodyText.contains(#"data: {"error":{"message":"#))
            #expect(!cut.bodyText.contains("[DONE]"))
            let entries = try await P.logged(app)
            #expect(entries.first { $0.model == "m" }.map(Self.statuses) == ["stall-stream:504", "gpt-healthy:200"])
            #expect(entries.first { $0.model == "cut" }?.status == 502)
        }
        await fake.stop()
    }

    @Test func fallbacksAnswerWhenEveryRouteFails() async throws {
        let fake = try FakeProvider()
        let models = [
            ModelConfig(name: "m", routes: [RouteConfig(provider: "oai", model: "status-503")], retries: 1, fallbacks: ["backup"]),
            ModelConfig(name: "long", routes: [RouteConfig(provider: "oai", model: "context-length")], fallbacks: ["backup"], contextWindowFallbacks: ["big"]),
            ModelConfig(name: "strict", routes: [RouteConfig(provider: "oai", model: "content-filter")], contentPolicyFallbacks: ["backup"]),
            ModelConfig(name: "plain", routes: [RouteConfig(provider: "oai", model: "content-filter")], fallbacks: ["backup"]),
            ModelConfig(name: "backup", routes: [RouteConfig(provider: "oai", model: "gpt-backup")]),
            ModelConfig(name: "big", routes: [RouteConfig(provider: "oai", model: "gpt-big")]),
        ]
        try await withTestApplication(configure: Self.configure(fake, models: models)) { app, _ in
            let r = try await Self.post(app)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "oai/gpt-backup")
            #expect(r.header("x-keel-attempts") == "3")
            let long = try await Self.post(app, #"{"model":"long","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(long.header("x-keel-route") == "oai/gpt-big")
            let strict = try await Self.post(app, #"{"model":"strict","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(strict.status == 200 && strict.header("x-keel-route") == "oai/gpt-backup")
            // A refusal is not a failure the ordinary fallbacks are for.
            let plain = try await Self.post(app, #"{"model":"plain","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(plain.status == 400 && plain.bodyText.contains("content_filter"))
            #expect(plain.header("x-keel-attempts") == "1")
            let entries = try await P.logged(app)
            #expect(entries.first { $0.model == "m" }.map(Self.statuses) == ["status-503:503", "status-503:503", "gpt-backup:200"])
            #expect(entries.first { $0.model == "long" }.map(Self.statuses) == ["context-length:400", "gpt-big:200"])
        }
        await fake.stop()
    }

    @Test func embeddingsFailOverToo() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake, models: [Self.failover(faulty: "fail-first-9")])) { app, _ in
            let r = try await P.post(app.port, "/v1/embeddings", #"{"model":"m","input":"hello"}"#)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "oai/gpt-healthy")
            #expect(r.header("x-keel-attempts") == "2")
            #expect(try JSONValue(parsing: r.body)["data"]?[0]?["embedding"]?.arrayValue?.count == FakeProvider.defaultEmbeddingDimensions)
            let entry = try #require(try await P.logged(app).first)
            #expect(entry.inboundAPI == "openai.embeddings")
            #expect(Self.statuses(entry) == ["fail-first-9:503", "gpt-healthy:200"])
        }
        await fake.stop()
    }

    @Test func aHedgeAnswersForASlowRouteAndTheLoserIsCancelled() async throws {
        let fake = try FakeProvider()
        let slow = try FakeProvider()
        var hedged = Self.failover(faulty: "delay-2000", provider: "slow")
        hedged.hedgeAfter = .milliseconds(50)
        let extra = [ProviderConfig(name: "slow", kind: .openai, baseURL: slow.openAIBaseURL, apiKey: Secret(P.upstreamKey))]
        try await withTestApplication(configure: Self.configure(fake, extraProviders: extra, models: [hedged])) { app, _ in
            for stream in [false, true] {
                let r = try await Self.post(app, #"{"model":"m","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#)
                #expect(r.status == 200)
                #expect(r.header("x-keel-route") == "oai/gpt-healthy")
                #expect(r.header("x-keel-attempts") == "2")
            }
            let entries = try await P.logged(app, atLeast: 2)
            #expect(entries.count == 2)
            for entry in entries {
                #expect(Self.statuses(entry) == ["delay-2000:499", "gpt-healthy:200"])
                #expect(entry.attempts.map(\.provider) == ["slow", "oai"])
                #expect(entry.attempts[1].startedMs >= 50)
                // The loser was cancelled when the hedge answered, long before its 2 s.
                #expect(entry.attempts[0].latencyMs < 1500)
            }
        }
        await fake.stop()
        await slow.stop()
    }

    @Test func tenThousandRequestsAgainstAFlakyRouteSeeNoErrorsAndEveryAttemptIsLogged() async throws {
        let fake = try FakeProvider()
        let model = ModelConfig(name: "m", routes: [RouteConfig(provider: "oai", model: "flaky-30"), RouteConfig(provider: "oai", model: "gpt-steady")])
        try await withTestApplication(configure: Self.configure(fake, models: [model]), logLevel: .warning) { app, _ in
            let total = 10_000, workers = 16
            let body = Array(Self.chat.utf8)
            let port = app.port
            let failures = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<workers {
                    group.addTask {
                        try await onThread {
                            let c = try RawHTTPConnection(port: port)
                            c.setReadTimeout(seconds: 10)
                            var bad: [Int] = []
                            for _ in 0..<(total / workers) {
                                let r = try c.request("POST", "/v1/chat/completions", headers: [("authorization", "Bearer \(P.key)"), ("content-type", "application/json")], body: body)
                                if r.status != 200 { bad.append(r.status) }
                            }
                            return bad
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(failures.isEmpty)
            try await app.store.flush()
            var entries: [RequestLogEntry] = []
            var cursor: RequestLogCursor?
            while true {
                let page = try await app.store.requests(RequestLogQuery(limit: RequestLogQuery.maximumLimit, before: cursor))
                entries += page
                guard let last = page.last, page.count == RequestLogQuery.maximumLimit else { break }
                cursor = RequestLogCursor(after: last)
            }
            #expect(entries.count == total)
            #expect(entries.allSatisfy { $0.status == 200 })
            let attempts = entries.flatMap(\.attempts)
            let flaky = fake.requestCount(model: "flaky-30"), steady = fake.requestCount(model: "gpt-steady")
            #expect(attempts.count == flaky + steady)
            #expect(attempts.filter { $0.model == "flaky-30" }.count == flaky)
            // 30 % of the flaky route's answers failed; each was retried on the other route.
            let failed = attempts.filter { $0.status == 500 }
            #expect(failed.count == flaky * 30 / 100)
            #expect(failed.allSatisfy { $0.model == "flaky-30" })
            #expect(entries.filter { $0.attempts.count == 2 }.allSatisfy { Self.statuses($0) == ["flaky-30:500", "gpt-steady:200"] })
            #expect(entries.filter { $0.attempts.count == 2 }.count == failed.count)
        }
        await fake.stop()
    }
}
