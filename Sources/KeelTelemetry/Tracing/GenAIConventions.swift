/// Names and attribute sets of the OpenTelemetry GenAI semantic conventions, built from plain
/// values, so the gateway fills spans in a line or two.
///
/// Keel records one SERVER span per request it serves and one CLIENT span per upstream attempt
/// (retries and fallbacks each get their own), both named `"{operation} {model}"`:
///
/// ```swift
/// var values = GenAISpanValues(operation: "chat", requestModel: "gpt-4o-mini")
/// var span = tracer.startSpan(GenAIConventions.spanName(operation: "chat", model: "gpt-4o-mini"), kind: .server, parent: inbound)
/// // … after the response …
/// values.providerKind = "openai"
/// values.usage = GenAIUsage(inputTokens: 12, outputTokens: 40)
/// span.attributes.merge(GenAIConventions.requestAttributes(values, keel: KeelSpanValues(team: "search", costUSD: 0.0001)))
/// ```
public enum GenAIConventions {
    /// `gen_ai.provider.name` for a Keel provider kind: `openai` → `openai`, `azure` →
    /// `azure.ai.openai`, `anthropic` → `anthropic`, `bedrock` → `aws.bedrock`, `gemini` →
    /// `gcp.gemini`; any other kind is passed through unchanged.
    public static func providerName(forKind kind: String) -> String {
        switch kind {
        case "openai": "openai"
        case "azure": "azure.ai.openai"
        case "anthropic": "anthropic"
        case "bedrock": "aws.bedrock"
        case "gemini": "gcp.gemini"
        default: kind
        }
    }

    /// The span name: `"{operation} {model}"`, or just the operation when the model is unknown.
    public static func spanName(operation: String, model: String?) -> String {
        guard let model, !model.isEmpty else { return operation }
        return operation + " " + model
    }

    /// The `gen_ai.*`, `server.*` and `error.type` attributes of `values`, in the conventions'
    /// order. Nil and empty values are left out.
    public static func attributes(_ values: GenAISpanValues) -> SpanAttributes {
        var attributes = SpanAttributes()
        attributes.reserveCapacity(32)
        write(values, to: &attributes)
        return attributes
    }

    /// The request (SERVER) span's attributes: the GenAI attributes of the final outcome plus
    /// Keel's own (`keel.*`).
    public static func requestAttributes(_ values: GenAISpanValues, keel: KeelSpanValues) -> SpanAttributes {
        GenAISpanAttributes(values: values, keel: keel).attributes
    }

    /// An upstream attempt (CLIENT) span's attributes: the GenAI attributes as sent to and
    /// answered by the provider, plus `keel.attempt`, `keel.route`, `keel.fallback` and
    /// `http.response.status_code`.
    public static func attemptAttributes(_ values: GenAISpanValues, attempt: KeelAttemptValues) -> SpanAttributes {
        GenAISpanAttributes(values: values, attempt: attempt).attributes
    }

    /// Writes each convention attribute of `values` that has a value into `sink`, in a fixed
    /// order: what ``attributes(_:)`` holds, without making it (the span encoder writes them
    /// straight from the values).
    @inline(__always)
    static func write<Sink: AttributeSink & ~Copyable>(_ values: GenAISpanValues, to sink: inout Sink) {
        sink.add("gen_ai.operation.name", string: values.operation)
        if let kind = values.providerKind { sink.add("gen_ai.provider.name", string: providerName(forKind: kind)) }
        sink.add("gen_ai.request.model", values.requestModel)
        let parameters = values.parameters
        sink.add("gen_ai.request.temperature", parameters.temperature)
        sink.add("gen_ai.request.top_p", parameters.topP)
        sink.add("gen_ai.request.top_k", parameters.topK)
        sink.add("gen_ai.request.max_tokens", parameters.maxTokens)
        sink.add("gen_ai.request.frequency_penalty", parameters.frequencyPenalty)
        sink.add("gen_ai.request.presence_penalty", parameters.presencePenalty)
        sink.add("gen_ai.request.stop_sequences", parameters.stopSequences)
        sink.add("gen_ai.request.seed", parameters.seed)
        if let count = parameters.choiceCount, count != 1 {
            sink.add("gen_ai.request.choice.count", int: Int64(count))
        }
        sink.add("gen_ai.request.encoding_formats", parameters.encodingFormats)
        sink.add("gen_ai.response.model", values.responseModel)
        sink.add("gen_ai.response.id", values.responseID)
        sink.add("gen_ai.response.finish_reasons", values.finishReasons)
        sink.add("gen_ai.usage.input_tokens", values.usage.inputTokens)
        sink.add("gen_ai.usage.output_tokens", values.usage.outputTokens)
        sink.add("gen_ai.usage.cache_read.input_tokens", values.usage.cacheReadInputTokens)
        sink.add("gen_ai.usage.cache_creation.input_tokens", values.usage.cacheCreationInputTokens)
        sink.add("server.address", values.serverAddress)
        sink.add("server.port", values.serverPort)
        sink.add("error.type", values.errorType)
    }
}

/// The GenAI values shared by request and attempt spans; every field but the operation and the
/// model is optional.
public struct GenAISpanValues: Sendable, Hashable {
    /// `gen_ai.operation.name`: `chat`, `embeddings`, `text_completion`, `generate_content`.
    public var operation: String
    /// `gen_ai.request.model`: the name the client asked for (request span) or the model sent
    /// upstream (attempt span).
    public var requestModel: String?
    /// The Keel provider kind (`openai`, `azure`, …), mapped to `gen_ai.provider.name`.
    public var providerKind: String?
    /// `gen_ai.request.*` parameters.
    public var parameters: GenAIRequestParameters
    /// `gen_ai.response.model`.
    public var responseModel: String?
    /// `gen_ai.response.id`.
    public var responseID: String?
    /// `gen_ai.response.finish_reasons`, one per choice.
    public var finishReasons: [String]
    /// `gen_ai.usage.*`.
    public var usage: GenAIUsage
    /// `error.type`: a low-cardinality class (`timeout`, an HTTP status such as `429`, `_OTHER`).
    public var errorType: String?
    /// `server.address` of the upstream (attempt spans).
    public var serverAddress: String?
    /// `server.port` of the upstream (attempt spans).
    public var serverPort: Int?

    /// Values; everything but `operation` defaults to unknown.
    public init(
        operation: String,
        requestModel: String? = nil,
        providerKind: String? = nil,
        parameters: GenAIRequestParameters = GenAIRequestParameters(),
        responseModel: String? = nil,
        responseID: String? = nil,
        finishReasons: [String] = [],
        usage: GenAIUsage = GenAIUsage(),
        errorType: String? = nil,
        serverAddress: String? = nil,
        serverPort: Int? = nil
    ) {
        self.operation = operation
        self.requestModel = requestModel
        self.providerKind = providerKind
        self.parameters = parameters
        self.responseModel = responseModel
        self.responseID = responseID
        self.finishReasons = finishReasons
        self.usage = usage
        self.errorType = errorType
        self.serverAddress = serverAddress
        self.serverPort = serverPort
    }
}

/// The request parameters the conventions record (`gen_ai.request.*`).
public struct GenAIRequestParameters: Sendable, Hashable {
    public var temperature: Double?
    public var topP: Double?
    public var topK: Double?
    public var maxTokens: Int?
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?
    public var stopSequences: [String]?
    public var seed: Int?
    /// `n`; recorded only when it is not 1, as the conventions ask.
    public var choiceCount: Int?
    /// Embeddings' `encoding_format`, as a list.
    public var encodingFormats: [String]?

    /// Parameters; all unknown by default.
    public init(
        temperature: Double? = nil, topP: Double? = nil, topK: Double? = nil, maxTokens: Int? = nil,
        frequencyPenalty: Double? = nil, presencePenalty: Double? = nil, stopSequences: [String]? = nil,
        seed: Int? = nil, choiceCount: Int? = nil, encodingFormats: [String]? = nil
    ) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.maxTokens = maxTokens
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.stopSequences = stopSequences
        self.seed = seed
        self.choiceCount = choiceCount
        self.encodingFormats = encodingFormats
    }
}

/// Token usage as the provider reported it (`gen_ai.usage.*`).
public struct GenAIUsage: Sendable, Hashable {
    public var inputTokens: Int?
    public var outputTokens: Int?
    /// Input tokens served from the provider's prompt cache.
    public var cacheReadInputTokens: Int?
    /// Input tokens written to the provider's prompt cache.
    public var cacheCreationInputTokens: Int?

    /// Usage; all unknown by default.
    public init(inputTokens: Int? = nil, outputTokens: Int? = nil, cacheReadInputTokens: Int? = nil, cacheCreationInputTokens: Int? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
    }
}

/// Keel's own request span attributes (`keel.*`).
public struct KeelSpanValues: Sendable, Hashable {
    /// `keel.request_id`: the `x-request-id` (and request-log id).
    public var requestID: String?
    /// `keel.team`.
    public var team: String?
    /// `keel.key_id`: the virtual key's id (never the key itself).
    public var keyID: String?
    /// `keel.route`: the route that served the request, `provider/model`.
    public var route: String?
    /// `keel.inbound_api`, such as `openai.chat_completions`.
    public var inboundAPI: String?
    /// `keel.stream`: whether the response was streamed.
    public var stream: Bool?
    /// `keel.cache`: `hit`, `miss` or `bypass`.
    public var cache: String?
    /// `keel.guardrail.verdicts`: one `stage:detector:action` per finding, such as `input:pii:redact`.
    public var guardrailVerdicts: [String]
    /// `keel.cost_usd`.
    public var costUSD: Double?
    /// `keel.attempts`: upstream attempts made (retries and fallbacks included).
    public var attempts: Int?

    /// Values; all unknown by default.
    public init(
        requestID: String? = nil, team: String? = nil, keyID: String? = nil, route: String? = nil,
        inboundAPI: String? = nil, stream: Bool? = nil, cache: String? = nil, guardrailVerdicts: [String] = [],
        costUSD: Double? = nil, attempts: Int? = nil
    ) {
        self.requestID = requestID
        self.team = team
        self.keyID = keyID
        self.route = route
        self.inboundAPI = inboundAPI
        self.stream = stream
        self.cache = cache
        self.guardrailVerdicts = guardrailVerdicts
        self.costUSD = costUSD
        self.attempts = attempts
    }

    /// The attributes, nil values left out.
    public var attributes: SpanAttributes {
        var attributes = SpanAttributes()
        write(to: &attributes)
        return attributes
    }

    /// Writes each attribute that has a value into `sink`, in the order of ``attributes``.
    @inline(__always)
    func write<Sink: AttributeSink & ~Copyable>(to sink: inout Sink) {
        sink.add("keel.request_id", requestID)
        sink.add("keel.team", team)
        sink.add("keel.key_id", keyID)
        sink.add("keel.route", route)
        sink.add("keel.inbound_api", inboundAPI)
        if let stream { sink.add("keel.stream", bool: stream) }
        sink.add("keel.cache", cache)
        sink.add("keel.guardrail.verdicts", guardrailVerdicts)
        sink.add("keel.cost_usd", costUSD)
        sink.add("keel.attempts", attempts)
    }
}

/// What identifies one upstream attempt on its CLIENT span.
public struct KeelAttemptValues: Sendable, Hashable {
    /// 1 for the first attempt, 2 for the first retry or fallback, …
    public var number: Int
    /// The route tried, `provider/model`.
    public var route: String?
    /// Whether this attempt went to a fallback model.
    public var isFallback: Bool
    /// The upstream's HTTP status, when one arrived.
    public var httpStatus: Int?

    /// An attempt; the first, not a fallback, by default.
    public init(number: Int = 1, route: String? = nil, isFallback: Bool = false, httpStatus: Int? = nil) {
        self.number = number
        self.route = route
        self.isFallback = isFallback
        self.httpStatus = httpStatus
    }
}

/// Whether prompts and completions are recorded on spans (`gen_ai.input.messages`,
/// `gen_ai.output.messages`), and how they are redacted first.
///
/// Off by default: content often holds personal data. When on, each text passes through
/// `redact`, if one is given, and is cut to ``maxBytes``. (Keel's gateway redacts the prompt and
/// the answer together before they get here, with the `pii` and `secrets` detectors as
/// `telemetry.capture_redaction` says, so the span and the request log hold the same text; it
/// passes no `redact` of its own.)
public struct ContentCapture: Sendable {
    /// Whether content is recorded at all.
    public var enabled: Bool
    /// Applied to every text before it is recorded; nil records the text as is.
    public var redact: (@Sendable (String) -> String)?
    /// The most UTF-8 bytes recorded per attribute; longer texts are cut at a character boundary
    /// and `keel.content_truncated` is set. Default 65536.
    public var maxBytes: Int

    /// A policy; off by default.
    public init(enabled: Bool = false, redact: (@Sendable (String) -> String)? = nil, maxBytes: Int = 65_536) {
        self.enabled = enabled
        self.redact = redact
        self.maxBytes = max(0, maxBytes)
    }

    /// Capture switched off.
    public static let off = ContentCapture()

    /// The content attributes for the given input and output messages (JSON text, as the
    /// conventions' `gen_ai.input.messages` / `gen_ai.output.messages` expect); empty when
    /// capture is off.
    public func attributes(inputMessages: String?, outputMessages: String?) -> SpanAttributes {
        var attributes = SpanAttributes()
        guard enabled else { return attributes }
        var truncated = false
        func prepare(_ text: String) -> String {
            let redacted = redact?(text) ?? text
            guard redacted.utf8.count > maxBytes else { return redacted }
            truncated = true
            let bytes = Array(redacted.utf8)
            var end = maxBytes
            // Step back over UTF-8 continuation bytes so no character is split.
            while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
        attributes.append("gen_ai.input.messages", inputMessages.map(prepare))
        attributes.append("gen_ai.output.messages", outputMessages.map(prepare))
        if truncated { attributes.append("keel.content_truncated", .bool(true)) }
        return attributes
    }
}

extension KeelAttemptValues {
    /// Writes `keel.attempt`, `keel.route`, `keel.fallback` (when set) and
    /// `http.response.status_code` (when known) into `sink`, in that order.
    @inline(__always)
    func write<Sink: AttributeSink & ~Copyable>(to sink: inout Sink) {
        sink.add("keel.attempt", int: Int64(number))
        sink.add("keel.route", route)
        if isFallback { sink.add("keel.fallback", bool: true) }
        sink.add("http.response.status_code", httpStatus)
    }
}

/// The convention attributes of a request span or an attempt span, kept as values while the span
/// is open and written out only when it is exported: the OTLP protobuf encoder writes them
/// straight from these values, and ``attributes`` (what ``SpanBuilder/end(at:)`` merges into a
/// `Span` for other exporters) makes them on demand. The gateway fills in the response values as
/// they arrive instead of appending attributes.
public struct GenAISpanAttributes: Sendable, Hashable {
    /// The `gen_ai.*`, `server.*` and `error.type` values.
    public var values: GenAISpanValues
    /// Keel's request attributes (`keel.*`), for a request's SERVER span.
    public var keel: KeelSpanValues?
    /// The attempt's attributes, for an upstream attempt's CLIENT span.
    public var attempt: KeelAttemptValues?

    /// Values for a request span (with `keel`) or an attempt span (with `attempt`).
    public init(values: GenAISpanValues, keel: KeelSpanValues? = nil, attempt: KeelAttemptValues? = nil) {
        self.values = values
        self.keel = keel
        self.attempt = attempt
    }

    /// The attributes: the conventions' (``GenAIConventions/attributes(_:)``), then Keel's.
    public var attributes: SpanAttributes {
        var attributes = SpanAttributes()
        attributes.reserveCapacity(36)
        write(to: &attributes)
        return attributes
    }

    /// Writes each attribute into `sink`, in the order of ``attributes``.
    @inline(__always)
    func write<Sink: AttributeSink & ~Copyable>(to sink: inout Sink) {
        GenAIConventions.write(values, to: &sink)
        keel?.write(to: &sink)
        attempt?.write(to: &sink)
    }
}
