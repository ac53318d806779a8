import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelServer
import KeelStore
import KeelTestSupport
import Testing

@Suite("GenAI metrics from the gateway", .serialized)
struct GatewayMetricsTests {
    typealias P = GatewayPassthroughTests
    typealias R = ResilienceTests

    /// Every sample of `name` (exactly that name, any labels): its labels and value.
    static func samples(_ text: String, _ name: String) -> [(labels: [String: String], value: Double)] {
        var out: [(labels: [String: String], value: Double)] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let head: Substring
            var labels: [String: String] = [:]
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            if let brace = line.firstIndex(of: "{") {
                head = line[..<brace]
                let inner = line[line.index(after: brace)..<(line.lastIndex(of: "}") ?? space)]
                for pair in inner.split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { labels[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
                }
            } else {
                head = line[..<space]
            }
            if head == name { out.append((labels, value)) }
        }
        return out
    }

    static func total(_ text: String, _ name: String, where match: ([String: String]) -> Bool = { _ in true }) -> Double {
        samples(text, name).filter { match($0.labels) }.reduce(0) { $0 + $1.value }
    }

    static func scrape(_ app: Application) async throws -> String {
        let port = app.port
        return try await onThread { try RawHTTPConnection(port: port).request("GET", "/metrics").bodyText }
    }

    @Test("after N requests the metrics agree with the request log: requests, errors, tokens, retries, fallbacks, durations")
    func consistentWithTheRequestLog() async throws {
        let fake = try FakeProvider()
        let models = [
            R.failover(faulty: "status-503"),
            ModelConfig(name: "plain", routes: [RouteConfig(provider: "oai", model: "gpt-healthy")]),
            ModelConfig(name: "broken", routes: [RouteConfig(provider: "oai", model: "status-400")]),
            ModelConfig(name: "falls-back", routes: [RouteConfig(provider: "oai", model: "status-500")], retries: 0, fallbacks: ["plain"]),
        ]
        try await withTestApplication(configure: R.configure(fake, models: models)) { app, _ in
            for _ in 0..<3 { #expect(try await R.post(app).status == 200) }
            for _ in 0..<2 { #expect(try await R.post(app, #"{"model":"plain","stream":true,"messages":[{"role":"user","content":"hi"}]}"#).status == 200) }
            #expect(try await R.post(app, #"{"model":"broken","messages":[{"role":"user","content":"hi"}]}"#).status == 400)
            #expect(try await R.post(app, #"{"model":"falls-back","messages":[{"role":"user","content":"hi"}]}"#).status == 200)
            #expect(try await R.post(app, #"{"model":"nope","messages":[{"role":"user","content":"hi"}]}"#).status == 404)
            let entries = try await P.logged(app)
            let text = try await Self.scrape(app)
            #expect(entries.count == 8)

            #expect(Self.total(text, "keel_gen_ai_requests_total") == Double(entries.count))
            #expect(Self.total(text, "gen_ai_client_operation_duration_seconds_count") == Double(entries.count))
            #expect(Self.total(text, "keel_gen_ai_request_errors_total") == Double(entries.filter { $0.status >= 400 }.count))
            #expect(Self.total(text, "keel_gen_ai_request_errors_total", where: { $0["error_type"] == "400" && $0["model"] == "broken" }) == 1)
            #expect(Self.total(text, "keel_gen_ai_request_errors_total", where: { $0["error_type"] == "404" && $0["model"] == "" }) == 1)
            for model in ["m", "plain", "broken", "falls-back"] {
                #expect(Self.total(text, "keel_gen_ai_requests_total", where: { $0["model"] == model }) == Double(entries.filter { $0.model == model }.count), "\(model)")
            }
            let input = entries.compactMap(\.inputTokens).reduce(0, +)
            let output = entries.compactMap(\.outputTokens).reduce(0, +)
            #expect(input > 0 && output > 0)
            #expect(Self.total(text, "gen_ai_client_token_usage_sum", where: { $0["gen_ai_token_type"] == "input" }) == Double(input))
            #expect(Self.total(text, "gen_ai_client_token_usage_sum", where: { $0["gen_ai_token_type"] == "output" }) == Double(output))
            #expect(Self.total(text, "keel_gen_ai_retries_total") == Double(entries.map { max(0, $0.attempts.count - 1) }.reduce(0, +)))
            #expect(Self.total(text, "keel_gen_ai_fallbacks_total", where: { $0["model"] == "falls-back" && $0["route"] == "oai/gpt-healthy" }) == 1)
            // Time to first token and per output token are recorded for the two streams only.
            #expect(Self.total(text, "gen_ai_server_time_to_first_token_seconds_count") == 2)
            #expect(Self.total(text, "gen_ai_server_time_per_output_token_seconds_count", where: { $0["gen_ai_request_model"] == "plain" }) == 2)
            let served = Self.samples(text, "keel_gen_ai_requests_total").first { $0.labels["model"] == "m" }
            #expect(served?.labels["provider"] == "oai")
            #expect(served?.labels["route"] == "oai/gpt-healthy")
            #expect(Self.samples(text, "gen_ai_client_operation_duration_seconds_count").contains { $0.labels["gen_ai_provider_name"] == "openai" && $0.labels["gen_ai_operation_name"] == "chat" })

            // Breaker state and in-flight gauges, read from the routing table at each scrape.
            let breakers = Self.samples(text, "keel_circuit_breaker_state")
            #expect(breakers.first { $0.labels["route"] == "oai/status-503" }?.value == 2 || breakers.first { $0.labels["route"] == "oai/status-503" }?.value == 1)
            #expect(breakers.first { $0.labels["route"] == "oai/gpt-healthy" }?.value == 0)
            #expect(Self.samples(text, "keel_route_in_flight").contains { $0.labels["model"] == "m" && $0.labels["route"] == "oai/gpt-healthy" && $0.value == 0 })
        }
        await fake.stop()
    }

    @Test("cache hits are counted per request and the cache's own gauges are exposed")
    func cacheMetrics() async throws {
        let fake = try FakeProvider()
        var model = ModelConfig(name: "cached", routes: [RouteConfig(provider: "oai", model: "gpt-healthy")])
        model.cache = CacheConfig(ttl: .seconds(60))
        try await withTestApplication(configure: R.configure(fake, models: [model])) { app, _ in
            let body = #"{"model":"cached","messages":[{"role":"user","content":"hi"}]}"#
            for _ in 0..<3 { #expect(try await R.post(app, body).status == 200) }
            let entries = try await P.logged(app)
            let text = try await Self.scrape(app)
            #expect(Self.total(text, "keel_gen_ai_cache_hits_total") == Double(entries.filter { $0.cache == "hit" }.count))
            #expect(Self.total(text, "keel_gen_ai_cache_hits_total") == 2)
            #expect(Self.total(text, "keel_response_cache_entries") == 1)
            #expect(Self.total(text, "keel_response_cache_bytes") > 0)
            #expect(Self.total(text, "keel_response_cache_lookups_total", where: { $0["result"] == "hit" }) == 2)
        }
        await fake.stop()
    }
}
