import Synchronization

/// The model-gateway metrics: OpenTelemetry's GenAI client and server histograms plus Keel's own
/// counters, recorded with one call per request.
///
/// Registers (Prometheus names; label names in brackets):
/// - `gen_ai_client_operation_duration_seconds` — histogram, ``Buckets/genAIOperationDuration``
///   [`gen_ai_operation_name`, `gen_ai_provider_name`, `gen_ai_request_model`, `gen_ai_response_model`, `route`, `team`, `error_type`];
/// - `gen_ai_client_token_usage` — histogram of tokens per request, ``Buckets/genAITokenUsage``
///   [same as above without `error_type`, plus `gen_ai_token_type` = `input` | `output`];
/// - `gen_ai_server_time_to_first_token_seconds` — histogram, ``Buckets/genAITimeToFirstToken`` (streams);
/// - `gen_ai_server_time_per_output_token_seconds` — histogram, ``Buckets/genAITimePerOutputToken`` (streams);
/// - `keel_gen_ai_requests_total`, `keel_gen_ai_request_errors_total` [+ `error_type`],
///   `keel_gen_ai_cost_usd_total`, `keel_gen_ai_cache_hits_total`, `keel_gen_ai_retries_total`,
///   `keel_gen_ai_fallbacks_total` — counters [`model`, `provider`, `route`, `team`];
/// - `keel_circuit_breaker_state` — gauge, 0 closed, 1 half-open, 2 open [`provider`, `route`];
/// - `keel_guardrail_actions_total` — counter [`detector`, `action`, `source`] (`source` is the
///   stage, `input` or `output`), shared with the guardrails engine, which counts every action.
///
/// In the GenAI families `gen_ai_provider_name` carries the conventions' provider name
/// (`aws.bedrock`, …); in Keel's counters `provider` is the configured provider name (the key
/// under `providers:`), which tells two accounts of the same kind apart. Unknown values are
/// recorded as empty labels. Label values become time series: pass route and model *names* from
/// the configuration, never free text.
public final class GenAIMetrics: Sendable {
    /// `gen_ai_client_operation_duration_seconds`.
    public let operationDuration: Histogram
    /// `gen_ai_client_token_usage`.
    public let tokenUsage: Histogram
    /// `gen_ai_server_time_to_first_token_seconds`.
    public let timeToFirstToken: Histogram
    /// `gen_ai_server_time_per_output_token_seconds`.
    public let timePerOutputToken: Histogram
    /// `keel_gen_ai_requests_total`.
    public let requests: Counter
    /// `keel_gen_ai_request_errors_total`.
    public let errors: Counter
    /// `keel_gen_ai_cost_usd_total`.
    public let cost: Counter
    /// `keel_gen_ai_cache_hits_total`.
    public let cacheHits: Counter
    /// `keel_gen_ai_retries_total`.
    public let retries: Counter
    /// `keel_gen_ai_fallbacks_total`.
    public let fallbacks: Counter
    /// `keel_circuit_breaker_state`.
    public let breakerState: Gauge
    /// `keel_guardrail_actions_total`.
    public let guardrailActions: Counter

    /// The state of a circuit breaker, as ``breakerState`` records it.
    public enum BreakerState: Double, Sendable {
        case closed = 0
        case halfOpen = 1
        case open = 2
    }

    /// One guardrail decision: at which stage which detector did what.
    public struct GuardrailAction: Sendable, Hashable {
        /// `input` or `output`.
        public var stage: String
        /// The detector, such as `pii`.
        public var detector: String
        /// What was done: `block`, `redact`, `flag`, …
        public var action: String

        /// An action.
        public init(stage: String, detector: String, action: String) {
            self.stage = stage
            self.detector = detector
            self.action = action
        }
    }

    private struct SeriesKey: Hashable {
        var operation: String
        var providerName: String
        var provider: String
        var requestModel: String
        var responseModel: String
        var route: String
        var team: String
        var errorType: String
    }

    private struct Series {
        var duration: Histogram.Child
        var inputTokens: Histogram.Child
        var outputTokens: Histogram.Child
        var timeToFirstToken: Histogram.Child
        var timePerOutputToken: Histogram.Child
        var requests: Counter.Child
        var errors: Counter.Child?
        var cost: Counter.Child
        var cacheHits: Counter.Child
        var retries: Counter.Child
        var fallbacks: Counter.Child
    }

    private let series = Mutex<[SeriesKey: Series]>([:])

    static let genAILabels = ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model", "route", "team"]
    static let keelLabels = ["model", "provider", "route", "team"]

    /// Registers the families in `registry` (or reuses them when already registered).
    public init(registry: MetricsRegistry) {
        operationDuration = registry.histogram(
            "gen_ai_client_operation_duration_seconds", help: "GenAI operation duration, in seconds.",
            labelNames: Self.genAILabels + ["error_type"], buckets: Buckets.genAIOperationDuration
        )
        tokenUsage = registry.histogram(
            "gen_ai_client_token_usage", help: "Tokens used per GenAI operation, by token type.",
            labelNames: Self.genAILabels + ["gen_ai_token_type"], buckets: Buckets.genAITokenUsage
        )
        timeToFirstToken = registry.histogram(
            "gen_ai_server_time_to_first_token_seconds", help: "Time to the first streamed token, in seconds.",
            labelNames: Self.genAILabels, buckets: Buckets.genAITimeToFirstToken
        )
        timePerOutputToken = registry.histogram(
            "gen_ai_server_time_per_output_token_seconds", help: "Time per output token after the first, in seconds.",
            labelNames: Self.genAILabels, buckets: Buckets.genAITimePerOutputToken
        )
        requests = registry.counter("keel_gen_ai_requests_total", help: "Model requests served.", labelNames: Self.keelLabels)
        errors = registry.counter(
            "keel_gen_ai_request_errors_total", help: "Model requests that failed, by error type.", labelNames: Self.keelLabels + ["error_type"]
        )
        cost = registry.counter("keel_gen_ai_cost_usd_total", help: "Cost of model requests, in US dollars.", labelNames: Self.keelLabels)
        cacheHits = registry.counter("keel_gen_ai_cache_hits_total", help: "Model requests answered from Keel's cache.", labelNames: Self.keelLabels)
        retries = registry.counter("keel_gen_ai_retries_total", help: "Upstream retries.", labelNames: Self.keelLabels)
        fallbacks = registry.counter("keel_gen_ai_fallbacks_total", help: "Requests served by a fallback model.", labelNames: Self.keelLabels)
        breakerState = registry.gauge(
            "keel_circuit_breaker_state", help: "Circuit breaker state per route: 0 closed, 1 half-open, 2 open.", labelNames: ["provider", "route"]
        )
        guardrailActions = registry.counter(
            "keel_guardrail_actions_total", help: "Guardrail policy entries that blocked, redacted or flagged a text.",
            labelNames: ["detector", "action", "source"]
        )
    }

    /// Records one finished model request. Meant to be called once per request, in one line.
    ///
    /// - Parameters:
    ///   - operation: `chat`, `embeddings`, …
    ///   - providerKind: The provider kind (`openai`, `bedrock`, …), mapped to `gen_ai_provider_name`.
    ///   - provider: The configured provider name (Keel's `provider` label).
    ///   - requestModel: The model name the client asked for.
    ///   - responseModel: The model the provider reported, when known.
    ///   - route: The route that served (or last tried) the request, `provider/model`.
    ///   - team: The caller's team; empty when unknown.
    ///   - duration: End-to-end duration, in seconds.
    ///   - inputTokens: Prompt tokens, when reported.
    ///   - outputTokens: Completion tokens, when reported.
    ///   - timeToFirstToken: Seconds to the first streamed token (streams only).
    ///   - errorType: The error class for a failed request (`timeout`, `429`, …); nil on success.
    ///   - costUSD: The request's cost.
    ///   - cacheHit: Whether Keel's response cache answered.
    ///   - retries: Upstream retries made.
    ///   - fallback: Whether a fallback model served the request.
    ///   - guardrailActions: The guardrail actions taken.
    public func record(
        operation: String,
        providerKind: String?,
        provider: String?,
        requestModel: String,
        responseModel: String? = nil,
        route: String?,
        team: String?,
        duration: Double,
        inputTokens: Int? = nil,
        outputTokens: Int? = nil,
        timeToFirstToken: Double? = nil,
        errorType: String? = nil,
        costUSD: Double = 0,
        cacheHit: Bool = false,
        retries retryCount: Int = 0,
        fallback: Bool = false,
        guardrailActions actions: [GuardrailAction] = []
    ) {
        let key = SeriesKey(
            operation: operation,
            providerName: providerKind.map(GenAIConventions.providerName(forKind:)) ?? "",
            provider: provider ?? "",
            requestModel: requestModel,
            responseModel: responseModel ?? "",
            route: route ?? "",
            team: team ?? "",
            errorType: errorType ?? ""
        )
        let target = series.withLock { $0[key] } ?? resolve(key)
        target.duration.observe(duration)
        if let inputTokens, inputTokens >= 0 { target.inputTokens.observe(Double(inputTokens)) }
        if let outputTokens, outputTokens >= 0 { target.outputTokens.observe(Double(outputTokens)) }
        if errorType == nil, let timeToFirstToken {
            target.timeToFirstToken.observe(timeToFirstToken)
            if let outputTokens, outputTokens > 1, duration > timeToFirstToken {
                target.timePerOutputToken.observe((duration - timeToFirstToken) / Double(outputTokens - 1))
            }
        }
        target.requests.inc()
        target.errors?.inc()
        if costUSD > 0, costUSD.isFinite { target.cost.inc(by: costUSD) }
        if cacheHit { target.cacheHits.inc() }
        if retryCount > 0 { target.retries.inc(by: UInt64(retryCount)) }
        if fallback { target.fallbacks.inc() }
        for action in actions {
            recordGuardrailAction(action, model: requestModel, team: team)
        }
    }

    /// Records a guardrail action outside a model request (for example `POST /v1/guardrails/apply`).
    public func recordGuardrailAction(_ action: GuardrailAction, model: String?, team: String?) {
        guardrailActions.labels(action.detector, action.action, action.stage).inc()
    }

    /// Sets a route's circuit breaker state.
    public func setBreakerState(_ state: BreakerState, provider: String, route: String) {
        breakerState.labels(provider, route).set(state.rawValue)
    }

    /// Resolves the children for a label combination seen for the first time (family lookups
    /// happen outside this object's lock; racing threads get the same children).
    private func resolve(_ key: SeriesKey) -> Series {
        let genAI = [key.operation, key.providerName, key.requestModel, key.responseModel, key.route, key.team]
        let keel = [key.requestModel, key.provider, key.route, key.team]
        let created = Series(
            duration: operationDuration.labels(genAI + [key.errorType]),
            inputTokens: tokenUsage.labels(genAI + ["input"]),
            outputTokens: tokenUsage.labels(genAI + ["output"]),
            timeToFirstToken: timeToFirstToken.labels(genAI),
            timePerOutputToken: timePerOutputToken.labels(genAI),
            requests: requests.labels(keel),
            errors: key.errorType.isEmpty ? nil : errors.labels(keel + [key.errorType]),
            cost: cost.labels(keel),
            cacheHits: cacheHits.labels(keel),
            retries: retries.labels(keel),
            fallbacks: fallbacks.labels(keel)
        )
        return series.withLock { series in
            if let existing = series[key] { return existing }
            series[key] = created
            return created
        }
    }
}
