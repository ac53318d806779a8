import Foundation
import KeelConfig
import KeelCore
import KeelGateway
import KeelHTTP
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

/// `POST /v1/embeddings` end to end through the real composition root, against the fake provider
/// in its OpenAI, OpenAI-compatible-that-ignores-`encoding_format` and Azure guises.
@Suite("Gateway embeddings", .serialized)
struct EmbeddingsTests {
    typealias P = GatewayPassthroughTests

    static func configure(_ fake: FakeProvider) -> (inout KeelConfig) -> Void {
        { config in
            config.server.masterKey = Secret(P.key)
            config.providers = [
                ProviderConfig(name: "oai", kind: .openai, baseURL: fake.openAIBaseURL, apiKey: Secret(P.upstreamKey)),
                ProviderConfig(name: "ollama", kind: .openai, baseURL: fake.openAIBaseURL, headers: [FakeProvider.ignoreEncodingFormatHeader: "1"]),
                ProviderConfig(name: "az", kind: .azure, baseURL: fake.anthropicBaseURL, apiKey: Secret(P.upstreamKey)),
                ProviderConfig(name: "claude", kind: .anthropic, baseURL: fake.anthropicBaseURL, apiKey: Secret(P.upstreamKey)),
            ]
            config.models = [
                ModelConfig(name: "embed", routes: [RouteConfig(provider: "oai", model: "text-embedding-3-small")]),
                ModelConfig(name: "embed-local", routes: [RouteConfig(provider: "ollama", model: "nomic-embed-text")]),
                ModelConfig(name: "embed-azure", routes: [RouteConfig(provider: "az", model: "emb-deployment")]),
                ModelConfig(name: "haiku", routes: [RouteConfig(provider: "claude", model: "claude-3-5-haiku-20241022")]),
            ]
        }
    }

    static func embed(_ port: Int, _ json: String, headers: [(String, String)] = [("authorization", "Bearer \(P.key)")]) async throws -> RawHTTPConnection.Response {
        try await P.post(port, "/v1/embeddings", json, headers: headers)
    }

    /// The float vectors of an answer, each component read from its JSON text.
    static func floatVectors(_ body: JSONValue) -> [[Float]] {
        (body["data"]?.arrayValue ?? []).map { item in
            (item["embedding"]?.arrayValue ?? []).compactMap { $0.numberValue.flatMap { Float($0.text) } }
        }
    }

    @Test func floatVectorsPassThroughWithTheRouteModelAndProviderCredentials() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, logs in
            let r = try await Self.embed(app.port, #"{"model":"embed","input":["hello world","bye"],"user":"u-7","x_vendor_option":{"a":1}}"#)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "oai/text-embedding-3-small")
            let body = try JSONValue(parsing: r.body)
            #expect(body["object"]?.stringValue == "list")
            #expect(body["data"]?[1]?["index"]?.intValue == 1)
            #expect(Self.floatVectors(body) == [FakeProvider.embedding(for: "hello world"), FakeProvider.embedding(for: "bye")])
            #expect(body["usage"]?["prompt_tokens"]?.intValue == 3)

            let sent = try #require(fake.requests.last)
            #expect(sent.path == "/v1/embeddings")
            #expect(sent.body["model"]?.stringValue == "text-embedding-3-small")
            #expect(sent.body["user"]?.stringValue == "u-7")
            #expect(sent.body["x_vendor_option"]?["a"]?.intValue == 1)
            #expect(sent.body["encoding_format"] == nil)
            #expect(sent.headers.first("authorization") == "Bearer \(P.upstreamKey)")
            #expect(!sent.headers.description.contains(P.key))

            let entry = try #require(try await P.logged(app).first)
            #expect(entry.inboundAPI == "openai.embeddings")
            #expect(entry.model == "embed" && entry.provider == "oai" && entry.upstreamModel == "text-embedding-3-small")
            #expect(entry.status == 200 && entry.stream == false)
            #expect(entry.inputTokens == 3)
            #expect(!logs().joined().contains(P.upstreamKey))
        }
        await fake.stop()
    }

    @Test func base64AnswersPassThroughFromProvidersThatHonourIt() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let r = try await Self.embed(app.port, #"{"model":"embed","input":["alpha","beta"],"encoding_format":"base64"}"#)
            #expect(r.status == 200)
            #expect(fake.requests.last?.body["encoding_format"]?.stringValue == "base64")
            let body = try JSONValue(parsing: r.body)
            #expect(body["data"]?[0]?["embedding"]?.stringValue == FakeProvider.base64Encoded(FakeProvider.embedding(for: "alpha")))
            #expect(body["data"]?[1]?["embedding"]?.stringValue == FakeProvider.base64Encoded(FakeProvider.embedding(for: "beta")))
        }
        await fake.stop()
    }

    @Test func base64IsMadeExactlyFromTheFloatsOfProvidersThatIgnoreEncodingFormat() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let input = #"{"model":"embed-local","input":["alpha","beta gamma"],"encoding_format":"base64"}"#
            let r = try await Self.embed(app.port, input)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "ollama/nomic-embed-text")
            let sent = try #require(fake.requests.last)
            #expect(sent.body["encoding_format"]?.stringValue == "base64")
            #expect(sent.headers.first("authorization") == nil)
            let body = try JSONValue(parsing: r.body)
            #expect(body["model"]?.stringValue == "nomic-embed-text")
            #expect(body["data"]?[0]?["embedding"]?.stringValue == FakeProvider.base64Encoded(FakeProvider.embedding(for: "alpha")))
            #expect(body["data"]?[1]?["embedding"]?.stringValue == FakeProvider.base64Encoded(FakeProvider.embedding(for: "beta gamma")))
            #expect(body["usage"]?["prompt_tokens"]?.intValue == 3)

            // A client that wants floats gets the provider's floats.
            let floats = try await Self.embed(app.port, #"{"model":"embed-local","input":"alpha"}"#)
            #expect(Self.floatVectors(try JSONValue(parsing: floats.body)) == [FakeProvider.embedding(for: "alpha")])
            let entries = try await P.logged(app)
            #expect(entries.map(\.inputTokens).sorted { ($0 ?? 0) < ($1 ?? 0) } == [1, 3])
        }
        await fake.stop()
    }

    @Test func dimensionsAndTokenInputsAreForwarded() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let r = try await Self.embed(app.port, #"{"model":"embed","input":[[1,2,3],[42]],"dimensions":3}"#)
            #expect(r.status == 200)
            let sent = try #require(fake.requests.last)
            #expect(sent.body["dimensions"]?.intValue == 3)
            #expect(sent.body["input"]?[0]?[2]?.intValue == 3)
            let vectors = Self.floatVectors(try JSONValue(parsing: r.body))
            #expect(vectors == [FakeProvider.embedding(forTokens: [1, 2, 3], dimensions: 3), FakeProvider.embedding(forTokens: [42], dimensions: 3)])
            #expect(try await P.logged(app).first?.inputTokens == 4)
        }
        await fake.stop()
    }

    @Test func azureDeploymentsAreCalledAtTheirURLWithoutModel() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let r = try await Self.embed(app.port, #"{"model":"embed-azure","input":"hello","encoding_format":"float"}"#)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "az/emb-deployment")
            let sent = try #require(fake.requests.last)
            #expect(sent.path == "/openai/deployments/emb-deployment/embeddings?api-version=\(ProviderConfig.defaultAzureAPIVersion)")
            #expect(sent.body["model"] == nil)
            #expect(sent.body["encoding_format"]?.stringValue == "float")
            #expect(sent.headers.first("api-key") == P.upstreamKey)
            #expect(sent.headers.first("authorization") == nil)
            #expect(Self.floatVectors(try JSONValue(parsing: r.body)) == [FakeProvider.embedding(for: "hello")])
        }
        await fake.stop()
    }

    @Test func providersWithoutEmbeddingsAndBadRequestsAreRefusedBeforeAnyUpstreamCall() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let anthropic = try await Self.embed(app.port, #"{"model":"haiku","input":"hi"}"#)
            #expect(anthropic.status == 400)
            let error = try JSONValue(parsing: anthropic.body)["error"]
            #expect(error?["code"]?.stringValue == "unsupported_operation")
            #expect(error?["param"]?.stringValue == "model")

            let unknown = try await Self.embed(app.port, #"{"model":"nope","input":"hi"}"#)
            #expect(unknown.status == 404)
            #expect(unknown.bodyText.contains("model_not_found"))

            let notJSON = try await Self.embed(app.port, #"{"model":"embed","input":"#)
            #expect(notJSON.status == 400)
            #expect(notJSON.bodyText.contains("invalid_json"))

            let empty = try await Self.embed(app.port, #"{"model":"embed","input":["a",""]}"#)
            #expect(empty.status == 400)
            #expect(try JSONValue(parsing: empty.body)["error"]?["param"]?.stringValue == "input[1]")

            let noKey = try await Self.embed(app.port, #"{"model":"embed","input":"hi"}"#, headers: [])
            #expect(noKey.status == 401)
            #expect(noKey.bodyText.contains("invalid_api_key"))

            #expect(fake.requests.isEmpty)
            let entries = try await P.logged(app)
            #expect(entries.map(\.status).sorted() == [400, 400, 400, 404])
            #expect(entries.allSatisfy { $0.inboundAPI == "openai.embeddings" })
            #expect(entries.first { $0.status == 404 }?.model == "nope")
            #expect(entries.first { $0.provider == "claude" }?.status == 400)
        }
        await fake.stop()
    }

    @Test func upstreamFailuresBecomeFittingClientErrors() async throws {
        let fake = try FakeProvider()
        try await withTestApplication(configure: Self.configure(fake)) { app, _ in
            let request = #"{"model":"embed","input":"hi"}"#
            fake.fail(with: .status(429, body: #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#, headers: ["retry-after": "3"]))
            let limited = try await Self.embed(app.port, request)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "3")
            #expect(limited.header("x-keel-route") == "oai/text-embedding-3-small")

            fake.fail(with: .status(401, body: #"{"error":{"message":"Incorrect API key provided: sk-up***","code":"invalid_api_key"}}"#, headers: [:]))
            let auth = try await Self.embed(app.port, request)
            #expect(auth.status == 502)
            #expect(auth.bodyText.contains("upstream_authentication_failed"))

            fake.fail(with: .status(400, body: #"{"error":{"message":"This model does not support specifying dimensions.","type":"invalid_request_error","param":"dimensions","code":null}}"#, headers: [:]))
            let invalid = try await Self.embed(app.port, #"{"model":"embed","input":"hi","dimensions":8}"#)
            #expect(invalid.status == 400)
            let error = try JSONValue(parsing: invalid.body)["error"]
            #expect(error?["message"]?.stringValue == "This model does not support specifying dimensions.")
            #expect(error?["param"]?.stringValue == "dimensions")

            fake.fail(with: .truncateStream)
            let cut = try await Self.embed(app.port, request)
            #expect(cut.status == 502)
            #expect(cut.bodyText.contains("upstream_invalid_response"))

            let entries = try await P.logged(app)
            #expect(entries.map(\.status).sorted() == [400, 429, 502, 502])
            #expect(entries.allSatisfy { $0.provider == "oai" && $0.errorMessage != nil })
        }
        await fake.stop()
    }

    @Test func anUnreachableProviderIsA502() async throws {
        try await withTestApplication(configure: { config in
            config.server.masterKey = Secret(P.key)
            config.providers = [ProviderConfig(name: "down", kind: .openai, baseURL: "http://127.0.0.1:1/v1")]
            config.models = [ModelConfig(name: "embed", routes: [RouteConfig(provider: "down", model: "x")])]
        }) { app, _ in
            let r = try await Self.embed(app.port, #"{"model":"embed","input":"hi"}"#)
            #expect(r.status == 502)
            #expect(r.bodyText.contains("upstream_unreachable"))
            #expect(try await P.logged(app).first?.status == 502)
        }
    }

    @Test func geminiEmbeddingsAreTranslatedAndLargeRequestsSplitIntoBatches() async throws {
        let gemini = try FakeGemini(apiKey: "AIza-fake-gemini-key-0123456789")
        try await withTestApplication(configure: { config in
            config.server.masterKey = Secret(P.key)
            config.providers = [ProviderConfig(name: "google", kind: .gemini, baseURL: gemini.baseURL, apiKey: Secret(gemini.apiKey))]
            config.models = [ModelConfig(name: "gemini-embed", routes: [RouteConfig(provider: "google", model: "gemini-embedding-001")])]
        }) { app, _ in
            let r = try await Self.embed(app.port, #"{"model":"gemini-embed","input":["a","b"]}"#)
            #expect(r.status == 200)
            #expect(r.header("x-keel-route") == "google/gemini-embedding-001")
            let body = try JSONValue(parsing: r.body)
            #expect(body["model"]?.stringValue == "gemini-embed")
            #expect(Self.floatVectors(body) == [[3, 4, 0], [6, 8, 0]])
            let sent = try #require(gemini.requests.last)
            #expect(sent.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents")
            #expect(sent.headers.first("x-goog-api-key") == gemini.apiKey)
            #expect(!sent.headers.description.contains(P.key))

            // 150 inputs are two upstream batches (100 + 50), answered in input order as base64.
            let inputs = (0..<150).map { "\"text \($0)\"" }.joined(separator: ",")
            let big = try await Self.embed(app.port, #"{"model":"gemini-embed","encoding_format":"base64","input":["# + inputs + "]}")
            #expect(big.status == 200)
            let data = try #require(try JSONValue(parsing: big.body)["data"]?.arrayValue)
            #expect(data.count == 150)
            #expect(gemini.requests.count == 3)
            // Item 100 is the first of the second batch: the fake's vector 0 there.
            let item100 = try #require(data[100]["embedding"]?.stringValue)
            #expect(OpenAIEmbeddingsCodec.floats(base64: item100) == [3, 4, 0])
            #expect(OpenAIEmbeddingsCodec.floats(base64: try #require(data[99]["embedding"]?.stringValue)) == [300, 400, 0])

            // Token inputs cannot be sent to Gemini.
            let tokens = try await Self.embed(app.port, #"{"model":"gemini-embed","input":[[1,2,3]]}"#)
            #expect(tokens.status == 400)
        }
        await gemini.stop()
    }

    @Test func bedrockTitanEmbedsOneInputPerSignedCallAndCohereInOneBatch() async throws {
        let bedrock = try FakeBedrock()
        try await withTestApplication(configure: { config in
            config.server.masterKey = Secret(P.key)
            config.providers = [ProviderConfig(name: "aws", kind: .bedrock, baseURL: bedrock.baseURL, region: bedrock.region,
                                               accessKeyID: Secret(bedrock.credentials.accessKeyID), secretAccessKey: bedrock.credentials.secretAccessKey)]
            config.models = [
                ModelConfig(name: "titan", routes: [RouteConfig(provider: "aws", model: "amazon.titan-embed-text-v2:0")]),
                ModelConfig(name: "cohere", routes: [RouteConfig(provider: "aws", model: "cohere.embed-english-v3")]),
            ]
        }) { app, _ in
            let titan = try await Self.embed(app.port, #"{"model":"titan","input":["one two","three","four five six"],"dimensions":256}"#)
            #expect(titan.status == 200)
            let body = try JSONValue(parsing: titan.body)
            let vectors = Self.floatVectors(body)
            #expect(vectors.count == 3)
            // The fake's vector starts with the input's byte length, so the order shows in the first component.
            #expect(vectors.map(\.count) == [256, 256, 256])
            #expect(vectors.map { $0[0] } == [7, 5, 13])
            #expect(body["usage"]?["prompt_tokens"]?.intValue == 2 + 1 + 3)
            let titanCalls = bedrock.requests.filter { $0.operation == "invoke" }
            #expect(titanCalls.count == 3)
            #expect(titanCalls.allSatisfy { $0.signatureVerified && $0.modelID == "amazon.titan-embed-text-v2:0" })

            let cohere = try await Self.embed(app.port, #"{"model":"cohere","input":["a","bb"],"encoding_format":"base64"}"#)
            #expect(cohere.status == 200)
            let data = try #require(try JSONValue(parsing: cohere.body)["data"]?.arrayValue)
            #expect(data.count == 2)
            let encoded = try #require(data[1]["embedding"]?.stringValue)
            let second = try #require(OpenAIEmbeddingsCodec.floats(base64: encoded))
            #expect(second == FakeBedrock.vector(for: "bb", dimensions: 8).map { Float($0) })
            #expect(bedrock.requests.filter { $0.operation == "invoke" }.count == 4)
        }
        await bedrock.stop()
    }
}
