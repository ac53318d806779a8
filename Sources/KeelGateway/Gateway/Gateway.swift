import Foundation
import KeelConfig
import KeelCore
import KeelGovernance
import KeelGuardrails
import KeelHTTP
import KeelStore

/// The model gateway: `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic)
/// in front of the configured providers, plus `POST /v1/embeddings` (`Gateway+Embeddings.swift`)
/// and `POST /v1/messages/count_tokens` (`Gateway+CountTokens.swift`).
///
/// A request names a configured model; Keel picks one of its routes by the model's strategy, sends
/// the request to that route's provider and answers in the inbound API's format, retrying, hedging
/// and falling back as configured (`Gateway+Attempts.swift`, `docs/routing.md`). When the inbound
/// format is the provider's own (OpenAI SDK → an OpenAI-compatible server, Anthropic SDK →
/// Anthropic), the client's JSON is forwarded with only `model` replaced, so every field the
/// provider supports works; usage is always requested from OpenAI-compatible streams
/// (`stream_options.include_usage`) and removed again when the client did not ask for it. Models
/// with `cache` answer repeated requests from the response cache (`Gateway+Cache.swift`). Every
/// request is recorded in the store's request log, with each upstream attempt it made; every
/// answer carries `x-keel-route`, `x-keel-attempts` and (for cached models) `x-keel-cache`.
public final class Gateway: Sendable {
    let client: HTTPClient
    let store: any Store
    let logger: Logger
    let models: [String: ModelConfig]
    let providers: [String: ProviderConfig]
    /// Every model's routing state (breakers, load, counters): read it with `routing.snapshot()`.
    public let routing: RoutingTable
    /// The response cache, when any model has `cache` configured.
    public let cache: ResponseCache?
    /// The cache partition of a request: whose cached answers it may see.
    let cachePartition: @Sendable (Request, RequestContext) -> String
    /// Admission and settlement of model calls (`Gateway+Governance.swift`); nil: none.
    let governance: Governance?
    /// Input and output policies of chat requests (`Gateway+Guardrails.swift`); nil when no policy applies to anything.
    let guardrails: Guardrails?
    /// Spans and GenAI metrics (`Gateway+Telemetry.swift`).
    let telemetry: GatewayTelemetry
    /// `server.address` and `server.port` of each provider, for attempt spans.
    let upstreamAddresses: [String: UpstreamAddress]
    /// The most bytes read from a non-streamed upstream response.
    let maxResponseBytes = 64 * 1024 * 1024

    /// A gateway for `config`'s models and providers.
    ///
    /// - Parameters:
    ///   - governance: admits every model call (allow-lists, budgets, rate limits) and settles its
    ///     spend; nil admits everything.
    ///   - guardrails: the engine whose policies apply to chat requests; ignored when the
    ///     configuration has neither a `default` policy nor a binding.
    ///   - telemetry: the tracer, metrics and content capture; off by default.
    ///   - cachePartition: which cache partition a request belongs to; cached answers are never
    ///     shared across partitions. Default: the authenticated caller's team.
    public init(config: KeelConfig, client: HTTPClient, store: any Store, logger: Logger,
                governance: Governance? = nil, guardrails: Guardrails? = nil,
                telemetry: GatewayTelemetry = .off,
                cachePartition: @escaping @Sendable (Request, RequestContext) -> String = { _, context in context.attributes[CallerKey.self]?.teamID ?? "" }) {
        self.client = client
        self.store = store
        self.logger = logger
        var models: [String: ModelConfig] = [:]
        for m in config.models { models[m.name] = m }
        self.models = models
        var providers: [String: ProviderConfig] = [:]
        for p in config.providers { providers[p.name] = p }
        self.providers = providers
        routing = RoutingTable(models: config.models)
        cache = Self.makeCache(config: config, store: store, logger: logger)
        self.cachePartition = cachePartition
        self.governance = governance
        let bindings = config.guardrails.bindings
        let anyPolicy = config.guardrails.policy(named: "default") != nil || !bindings.keys.isEmpty || !bindings.teams.isEmpty || !bindings.models.isEmpty
        self.guardrails = anyPolicy ? guardrails : nil
        self.telemetry = telemetry
        upstreamAddresses = Self.upstreamAddresses(config.providers)
    }

    public func register(in router: inout Router) {
        router.post("/v1/chat/completions") { [self] request, context in
            try await chat(request, context, inbound: .openAI)
        }
        router.post("/v1/messages", errorFormat: .anthropic) { [self] request, context in
            try await chat(request, context, inbound: .anthropic)
        }
        router.post("/v1/messages/count_tokens", errorFormat: .anthropic) { [self] request, context in
            try await countTokens(request, context)
        }
        router.post("/v1/embeddings") { [self] request, context in
            try await embeddings(request, context)
        }
    }

    // MARK: Chat

    /// Serves one chat request; whatever it answers with an error is recorded here, once, and
    /// carries the routing headers.
    func chat(_ request: Request, _ context: RequestContext, inbound: WireFormat) async throws -> Response {
        let inboundAPI = inbound == .openAI ? "openai.chat_completions" : "anthropic.messages"
        var recorder = RequestRecorder(id: context.requestID, inboundAPI: inboundAPI, model: "")
        recorder.telemetry = startTelemetry(request, operation: "chat")
        do {
            return try await chat(request, context, inbound: inbound, recorder: &recorder)
        } catch {
            await endFailed(&recorder, status: responseStatus(for: error))
            recordFailure(error, recorder)
            throw recorder.addingRoutingHeaders(to: error)
        }
    }

    /// The steps of a chat request: parse, admit, answer from the cache or through the attempt loop,
    /// settle. Admission (who may call, budgets, input guardrails) happens before the first
    /// attempt; settlement (spend, output accounting) after the last, once the answer is known.
    private func chat(_ request: Request, _ context: RequestContext, inbound: WireFormat, recorder: inout RequestRecorder) async throws -> Response {
        var parsed = try ChatCall(request, inbound: inbound)
        recorder.model = parsed.model
        recorder.stream = parsed.stream
        noteChatRequest(parsed, &recorder.telemetry)
        guard let model = models[parsed.model] else { throw ModelNotFound(model: parsed.model) }

        // Admission: the request is valid and names a served model; nothing has been sent upstream.
        let body = parsed.body
        try await admit(&recorder, context: context, model: parsed.model, promptTokens: TokenEstimator.promptTokens(body),
                        maxOutputTokens: Self.maxOutputTokens(body), headers: request.headers, metadata: body["metadata"])
        let chatGuard = try guardInput(&parsed, caller: recorder.caller, recorder: &recorder)
        // Captured content (when enabled) is what goes upstream: after the input policy's redaction.
        if chatGuard != nil { noteChatContent(parsed, &recorder.telemetry) }
        let call = parsed
        // Answers differ by team and by the output policy that shaped them.
        let partition = cachePartition(request, context) + (recorder.guardrails["guardrails_policy"].map { "|guardrails:" + $0 } ?? "")

        let cacheKey = cacheKey(call, model: model, partition: partition, recorder: &recorder)
        if let cacheKey, !call.noCache, let hit = await cachedAnswer(cacheKey) {
            await settle(&recorder, status: 200)
            return try replay(hit, call, recorder: &recorder)
        }

        let trail = makeTrail(&recorder)
        let attempted: (result: Attempted<ChatAnswer>, target: RouteTarget)
        do {
            attempted = try await runAttempts(call.plan, trail: trail) { [self] target in
                try await chatAttempt(call, target)
            }
            recorder.attempts = trail.all
        } catch let failure as AttemptFailure {
            recorder.failed(failure, trail: trail)
            guard let started = failure.startedStream else { throw failure.error }
            // The upstream's stream broke before its first token and nothing else answered: the
            // client gets that stream, ending with the error event, as the upstream sent it.
            let provider = recorder.attempts.last?.provider ?? ""
            let failed = recorder
            return .eventStream(headers: recorder.routingHeaders) { [self] writer in
                var recorder = failed
                let outcome = await Self.stream(started, to: writer, call: call, recorder: &recorder, provider: provider, output: chatGuard?.streamFilter(), onComplete: nil)
                await settle(&recorder, status: outcome.status)
                self.finish(recorder, status: outcome.status, error: outcome.error, errorType: outcome.clientGone ? "cancelled" : nil)
                if outcome.clientGone { throw ClientDisconnectedError() }
            }
        } catch {
            recorder.attempts = trail.all
            throw error
        }
        recorder.answeredBy(attempted.target)
        // An answer de-anonymised with the caller's own values (input redaction) is never cached.
        let cacheable = cacheKey != nil && !call.noStore && attempted.target.model.name == model.name
            && (chatGuard?.redaction.isEmpty ?? true)
        let headers = Self.addingRateLimitHeaders(recorder.routingHeaders, recorder)

        // Settlement: the answer is known (a stream settles when it ends).
        switch attempted.result.value {
        case .whole(var answer, let usage):
            recorder.usage = usage
            recorder.firstTokenAt = attempted.result.firstTokenAt
            if let chatGuard { answer = try Self.guardOutput(answer, inbound: call.inbound, guard: chatGuard, recorder: &recorder) }
            if let response = attempted.result.response { recorder.telemetry.response = response }
            await settle(&recorder, status: 200)
            finish(recorder, status: 200, error: nil)
            if cacheable, let cacheKey { saveToCache(cacheKey, body: answer, model: model, route: attempted.target.name, partition: partition) }
            return .json(bytes: answer, headers: headers)
        case .stream(let prepared):
            let started = recorder
            let providerName = attempted.target.provider.name
            var onComplete: (@Sendable (ChatResponse) -> Void)?
            if cacheable, let cacheKey {
                let routeName = attempted.target.name
                onComplete = { [self] response in
                    let body = Codecs.encodeResponse(call.inbound, response, model: call.model).serialized()
                    saveToCache(cacheKey, body: body, model: model, route: routeName, partition: partition)
                }
            }
            let whenComplete = onComplete
            return .eventStream(headers: headers) { [self] writer in
                var recorder = started
                let outcome = await Self.stream(prepared, to: writer, call: call, recorder: &recorder, provider: providerName, output: chatGuard?.streamFilter(), onComplete: whenComplete)
                await settle(&recorder, status: outcome.status)
                self.finish(recorder, status: outcome.status, error: outcome.error, errorType: outcome.clientGone ? "cancelled" : nil)
                if outcome.clientGone { throw ClientDisconnectedError() }
            }
        }
    }

    /// A request body as a JSON object; a 400 (`invalid_json`) when it is not JSON or not an object.
    static func jsonObject(_ bytes: [UInt8]) throws(GatewayError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            throw GatewayError.invalid("We could not parse the JSON body of your request: \(error.message)", code: "invalid_json")
        }
        guard case .object(let object) = value else {
            throw GatewayError.invalid("The request body must be a JSON object.")
        }
        return object
    }

    /// The body's `model`, which must be a string.
    static func modelName(_ body: JSONObject) throws(GatewayError) -> String {
        guard let modelValue = body["model"], !modelValue.isNull else {
            throw GatewayError.invalid("You must provide a model parameter.", param: "model", code: "missing_required_parameter")
        }
        guard case .string(let name) = modelValue else {
            throw GatewayError.invalid("'model' must be a string.", param: "model", code: "invalid_type")
        }
        return name
    }

    /// The client's `x-keel-timeout-ms`: a whole number of milliseconds above 0; nil when absent.
    static func timeoutOverride(_ headers: HTTPHeaders) throws(GatewayError) -> Duration? {
        guard let text = headers.first("x-keel-timeout-ms") else { return nil }
        guard let ms = Int(text.trimmingCharacters(in: .whitespaces)), ms > 0 else {
            throw GatewayError.invalid("The x-keel-timeout-ms header must be a whole number of milliseconds above 0, got '\(text)'.", param: "x-keel-timeout-ms", code: "invalid_header")
        }
        return .milliseconds(ms)
    }

    // MARK: Shared

    /// Records a request that failed with `error` in the request log, with the status the client
    /// sees, and ends its span and metrics.
    func recordFailure(_ error: any Error, _ recorder: RequestRecorder) {
        finish(recorder, failedWith: error)
    }
}

/// A parsed chat request: what every attempt needs to know about it.
struct ChatCall: Sendable {
    let inbound: WireFormat
    /// The client's JSON as it is sent upstream (after input guardrails' redactions).
    var body: JSONObject
    /// The client's JSON as it arrived: what the response cache key is made of.
    let original: JSONObject
    /// The model the client asked for.
    let model: String
    let stream: Bool
    /// OpenAI `stream_options.include_usage` as the client sent it.
    let clientWantsUsage: Bool
    /// The client's headers (providers pass some on, e.g. `anthropic-beta`).
    let headers: HTTPHeaders
    let timeoutOverride: Duration?
    /// `cache-control: no-cache` (look nothing up) and `no-store` (keep nothing).
    let noCache: Bool
    let noStore: Bool

    init(_ request: Request, inbound: WireFormat) throws(GatewayError) {
        self.inbound = inbound
        body = try Gateway.jsonObject(request.body)
        original = body
        model = try Gateway.modelName(body)
        var stream = false
        if let s = body["stream"] {
            guard case .bool(let b) = s else { throw GatewayError.invalid("'stream' must be a boolean.", param: "stream", code: "invalid_type") }
            stream = b
        }
        self.stream = stream
        clientWantsUsage = body["stream_options"]?["include_usage"]?.boolValue ?? false
        headers = request.headers
        timeoutOverride = try Gateway.timeoutOverride(request.headers)
        let cacheControl = request.headers.values("cache-control").joined(separator: ",").lowercased()
        noCache = cacheControl.contains("no-cache")
        noStore = cacheControl.contains("no-store")
    }

    var plan: AttemptPlan {
        AttemptPlan(model: model, stream: stream, timeoutOverride: timeoutOverride)
    }
}
