import KeelConfig
import KeelCore
import KeelGovernance
import KeelHTTP
import KeelStore
import KeelTelemetry

/// What the gateway records besides the request log: a span per request and per upstream attempt
/// (OpenTelemetry GenAI conventions), and the GenAI metrics, one call per request.
public struct GatewayTelemetry: Sendable {
    /// Where spans go; nil when tracing is off (then no span is made and no `traceparent` is sent).
    public var tracer: Tracer?
    /// The GenAI metric families; nil records no metrics.
    public var metrics: GenAIMetrics?
    /// Whether prompts and completions are captured (on sampled request spans and with every chat
    /// request's log entry), and how many bytes of each side are kept.
    public var capture: ContentCapture
    /// Redacts captured content before it is recorded; nil records it as sent and answered.
    public var redactor: ContentRedactor?

    /// Telemetry settings; everything off by default.
    public init(tracer: Tracer? = nil, metrics: GenAIMetrics? = nil, capture: ContentCapture = .off, redactor: ContentRedactor? = nil) {
        self.tracer = tracer
        self.metrics = metrics
        self.capture = capture
        self.redactor = redactor
    }

    /// No spans, no metrics.
    public static let off = GatewayTelemetry()
}

/// What one request's span and metrics need beyond the request log entry.
struct RequestTelemetry: Sendable {
    /// `chat`, `embeddings` or `count_tokens`.
    var operation: String
    /// The SERVER span; nil when tracing is off.
    var span: SpanBuilder?
    /// `gen_ai.request.*` parameters, read from the client's body.
    var parameters = GenAIRequestParameters()
    /// Id, model and finish reasons of the answer.
    var response = ResponseSummary()
    /// Whether a fallback model answered.
    var fallback = false
    /// Whether content is captured (for the request log, and for the span when it is sampled).
    var captureContent = false
    /// `gen_ai.input.messages` / `gen_ai.output.messages`, only when content is captured; redacted
    /// and serialised once, when the request finishes (``CapturedContent``).
    var inputMessages: [JSONValue]?
    var outputMessages: [JSONValue]?
    /// The upstream attempts (for their spans); nil before the attempt loop.
    var trail: AttemptTrail?
    /// Who called: set by admission once requests carry a virtual key (nil until then).
    var team: String?
    var keyID: String?
    /// The request's cost in US dollars, set by settlement when pricing applies.
    var costUSD: Double?
    /// Guardrail findings as `stage:detector:action` (for example `input:pii:redact`).
    var guardrailVerdicts: [String] = []

    /// Whether the request is a model request, recorded in the request log and the GenAI metrics
    /// (token counting is traced only).
    var isLogged: Bool { operation != "count_tokens" }
}

/// What an answer says about itself: `gen_ai.response.id`, `.model`, `.finish_reasons`.
struct ResponseSummary: Sendable, Equatable {
    var id: String?
    var model: String?
    var finishReasons: [String] = []
    /// `gen_ai.output.messages`, read only when content is captured.
    var outputMessages: [JSONValue]?

    /// The summary of a whole chat answer in `format` (already parsed).
    init(_ answer: JSONValue, format: WireFormat) {
        id = answer["id"]?.stringValue ?? answer["responseId"]?.stringValue
        model = answer["model"]?.stringValue ?? answer["modelVersion"]?.stringValue
        switch format {
        case .openAI:
            finishReasons = answer["choices"]?.arrayValue?.compactMap { $0["finish_reason"]?.stringValue } ?? []
        case .anthropic:
            finishReasons = answer["stop_reason"]?.stringValue.map { [$0] } ?? []
        case .gemini:
            finishReasons = answer["candidates"]?.arrayValue?.compactMap { $0["finishReason"]?.stringValue } ?? []
        case .bedrockConverse:
            finishReasons = answer["stopReason"]?.stringValue.map { [$0] } ?? []
        }
    }

    init(id: String? = nil, model: String? = nil, finishReasons: [String] = []) {
        self.id = id
        self.model = model
        self.finishReasons = finishReasons
    }
}

/// The request span's context, for the attempt spans started under it (held by the request's
/// trail, which every attempt shares).
struct AttemptTracing: Sendable {
    let tracer: Tracer
    /// The request span's context (the attempt spans' parent).
    let parent: TraceContext
    let operation: String
    /// The model the client asked for (an attempt on another model is a fallback).
    let requestedModel: String
    let parameters: GenAIRequestParameters
    /// Every provider's address, by provider name.
    let addresses: [String: UpstreamAddress]

    init(tracer: Tracer, parent: TraceContext, operation: String, requestedModel: String, parameters: GenAIRequestParameters, addresses: [String: UpstreamAddress]) {
        self.tracer = tracer
        self.parent = parent
        self.operation = operation
        self.requestedModel = requestedModel
        self.parameters = parameters
        self.addresses = addresses
    }
}

/// Where a provider is: `server.address` and `server.port`.
struct UpstreamAddress: Sendable, Equatable {
    var host: String
    var port: Int
}

extension Gateway {
    /// Starts a request's telemetry: the SERVER span, continuing the inbound `traceparent` (and
    /// `tracestate`) when it is valid, else starting a new trace (sampled per `sampling_ratio`).
    func startTelemetry(_ request: Request, operation: String) -> RequestTelemetry {
        var telemetry = RequestTelemetry(operation: operation)
        // Chat content is captured for the request log whether or not the trace is sampled.
        telemetry.captureContent = self.telemetry.capture.enabled && operation == "chat"
        guard let tracer = self.telemetry.tracer else { return telemetry }
        let parent = request.headers.first(TraceContext.traceparentHeader).flatMap {
            TraceContext(traceparent: $0, tracestate: request.headers.values(TraceContext.tracestateHeader).joined(separator: ","))
        }
        telemetry.span = tracer.startSpan(operation, kind: .server, parent: parent)
        return telemetry
    }

    /// Reads the `gen_ai.request.*` parameters of a chat body and, when content is captured, its
    /// messages; call once the body is parsed.
    func noteChatRequest(_ call: ChatCall, _ telemetry: inout RequestTelemetry) {
        if telemetry.span?.isSampled == true { telemetry.parameters = Self.chatParameters(call.body) }
        noteChatContent(call, &telemetry)
    }

    /// Captures the request's messages when content capture is on (again after the input policy
    /// redacted them, so what is recorded is what was sent upstream).
    func noteChatContent(_ call: ChatCall, _ telemetry: inout RequestTelemetry) {
        guard telemetry.captureContent,
              let request = try? Codecs.decodeRequest(call.inbound, .object(call.body)) else { return }
        telemetry.inputMessages = GenAIContent.input(request)
    }

    /// A trail for the attempts of the request `recorder` describes, with their spans under its span.
    func makeTrail(_ recorder: inout RequestRecorder, started: ContinuousClock.Instant? = nil) -> AttemptTrail {
        var tracing: AttemptTracing?
        // Only the request span's context is needed (binding the span itself would copy it).
        if let tracer = telemetry.tracer, let parent = recorder.telemetry.span?.context {
            tracing = AttemptTracing(tracer: tracer, parent: parent, operation: recorder.telemetry.operation, requestedModel: recorder.model, parameters: recorder.telemetry.parameters, addresses: upstreamAddresses)
        }
        let trail = AttemptTrail(started: started ?? recorder.started, tracing: tracing)
        recorder.telemetry.trail = trail
        return trail
    }

    /// Ends a request: records its entry in the request log (with its trace and span ids and, when
    /// content is captured, its redacted prompt and answer), ends its span and the answering
    /// attempt's span, and records its GenAI metrics.
    func finish(_ recorder: consuming RequestRecorder, status: Int, error: String?, errorType: String? = nil) {
        var entry = recorder.entry(status: status, error: error)
        // Who called and what it cost, from governance when it ran. (The recorder is owned here:
        // its spans are finished in place, not copied.)
        recorder.telemetry.team = recorder.telemetry.team ?? recorder.caller?.teamID
        recorder.telemetry.keyID = recorder.telemetry.keyID ?? recorder.caller?.keyID
        recorder.telemetry.costUSD = recorder.telemetry.costUSD ?? recorder.costNanos.map { Double($0) / 1e9 }
        let key = RequestLogEntry.MetadataKey.self
        if let context = recorder.telemetry.span?.context {
            entry.traceID = context.traceID.hex
            entry.spanID = context.spanID.hex
        }
        let team = recorder.telemetry.team, keyID = recorder.telemetry.keyID, costUSD = recorder.telemetry.costUSD
        if let team, entry.metadata[key.team] == nil { entry.metadata[key.team] = team }
        if let keyID, entry.metadata[key.keyID] == nil { entry.metadata[key.keyID] = keyID }
        if let costUSD, entry.metadata[key.costUSD] == nil { entry.metadata[key.costUSD] = String(costUSD) }
        let isLogged = recorder.telemetry.isLogged
        let captured = recorder.telemetry.captureContent ? capturedContent(recorder.telemetry) : nil
        if let captured, isLogged { entry.content = logContent(captured) }
        if isLogged { store.record(entry) }
        let failure = status >= 400 ? (errorType ?? String(status)) : nil
        let providerKind = entry.provider.flatMap { providers[$0]?.kind.rawValue }
        let route = entry.provider.map { "\($0)/\(entry.upstreamModel ?? "")" }
        let usage = GenAIUsage(inputTokens: entry.inputTokens, outputTokens: entry.outputTokens, cacheReadInputTokens: recorder.usage.flatMap { $0.cachedInputTokens > 0 ? $0.cachedInputTokens : nil }, cacheCreationInputTokens: recorder.usage.flatMap { $0.cacheWriteTokens > 0 ? $0.cacheWriteTokens : nil })

        // An unsampled trace only propagates its context: no attributes are built for spans
        // nobody exports.
        // (The span is moved out of the recorder, not copied: it is finished here.)
        if let tracer = telemetry.tracer, var span = recorder.telemetry.span.take(), span.isSampled {
            let now = UnixNanos.now()
            let response = recorder.telemetry.response
            // The tokens are counted once per trace, on the span of the call that used them:
            // backends that add up `gen_ai.usage.*` over a trace (Langfuse, Opik, Datadog, TraceQL
            // metrics) would count them twice if the request span repeated the attempt's usage.
            var requestUsage = usage
            if var answered = recorder.telemetry.trail?.takeAnswered() {
                // The answer's values join the attempt's convention values (written at export).
                answered.span.conventions?.values.responseModel = response.model
                answered.span.conventions?.values.responseID = response.id
                answered.span.conventions?.values.finishReasons = response.finishReasons
                answered.span.conventions?.values.usage = usage
                if case .some = answered.span.conventions { requestUsage = GenAIUsage() }
                tracer.end(answered.span, at: recorder.stream ? now : answered.endedAt)
            }
            let values = GenAISpanValues(
                operation: recorder.telemetry.operation, requestModel: entry.model.isEmpty ? nil : entry.model, providerKind: providerKind,
                parameters: recorder.telemetry.parameters, responseModel: response.model, responseID: response.id,
                finishReasons: response.finishReasons, usage: requestUsage, errorType: failure
            )
            let keel = KeelSpanValues(
                requestID: recorder.id, team: team, keyID: keyID, route: route, inboundAPI: recorder.inboundAPI,
                stream: recorder.stream, cache: recorder.cache, guardrailVerdicts: recorder.telemetry.guardrailVerdicts, costUSD: costUSD,
                attempts: entry.attempts.count
            )
            span.name = GenAIConventions.spanName(operation: recorder.telemetry.operation, model: entry.model)
            span.conventions = GenAISpanAttributes(values: values, keel: keel)
            if let captured {
                span.attributes.merge(telemetry.capture.attributes(inputMessages: captured.input, outputMessages: captured.output))
                if captured.truncated { span.attributes["keel.content_truncated"] = .bool(true) }
            }
            // As HTTP servers do: a client error is recorded (`error.type`) but is not the server's failure.
            if let failure, status >= 500 { span.status = .error(error ?? failure) }
            tracer.end(span, at: now)
        }

        guard let metrics = telemetry.metrics, isLogged else { return }
        let configured = models[entry.model] != nil
        metrics.record(
            operation: recorder.telemetry.operation, providerKind: providerKind, provider: entry.provider,
            requestModel: configured ? entry.model : "", responseModel: configured ? entry.upstreamModel : nil, route: route, team: team,
            duration: entry.latencyMs / 1000, inputTokens: entry.inputTokens, outputTokens: entry.outputTokens,
            timeToFirstToken: recorder.stream ? entry.timeToFirstTokenMs.map { $0 / 1000 } : nil,
            errorType: failure, costUSD: costUSD ?? 0, cacheHit: recorder.cache == "hit",
            retries: max(0, entry.attempts.count - 1), fallback: recorder.telemetry.fallback,
            guardrailActions: recorder.telemetry.guardrailVerdicts.compactMap(Self.guardrailAction)
        )
    }

    /// A request that failed with `error`: the status the client sees and a low-cardinality `error.type`.
    func finish(_ recorder: RequestRecorder, failedWith error: any Error) {
        let status = responseStatus(for: error)
        let message = (error as? GatewayError)?.message ?? (error as? GovernanceError)?.message ?? String(describing: type(of: error))
        finish(recorder, status: status, error: message, errorType: Self.errorType(error, status: status))
    }

    /// `timeout` for Keel's own deadlines, `cancelled` when the client left, otherwise the status.
    static func errorType(_ error: any Error, status: Int) -> String {
        if error is CancellationError { return "cancelled" }
        switch (error as? GatewayError)?.code {
        case "upstream_timeout", "first_token_timeout": return "timeout"
        default: return String(status)
        }
    }

    /// `stage:detector:action` as a metric label set.
    static func guardrailAction(_ verdict: String) -> GenAIMetrics.GuardrailAction? {
        let parts = verdict.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3 else { return nil }
        return GenAIMetrics.GuardrailAction(stage: parts[0], detector: parts[1], action: parts[2])
    }

    /// `gen_ai.request.*` from an OpenAI Chat Completions or Anthropic Messages body.
    ///
    /// One pass over the body's members (a chat body holds a handful, and most are not
    /// parameters), where looking each parameter up would scan them eleven times.
    static func chatParameters(_ body: JSONObject) -> GenAIRequestParameters {
        var p = GenAIRequestParameters()
        var maxCompletionTokens: JSONValue?, maxTokens: JSONValue?, stop: JSONValue?, stopSequences: JSONValue?
        for (key, value) in body {
            // Compared by length first: most keys (model, messages, stream, tools) match none.
            switch key.utf8.count {
            case 1 where key == "n": p.choiceCount = value.intValue
            case 4 where key == "seed": p.seed = value.intValue
            case 4 where key == "stop": stop = value
            case 5 where key == "top_p": p.topP = value.doubleValue
            case 5 where key == "top_k": p.topK = value.doubleValue
            case 10 where key == "max_tokens": maxTokens = value
            case 11 where key == "temperature": p.temperature = value.doubleValue
            case 14 where key == "stop_sequences": stopSequences = value
            case 16 where key == "presence_penalty": p.presencePenalty = value.doubleValue
            case 17 where key == "frequency_penalty": p.frequencyPenalty = value.doubleValue
            case 21 where key == "max_completion_tokens": maxCompletionTokens = value
            default: break
            }
        }
        p.maxTokens = (maxCompletionTokens ?? maxTokens)?.intValue
        if let stop = stop ?? stopSequences {
            p.stopSequences = stop.stringValue.map { [$0] } ?? stop.arrayValue?.compactMap(\.stringValue)
        }
        return p
    }

    /// The address of every provider with a base URL, computed once.
    static func upstreamAddresses(_ providers: [ProviderConfig]) -> [String: UpstreamAddress] {
        var addresses: [String: UpstreamAddress] = [:]
        for provider in providers {
            if let address = serverAddress(provider.baseURL) { addresses[provider.name] = UpstreamAddress(host: address.host, port: address.port) }
        }
        return addresses
    }

    /// `server.address` and `server.port` of a provider's base URL (default ports by scheme).
    static func serverAddress(_ baseURL: String) -> (host: String, port: Int)? {
        guard let schemeEnd = baseURL.range(of: "://") else { return nil }
        let secure = baseURL[..<schemeEnd.lowerBound].lowercased() == "https"
        var authority = baseURL[schemeEnd.upperBound...]
        if let slash = authority.firstIndex(where: { $0 == "/" || $0 == "?" }) { authority = authority[..<slash] }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? (secure ? 443 : 80) : (secure ? 443 : 80))
        }
        if let colon = authority.lastIndex(of: ":") {
            return (String(authority[..<colon]), Int(authority[authority.index(after: colon)...]) ?? (secure ? 443 : 80))
        }
        return authority.isEmpty ? nil : (String(authority), secure ? 443 : 80)
    }
}

extension AttemptTrail {
    /// Starts the CLIENT span of an attempt on `target`; nil when the request is not traced.
    func startAttemptSpan(_ target: RouteTarget) -> SpanBuilder? {
        guard let tracing else { return nil }
        let number = nextAttemptNumber()
        // Unsampled: a context to send upstream is all the attempt needs.
        guard tracing.parent.isSampled else { return SpanBuilder(tracing.operation, kind: .client, context: tracing.parent.child(), parent: tracing.parent) }
        let address = tracing.addresses[target.provider.name]
        let values = GenAISpanValues(
            operation: tracing.operation, requestModel: target.route.model, providerKind: target.provider.kind.rawValue,
            parameters: tracing.parameters, serverAddress: address?.host, serverPort: address?.port
        )
        var span = SpanBuilder(GenAIConventions.spanName(operation: tracing.operation, model: target.route.model), kind: .client, context: tracing.parent.child(), parent: tracing.parent)
        span.conventions = GenAISpanAttributes(values: values, attempt: KeelAttemptValues(number: number, route: target.name, isFallback: target.model.name != tracing.requestedModel))
        return span
    }

    /// Ends a failed (or cancelled) attempt's span, or keeps a successful one to end with the answer.
    func endAttemptSpan(_ span: consuming SpanBuilder?, failure: AttemptFailure?, cancelled: Bool) {
        guard let tracing, var span = span.take(), span.isSampled else { return }
        guard let failure else {
            span.conventions?.attempt?.httpStatus = 200
            keepAnswered(consume span)
            return
        }
        span.conventions?.attempt?.httpStatus = failure.upstreamStatus
        let type: String = if cancelled { "cancelled" } else if failure.timedOut { "timeout" } else if let status = failure.upstreamStatus { String(status) } else { failure.error.code ?? String(failure.error.status) }
        span.recordError(type: type, message: cancelled ? "cancelled" : failure.error.message)
        tracing.tracer.end(span)
    }
}
