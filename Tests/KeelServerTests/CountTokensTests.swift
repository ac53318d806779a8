import KeelConfig
import KeelCore
import KeelServer
import KeelTestSupport
import Testing

/// `POST /v1/messages/count_tokens`, as Claude Code and `client.messages.count_tokens` call it.
@Suite("Count tokens", .serialized)
struct CountTokensTests {
    typealias G = GatewayPassthroughTests
    static let headers = [("x-api-key", G.key), ("anthropic-version", "2023-06-01"), ("anthropic-beta", "token-counting-2024-11-01")]

    @Test func anthropicRoutesGetTheProvidersExactCount() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: G.configure(fake)) { app, _ in
            let r = try await G.post(app.port, "/v1/messages/count_tokens", #"{"model":"haiku","system":"Be brief","messages":[{"role":"user","content":"hi"}]}"#, headers: Self.headers)
            #expect(r.status == 200)
            #expect(r.header("x-keel-token-count") == nil)
            #expect(try JSONValue(parsing: r.body)["input_tokens"]?.intValue == FakeProvider.countedInputTokens)
            let sent = try #require(fake.requests.last)
            #expect(sent.path == "/v1/messages/count_tokens")
            #expect(sent.body["model"]?.stringValue == "claude-3-5-haiku-20241022")
            #expect(sent.body["system"]?.stringValue == "Be brief")
            #expect(sent.headers.first("x-api-key") == G.upstreamKey)
            #expect(sent.headers.first("anthropic-beta") == "token-counting-2024-11-01")
        }
        await fake.stop()
    }

    @Test func otherProvidersGetAnEstimate() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: G.configure(fake)) { app, _ in
            let r = try await G.post(app.port, "/v1/messages/count_tokens", #"{"model":"gpt-for-anthropic-clients","messages":[{"role":"user","content":"Hello there, how are you?"}]}"#, headers: Self.headers)
            #expect(r.status == 200)
            #expect(r.header("x-keel-token-count") == "estimated")
            // Framing 3 + message 3 + "Hello there, how are you?" 7.
            #expect(try JSONValue(parsing: r.body)["input_tokens"]?.intValue == 13)
            #expect(fake.requests.isEmpty)
        }
        await fake.stop()
    }

    @Test func badRequestsAndUpstreamErrorsHaveAnthropicsShape() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: { config in
            G.configure(fake)(&config)
            config.models.append(ModelConfig(name: "broken", routes: [RouteConfig(provider: "claude", model: "status-529")]))
        }) { app, _ in
            let missing = try await G.post(app.port, "/v1/messages/count_tokens", #"{"model":"haiku"}"#, headers: Self.headers)
            #expect(missing.status == 400)
            #expect(try JSONValue(parsing: missing.body)["type"]?.stringValue == "error")
            let unknown = try await G.post(app.port, "/v1/messages/count_tokens", #"{"model":"nope","messages":[]}"#, headers: Self.headers)
            #expect(unknown.status == 404)
            #expect(try JSONValue(parsing: unknown.body)["error"]?["type"]?.stringValue == "not_found_error")
            let overloaded = try await G.post(app.port, "/v1/messages/count_tokens", #"{"model":"broken","messages":[]}"#, headers: Self.headers)
            #expect(overloaded.status == 529)
            #expect(try JSONValue(parsing: overloaded.body)["error"]?["type"]?.stringValue == "overloaded_error")
            let unauthorized = try await G.post(app.port, "/v1/messages/count_tokens", #"{"model":"haiku","messages":[]}"#, headers: [("x-api-key", "wrong")])
            #expect(unauthorized.status == 401)
        }
        await fake.stop()
    }
}
