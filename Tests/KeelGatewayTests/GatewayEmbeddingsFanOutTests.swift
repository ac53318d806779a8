import KeelConfig
import KeelCore
import KeelHTTP
import KeelStore
import KeelTestSupport
import Testing

@testable import KeelGateway

/// The embeddings route's concurrent upstream calls (one per input for providers such as Bedrock
/// Titan): answers come back in request order, at most eight calls run at once, and the first
/// failure is what the client sees.
@Suite("Gateway embeddings fan-out", .serialized)
struct GatewayEmbeddingsFanOutTests {
    /// An upstream that answers each call with its `input` after a short pause, counting the calls
    /// in flight.
    final class SlowUpstream: Sendable {
        let server: HTTPServer
        let inFlight = Locked(0)
        let maxInFlight = Locked(0)

        init() throws {
            let inFlight = self.inFlight
            let maxInFlight = self.maxInFlight
            var router = Router()
            router.post("/embed") { request, _ in
                let now = inFlight.withLock { $0 += 1; return $0 }
                maxInFlight.withLock { $0 = max($0, now) }
                try await Task.sleep(for: .milliseconds(30))
                inFlight.withLock { $0 -= 1 }
                let input = try JSONValue(parsing: request.body)["input"] ?? nil
                return .json(bytes: JSONValue.object(["echo": input]).serialized())
            }
            server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0, threads: 4), responder: router.buildResponder(), logger: Logger(label: "slow", sink: LogSink.memory().0))
            try server.start()
        }

        func request(_ body: JSONValue, path: String = "/embed") -> HTTPClientRequest {
            HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(server.port)\(path)", headers: ["content-type": "application/json"], body: body.serialized())
        }
    }

    func withGateway(_ body: (Gateway) async throws -> Void) async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteStore(path: directory.path + "/keel.db", logger: Logger(label: "store", sink: LogSink.memory().0))
        let client = HTTPClient()
        let gateway = Gateway(config: KeelConfig(), client: client, store: store, logger: Logger(label: "gateway", sink: LogSink.memory().0))
        do {
            try await body(gateway)
        } catch {
            client.shutdown()
            await store.shutdown()
            throw error
        }
        client.shutdown()
        await store.shutdown()
    }

    @Test func answersComeBackInRequestOrderWithAtMostEightCallsAtOnce() async throws {
        let upstream = try SlowUpstream()
        try await withGateway { gateway in
            let requests = (0..<20).map { upstream.request(["input": JSONValue($0)]) }
            let answers = try await gateway.fetchAllEmbeddings(requests, format: .openAI, provider: "slow", route: "slow/x")
            let echoed = try answers.map { try JSONValue(parsing: $0)["echo"]?.intValue }
            #expect(echoed == (0..<20).map { $0 })
            #expect(upstream.maxInFlight.value <= Gateway.maxConcurrentEmbeddingsCalls)
            #expect(upstream.maxInFlight.value > 1)
            #expect(upstream.inFlight.value == 0)
        }
        await upstream.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func theFirstFailureIsThrownWithTheRoute() async throws {
        let upstream = try SlowUpstream()
        try await withGateway { gateway in
            var requests = (0..<5).map { upstream.request(["input": JSONValue($0)]) }
            requests.insert(upstream.request(["input": 9], path: "/missing"), at: 2)
            do {
                _ = try await gateway.fetchAllEmbeddings(requests, format: .openAI, provider: "slow", route: "slow/x")
                Issue.record("expected the failing call to fail the whole request")
            } catch let error as GatewayError {
                #expect(error.status == 404)
                #expect(error.headers["x-keel-route"] == "slow/x")
            }
        }
        await upstream.server.shutdown(gracePeriod: .seconds(1))
    }
}
