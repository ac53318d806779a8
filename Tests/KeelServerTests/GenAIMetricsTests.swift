import Foundation
import KeelCore
import Testing
@testable import KeelTelemetry

@Suite struct GenAIMetricsTests {
    func sample(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test("one record call fills the GenAI histograms and Keel counters")
    func recordsRequest() {
        let registry = MetricsRegistry()
        let metrics = GenAIMetrics(registry: registry)
        metrics.record(
            operation: "chat", providerKind: "bedrock", provider: "bedrock-us", requestModel: "claude", responseModel: "claude-3",
            route: "bedrock-us/claude-3", team: "search", duration: 2.0, inputTokens: 100, outputTokens: 11,
            timeToFirstToken: 0.5, costUSD: 0.25, cacheHit: true, retries: 2, fallback: true,
            guardrailActions: [.init(stage: "input", detector: "pii", action: "redact")]
        )
        metrics.record(
            operation: "chat", providerKind: "bedrock", provider: "bedrock-us", requestModel: "claude", responseModel: "claude-3",
            route: "bedrock-us/claude-3", team: "search", duration: 0.03, inputTokens: 5, outputTokens: 1, costUSD: 0.5
        )
        metrics.record(
            operation: "chat", providerKind: "openai", provider: "openai", requestModel: "gpt-4o-mini",
            route: "openai/gpt-4o-mini", team: nil, duration: 30, errorType: "timeout"
        )
        metrics.setBreakerState(.open, provider: "openai", route: "openai/gpt-4o-mini")
        let text = registry.exposition()
        let genAI = #"gen_ai_operation_name="chat",gen_ai_provider_name="aws.bedrock",gen_ai_request_model="claude",gen_ai_response_model="claude-3",route="bedrock-us/claude-3",team="search""#
        let keel = #"model="claude",provider="bedrock-us",route="bedrock-us/claude-3",team="search""#

        // Semantic-convention bucket boundaries.
        #expect(text.contains("gen_ai_client_operation_duration_seconds_bucket{\(genAI),error_type=\"\",le=\"0.01\"} 0"))
        #expect(text.contains("gen_ai_client_operation_duration_seconds_bucket{\(genAI),error_type=\"\",le=\"0.04\"} 1"))
        #expect(text.contains("gen_ai_client_operation_duration_seconds_bucket{\(genAI),error_type=\"\",le=\"81.92\"} 2"))
        #expect(sample(text, "gen_ai_client_operation_duration_seconds_count{\(genAI),error_type=\"\"}") == 2)
        #expect(sample(text, "gen_ai_client_operation_duration_seconds_sum{\(genAI),error_type=\"\"}") == 2.03)
        #expect(text.contains("gen_ai_client_token_usage_bucket{\(genAI),gen_ai_token_type=\"input\",le=\"67108864\"} 2"))
        #expect(text.contains("gen_ai_client_token_usage_bucket{\(genAI),gen_ai_token_type=\"input\",le=\"4\"} 0"))
        #expect(text.contains("gen_ai_client_token_usage_bucket{\(genAI),gen_ai_token_type=\"input\",le=\"16\"} 1"))
        #expect(sample(text, "gen_ai_client_token_usage_sum{\(genAI),gen_ai_token_type=\"output\"}") == 12)
        #expect(text.contains("gen_ai_server_time_to_first_token_seconds_bucket{\(genAI),le=\"0.5\"} 1"))
        #expect(text.contains("gen_ai_server_time_to_first_token_seconds_bucket{\(genAI),le=\"0.001\"} 0"))
        // (2.0 - 0.5) / (11 - 1) = 0.15 s per output token after the first.
        #expect(sample(text, "gen_ai_server_time_per_output_token_seconds_sum{\(genAI)}") == 0.15)
        #expect(text.contains("gen_ai_server_time_per_output_token_seconds_bucket{\(genAI),le=\"0.01\"} 0"))
        #expect(text.contains("gen_ai_server_time_per_output_token_seconds_bucket{\(genAI),le=\"2.5\"} 1"))

        #expect(sample(text, "keel_gen_ai_requests_total{\(keel)}") == 2)
        #expect(sample(text, "keel_gen_ai_cost_usd_total{\(keel)}") == 0.75)
        #expect(sample(text, "keel_gen_ai_cache_hits_total{\(keel)}") == 1)
        #expect(sample(text, "keel_gen_ai_retries_total{\(keel)}") == 2)
        #expect(sample(text, "keel_gen_ai_fallbacks_total{\(keel)}") == 1)
        #expect(sample(text, #"keel_gen_ai_request_errors_total{model="gpt-4o-mini",provider="openai",route="openai/gpt-4o-mini",team="",error_type="timeout"}"#) == 1)
        #expect(!text.contains("keel_gen_ai_request_errors_total{\(keel)"))
        #expect(text.contains(#"gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini",gen_ai_response_model="",route="openai/gpt-4o-mini",team="",error_type="timeout"} 1"#))
        #expect(sample(text, #"keel_circuit_breaker_state{provider="openai",route="openai/gpt-4o-mini"}"#) == 2)
        #expect(sample(text, #"keel_guardrail_actions_total{detector="pii",action="redact",source="input"}"#) == 1)
    }

    @Test("failed requests record no time-to-first-token; registering twice reuses the families")
    func failuresAndReuse() {
        let registry = MetricsRegistry()
        let first = GenAIMetrics(registry: registry)
        let second = GenAIMetrics(registry: registry)
        second.record(operation: "chat", providerKind: "openai", provider: "openai", requestModel: "m", route: "openai/m", team: "t", duration: 1, timeToFirstToken: 0.2, errorType: "500")
        #expect(first.timeToFirstToken.labels("chat", "openai", "m", "", "openai/m", "t").count == 0)
        #expect(first.requests.labels("m", "openai", "openai/m", "t").value == 1)
        #expect(first.operationDuration.upperBounds == Buckets.genAIOperationDuration)
        #expect(first.tokenUsage.upperBounds.last == 67_108_864)
        #expect(first.timeToFirstToken.upperBounds == [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0])
        #expect(first.timePerOutputToken.upperBounds == [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5])
    }
}

@Suite struct GenAIMetricsDashboardTests {
    @Test("every metric the Grafana dashboard queries is one Keel registers")
    func dashboardMetricsExist() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dashboard = try String(contentsOf: root.appendingPathComponent("docs/grafana/keel-genai.json"), encoding: .utf8)
        let registry = MetricsRegistry()
        _ = GenAIMetrics(registry: registry)
        Tracer(exporter: CollectingExporter(), logger: Logger(label: "t", level: .critical)).registerMetrics(in: registry)
        let known = Set(registry.familyNames)
        let pattern = try NSRegularExpression(pattern: "\\b((?:gen_ai|keel)_[a-z_]+?)(?:_bucket|_sum|_count)?\\b")
        let range = NSRange(dashboard.startIndex..., in: dashboard)
        let referenced = Set(pattern.matches(in: dashboard, range: range).compactMap { Range($0.range(at: 1), in: dashboard).map { String(dashboard[$0]) } })
            .filter { !$0.hasPrefix("gen_ai_request_model") && !$0.hasPrefix("gen_ai_token_type") && $0 != "keel_genai" }
        #expect(!referenced.isEmpty)
        for name in referenced.sorted() {
            #expect(known.contains(name), "the dashboard queries \(name), which is not registered")
        }
    }
}
