import Foundation
import KeelConfig
import KeelCore
import KeelGovernance
import KeelHTTP
import KeelStore
import KeelTelemetry

/// `POST /v1/feedback`: a score on a model response, from an end user or a business event.
///
/// ```http
/// POST /v1/feedback
/// {"request_id": "req_…", "score": 1, "label": "good", "comment": "spot on", "source": "end_user"}
/// ```
///
/// The body names the judged request by exactly one of `request_id` (the response's
/// `x-request-id`) or `trace_id` (32 hex digits, for callers that only propagate W3C trace
/// context); `score` (a number) is required; `label` (≤ 128 characters), `comment` (≤ 4096),
/// `source` (≤ 64) and `name` (the evaluation name, ≤ 128, default `user_feedback`) are optional
/// strings; any other member is rejected. Answers `201` with the stored record's id.
///
/// **Unknown request ids.** The request log is written in batches, so a request that just ended
/// may not be readable yet: when the id is not found, the route flushes the request log and
/// looks again (flush-then-read), and answers `404` (`request_not_found`) only if it is still
/// missing. Trace ids are not checked: the trace may belong to another service.
///
/// **Export.** When tracing is on, the feedback is also exported as a `gen_ai.evaluation.result`
/// event (attributes `gen_ai.evaluation.name`, `gen_ai.evaluation.score.value`,
/// `gen_ai.evaluation.score.label`, `gen_ai.evaluation.explanation`) on a short INTERNAL span
/// named `feedback {name}` in the judged request's trace — parented to the request span when
/// the request log recorded its `span_id` — so trace backends show it inside that trace.
struct FeedbackRoutes: Sendable {
    let store: any Store
    let feedback: any FeedbackStore
    let tracer: Tracer?

    /// Length limits, in characters.
    static let maxLabel = 128
    static let maxComment = 4096
    static let maxSource = 64
    static let maxName = 128
    static let maxRequestID = 256
    static let allowedFields: Set<String> = ["request_id", "trace_id", "score", "label", "comment", "source", "name"]

    init(store: any Store, feedback: any FeedbackStore, tracer: Tracer?) {
        self.store = store
        self.feedback = feedback
        self.tracer = tracer
    }

    /// The routes as `buildApplication` wires them: the feedback table of the configured SQLite
    /// database, and trace export through the application's tracer (nil when tracing is off).
    init(config: KeelConfig, store: any Store, tracer: Tracer?) throws {
        self.init(store: store, feedback: try Self.openFeedbackStore(config), tracer: tracer)
    }

    /// The feedback table of the configured SQLite database.
    static func openFeedbackStore(_ config: KeelConfig) throws -> SQLiteFeedbackStore {
        let path: String
        switch config.storage.url {
        case .sqlite(let sqlitePath): path = sqlitePath
        case .postgres: throw StartupError("storage.url: feedback needs SQLite storage in this version of Keel")
        }
        do {
            return try SQLiteFeedbackStore(path: path)
        } catch {
            throw StartupError("cannot open the feedback store at \(path): \(error)")
        }
    }

    func register(in router: inout Router) {
        router.post("/v1/feedback") { [self] request, context in
            try await handle(request, caller: context.attributes[CallerKey.self])
        }
    }

    /// Records feedback. A `request_id` must name a request of the caller's team (any request for
    /// the master key): another team's request answers 404, as if it did not exist.
    func handle(_ request: Request, caller: Caller? = nil) async throws -> Response {
        let body: JSONObject
        do {
            guard let object = try JSONValue(parsing: request.body).objectValue else {
                throw HTTPError.badRequest("the request body must be a JSON object", code: "invalid_type")
            }
            body = object
        } catch let error as JSONError {
            throw HTTPError.badRequest("the request body is not valid JSON: \(error.message)", code: "invalid_json")
        }
        for key in body.keys where !Self.allowedFields.contains(key) {
            throw HTTPError.badRequest(
                "unknown field \"\(key)\"; expected request_id or trace_id, score, and optionally label, comment, source, name",
                code: "unknown_field", param: key
            )
        }
        var requestID = try Self.string(body, "request_id", max: Self.maxRequestID)
        let givenTrace = try Self.string(body, "trace_id", max: 32)
        switch (requestID, givenTrace) {
        case (nil, nil):
            throw HTTPError.badRequest("give the judged request's request_id or its trace_id", code: "missing_target", param: "request_id")
        case (_?, _?):
            throw HTTPError.badRequest("give either request_id or trace_id, not both", code: "ambiguous_target", param: "trace_id")
        default:
            break
        }
        guard let scoreValue = body["score"], !scoreValue.isNull else {
            throw HTTPError.badRequest("score is required", code: "missing_score", param: "score")
        }
        guard let score = scoreValue.doubleValue, score.isFinite else {
            throw HTTPError.badRequest("score must be a number", code: "invalid_score", param: "score")
        }
        let label = try Self.string(body, "label", max: Self.maxLabel)
        let comment = try Self.string(body, "comment", max: Self.maxComment)
        let source = try Self.string(body, "source", max: Self.maxSource)
        let name = try Self.string(body, "name", max: Self.maxName) ?? Feedback.defaultName

        var traceID: TraceID?
        var spanID: SpanID?
        if let givenTrace {
            guard let parsed = TraceID(hex: givenTrace.lowercased()), parsed.isValid else {
                throw HTTPError.badRequest("trace_id must be 32 hexadecimal digits, not all zero", code: "invalid_trace_id", param: "trace_id")
            }
            traceID = parsed
        }
        if let id = requestID {
            guard let entry = try await findRequest(id), Self.visible(entry, to: caller) else {
                throw HTTPError.notFound("no request with id \"\(id)\"", code: "request_not_found")
            }
            requestID = entry.id
            traceID = entry.metadata["trace_id"].flatMap { TraceID(hex: $0) }.flatMap { $0.isValid ? $0 : nil }
            spanID = entry.metadata["span_id"].flatMap { SpanID(hex: $0) }.flatMap { $0.isValid ? $0 : nil }
        }

        let record = Feedback(
            requestID: requestID, traceID: traceID?.hex, spanID: spanID?.hex, name: name,
            score: score, label: label, comment: comment, source: source
        )
        try await feedback.record(record)
        if let tracer { tracer.record(Self.evaluationSpan(for: record, traceID: traceID, parentSpanID: spanID)) }

        var out = "{\"id\":"
        JSONString.append(record.id, to: &out)
        out += ",\"object\":\"feedback\",\"created_at\":\(record.time / 1000)"
        out += ",\"request_id\":" + (record.requestID.map(JSONString.quote) ?? "null")
        out += ",\"trace_id\":" + (record.traceID.map(JSONString.quote) ?? "null")
        out += ",\"name\":" + JSONString.quote(record.name)
        out += ",\"score\":" + (JSONNumber(record.score)?.text ?? "0")
        out += "}"
        return .json(out, status: 201)
    }

    /// Whether `caller` may judge `entry`: the master key (or no authentication) any request,
    /// everyone else their own team's.
    static func visible(_ entry: RequestLogEntry, to caller: Caller?) -> Bool {
        guard let caller, caller.role != .superAdmin else { return true }
        guard let team = caller.teamID else { return false }
        return entry.metadata[RequestLogEntry.MetadataKey.team] == team
    }

    /// The request log entry, flushing the log once when it is not readable yet.
    private func findRequest(_ id: String) async throws -> RequestLogEntry? {
        if let entry = try await store.request(id: id) { return entry }
        try await store.flush()
        return try await store.request(id: id)
    }

    /// The exported form of `feedback`: a zero-length span carrying a `gen_ai.evaluation.result` event.
    static func evaluationSpan(for feedback: Feedback, traceID: TraceID?, parentSpanID: SpanID?) -> Span {
        let time = UInt64(max(0, feedback.time)) &* 1_000_000
        var attributes = SpanAttributes()
        attributes["gen_ai.evaluation.name"] = .string(feedback.name)
        attributes["gen_ai.evaluation.score.value"] = .double(feedback.score)
        attributes.set("gen_ai.evaluation.score.label", feedback.label)
        attributes.set("gen_ai.evaluation.explanation", feedback.comment)
        var spanAttributes = attributes
        spanAttributes.set("keel.request_id", feedback.requestID)
        spanAttributes["keel.feedback.id"] = .string(feedback.id)
        spanAttributes.set("keel.feedback.source", feedback.source)
        return Span(
            traceID: traceID ?? TraceID.random(),
            spanID: SpanID.random(),
            parentSpanID: parentSpanID,
            name: "feedback " + feedback.name,
            kind: .internal,
            startTimeUnixNano: time,
            endTimeUnixNano: time,
            attributes: spanAttributes,
            events: [SpanEvent(name: "gen_ai.evaluation.result", timeUnixNano: time, attributes: attributes)]
        )
    }

    /// An optional string member with a length limit (null counts as absent).
    static func string(_ body: JSONObject, _ key: String, max: Int) throws -> String? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let text = value.stringValue else {
            throw HTTPError.badRequest("\(key) must be a string", code: "invalid_\(key)", param: key)
        }
        guard !text.isEmpty else {
            throw HTTPError.badRequest("\(key) must not be empty", code: "invalid_\(key)", param: key)
        }
        guard text.count <= max else {
            throw HTTPError.badRequest("\(key) is longer than \(max) characters", code: "invalid_\(key)", param: key)
        }
        return text
    }
}
