import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

/// The response cache end to end: hits and misses, streamed replays, bypass, and persistence
/// across a restart.
@Suite("Cache: response cache through the gateway", .serialized)
struct CacheGatewayTests {
    typealias P = GatewayPassthroughTests
    static let ask = #"{"model":"cached","messages":[{"role":"user","content":"What is Keel?"}],"temperature":0}"#

    static func configure(_ fake: FakeProvider, storePath: String? = nil) -> (inout KeelConfig) -> Void {
        { config in
            config.server.masterKey = Secret(P.key)
            config.providers = [
                ProviderConfig(name: "oai", kind: .openai, baseURL: fake.openAIBaseURL, apiKey: Secret(P.upstreamKey)),
                ProviderConfig(name: "claude", kind: .anthropic, baseURL: fake.anthropicBaseURL, apiKey: Secret(P.upstreamKey)),
            ]
            config.models = [
                ModelConfig(name: "cached", routes: [RouteConfig(provider: "oai", model: "gpt-4o-mini")], cache: CacheConfig(ttl: .seconds(60))),
                ModelConfig(name: "cached-claude", routes: [RouteConfig(provider: "claude", model: "claude-haiku")], cache: CacheConfig(ttl: .seconds(60))),
                ModelConfig(name: "uncached", routes: [RouteConfig(provider: "oai", model: "gpt-4o-mini")]),
            ]
            if let storePath { config.storage.url = .sqlite(path: storePath) }
        }
    }

    static func post(_ app: Application, _ json: String, path: String = "/v1/chat/completions", headers: [(String, String)] = []) async throws -> RawHTTPConnection.Response {
        try await P.post(app.port, path, json, headers: [("authorization", "Bearer \(P.key)"), ("x-api-key", P.key)] + headers)
    }

    static func streamedText(_ r: RawHTTPConnection.Response) -> String {
        r.bodyText.components(separatedBy: "\n\n").compactMap { block -> String? in
            guard let line = block.components(separatedBy: "\n").first(where: { $0.hasPrefix("data: {") }),
                  let json = try? JSONValue(parsing: String(line.dropFirst(6))) else { return nil }
            return json["choices"]?[0]?["delta"]?["content"]?.stringValue ?? json["delta"]?["text"]?.stringValue
        }.joined()
    }

    @Test func aRepeatedRequestIsAnsweredFromTheCacheAlsoAsAStream() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let miss = try await Self.post(app, Self.ask)
            #expect(miss.status == 200)
            #expect(miss.header("x-keel-cache") == "miss")
            #expect(miss.header("x-keel-attempts") == "1")
            // The same request with members in another order and bookkeeping fields: a hit.
            let hit = try await Self.post(app, #"{"temperature":0,"user":"u-42","messages":[{"content":"What is Keel?","role":"user"}],"model":"cached"}"#)
            #expect(hit.status == 200)
            #expect(hit.header("x-keel-cache") == "hit")
            #expect(hit.header("x-keel-attempts") == "0")
            #expect(hit.header("x-keel-route") == "oai/gpt-4o-mini")
            #expect(hit.body == miss.body)
            #expect(fake.requests.count == 1)

            // A streaming client gets the cached answer replayed as a stream.
            let streamed = try await Self.post(app, #"{"model":"cached","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"What is Keel?"}],"temperature":0}"#)
            #expect(streamed.header("x-keel-cache") == "hit")
            #expect(streamed.header("content-type")?.hasPrefix("text/event-stream") == true)
            #expect(Self.streamedText(streamed) == "Hello, world!")
            #expect(streamed.bodyText.hasSuffix("data: [DONE]\n\n"))
            #expect(streamed.bodyText.contains(#""usage":{"prompt_tokens":12"#))
            #expect(fake.requests.count == 1)

            // Different content, no-cache, and models without a cache all go upstream.
            #expect(try await Self.post(app, #"{"model":"cached","messages":[{"role":"user","content":"Something else"}],"temperature":0}"#).header("x-keel-cache") == "miss")
            let bypass = try await Self.post(app, Self.ask, headers: [("cache-control", "no-cache")])
            #expect(bypass.header("x-keel-cache") == "miss")
            let plain = try await Self.post(app, #"{"model":"uncached","messages":[{"role":"user","content":"What is Keel?"}],"temperature":0}"#)
            #expect(plain.header("x-keel-cache") == nil)
            #expect(fake.requests.count == 4)

            let entries = try await P.logged(app)
            #expect(entries.filter { $0.cache == "hit" }.count == 2)
            #expect(entries.filter { $0.cache == "hit" }.allSatisfy { $0.attempts.isEmpty && $0.status == 200 && $0.inputTokens == nil })
            #expect(entries.filter { $0.cache == "miss" }.allSatisfy { $0.attempts.count == 1 })
            #expect(entries.filter { $0.model == "uncached" }.allSatisfy { $0.cache == nil })
        }
        await fake.stop()
    }

    @Test func aStreamedAnswerIsCachedForLaterRequestsOfEitherKind() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let ask = #"{"model":"cached-claude","max_tokens":50,"messages":[{"role":"user","content":"Tell me"}]}"#
            let first = try await Self.post(app, #"{"model":"cached-claude","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"Tell me"}]}"#, path: "/v1/messages")
            #expect(first.header("x-keel-cache") == "miss")
            #expect(Self.streamedText(first) == "Hello, world!")
            try await Task.sleep(for: .milliseconds(50))
            let whole = try await Self.post(app, ask, path: "/v1/messages")
            #expect(whole.header("x-keel-cache") == "hit")
            let body = try JSONValue(parsing: whole.body)
            #expect(body["type"]?.stringValue == "message")
            #expect(body["content"]?[0]?["text"]?.stringValue == "Hello, world!")
            #expect(body["stop_reason"]?.stringValue == "end_turn")
            let again = try await Self.post(app, #"{"model":"cached-claude","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"Tell me"}]}"#, path: "/v1/messages")
            #expect(again.header("x-keel-cache") == "hit")
            #expect(again.bodyText.contains("event: message_stop"))
            #expect(Self.streamedText(again) == "Hello, world!")
            #expect(fake.requests.count == 1)
            // An OpenAI client asking the same model is a different request: not shared.
            let openAI = try await Self.post(app, #"{"model":"cached-claude","max_tokens":50,"messages":[{"role":"user","content":"Tell me"}]}"#)
            #expect(openAI.header("x-keel-cache") == "miss")
        }
        await fake.stop()
    }

    @Test func cachedAnswersSurviveARestart() async throws {
        let fake = try FakeProvider()
        let directory = TemporaryDirectory()
        let path = directory.path + "/keel.db"
        try await withTestApplication(configure: Self.configure(fake, storePath: path)) { app, _ in
            let first = try await Self.post(app, Self.ask)
            #expect(first.header("x-keel-cache") == "miss")
        }
        try await withTestApplication(configure: Self.configure(fake, storePath: path)) { app, _ in
            let r = try await Self.post(app, Self.ask)
            #expect(r.header("x-keel-cache") == "hit")
            #expect(try JSONValue(parsing: r.body)["choices"]?[0]?["message"]?["content"]?.stringValue == "Hello, world!")
        }
        #expect(fake.requests.count == 1)
        await fake.stop()
    }
}
