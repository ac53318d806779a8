import Foundation
import KeelCore
import KeelHTTP
import KeelStore

/// Which part of the request log a caller may read: everything (the master key) or one team's
/// requests. Governance's role rules decide it per caller.
struct RequestLogScope: Sendable, Equatable {
    /// When set, only this team's requests are visible, whatever the caller's filters say.
    var team: String?

    /// Everything.
    static let all = RequestLogScope()
}

/// `GET /admin/requests` (a filtered, paginated list of the request log, newest first) and
/// `GET /admin/requests/{id}` (one request with its attempts, timings, usage, cost, feedback,
/// guardrail findings and, when `telemetry.capture_content` is on, its captured prompt and answer).
///
/// Captured content is the detail's `content` member, null when nothing was captured:
/// `{"redaction": "pii"|"none", "input_messages": [...]|null, "output_messages": [...]|null,
/// "input_truncated": bool, "output_truncated": bool}`. The message arrays are the OpenTelemetry
/// GenAI conventions' `gen_ai.input.messages` / `gen_ai.output.messages` (the same JSON as on the
/// request span): `{"role", "parts": [{"type": "text", "content"} | {"type": "tool_call", …} | …]}`,
/// output messages with their `finish_reason`. A failed request has input messages only.
///
/// ```sh
/// curl -s "localhost:4000/admin/requests?model=gpt-4o-mini&status=5xx&limit=20" -H "authorization: Bearer $KEEL_MASTER_KEY"
/// ```
///
/// List filters (query parameters): `from` and `to` (RFC 3339, or Unix seconds; `from` inclusive,
/// `to` exclusive), `model`, `provider`, `team`, `key` (a virtual key id), `status` (exact, such
/// as `429`, or a class, such as `5xx`), `min_latency_ms`, `error_contains`, `limit` (1…500,
/// default 50) and `cursor` (the previous page's `next_cursor`). Any other parameter, and any value
/// that does not parse, is a 400 in the OpenAI error shape naming the parameter.
///
/// Pagination is keyset pagination on `(time, id)`: the cursor is opaque (base64url of the last
/// entry's time and id), so pages neither skip nor repeat entries while new requests arrive.
///
/// Access: every `/admin` route needs the master key or an admin-capable virtual key (the auth
/// middleware); the ``scope`` closure narrows what a caller sees (team admins and viewers see their
/// own team's requests, content included; developer keys are refused the whole request log).
struct RequestLogRoutes: Sendable {
    let store: any Store
    let feedback: (any FeedbackStore)?
    /// The part of the log the caller may see; everything by default.
    let scope: @Sendable (Request, RequestContext) throws -> RequestLogScope

    /// The largest page.
    static let maxLimit = 500
    /// The page size when `limit` is not given.
    static let defaultLimit = 50
    static let parameters: Set<String> = ["from", "to", "model", "provider", "team", "key", "status", "min_latency_ms", "error_contains", "limit", "cursor"]

    init(store: any Store, feedback: (any FeedbackStore)?, scope: @escaping @Sendable (Request, RequestContext) throws -> RequestLogScope = { _, _ in .all }) {
        self.store = store
        self.feedback = feedback
        self.scope = scope
    }

    func register(in router: inout Router) {
        router.get("/admin/requests") { [self] request, context in
            try await list(request, scope: try scope(request, context))
        }
        router.get("/admin/requests/{id}") { [self] request, context in
            try await detail(id: context.parameters["id"] ?? "", scope: try scope(request, context))
        }
    }

    // MARK: List

    func list(_ request: Request, scope: RequestLogScope) async throws -> Response {
        var query = try Self.query(request.query)
        if let team = scope.team {
            if let asked = query.team, asked != team {
                return .json(Self.page([], next: nil))
            }
            query.team = team
        }
        let limit = query.limit
        query.limit = limit + 1
        var entries = try await store.requests(query)
        var next: RequestLogCursor?
        if entries.count > limit {
            entries.removeLast(entries.count - limit)
            next = entries.last.map(RequestLogCursor.init(after:))
        }
        return .json(Self.page(entries, next: next))
    }

    /// The store query for the list's query parameters; a 400 for anything it cannot use.
    static func query(_ items: [(name: String, value: String)]) throws -> RequestLogQuery {
        var query = RequestLogQuery(limit: defaultLimit)
        var seen: Set<String> = []
        for (name, rawValue) in items {
            guard parameters.contains(name) else {
                throw HTTPError.badRequest("unknown query parameter \"\(name)\"; expected one of \(parameters.sorted().joined(separator: ", "))", code: "unknown_parameter", param: name)
            }
            guard seen.insert(name).inserted else {
                throw HTTPError.badRequest("the query parameter \"\(name)\" is given more than once", code: "invalid_\(name)", param: name)
            }
            let value = rawValue.trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else {
                throw HTTPError.badRequest("the query parameter \"\(name)\" is empty", code: "invalid_\(name)", param: name)
            }
            switch name {
            case "from": query.since = try time(value, name)
            case "to": query.until = try time(value, name)
            case "model": query.model = value
            case "provider": query.provider = value
            case "team": query.team = value
            case "key": query.keyID = value
            case "status": try status(value, into: &query)
            case "min_latency_ms":
                guard let ms = Double(value), ms.isFinite, ms >= 0 else {
                    throw HTTPError.badRequest("min_latency_ms must be a number of milliseconds ≥ 0, got \"\(value)\"", code: "invalid_min_latency_ms", param: name)
                }
                query.minLatencyMs = ms
            case "error_contains": query.errorContains = value
            case "limit":
                guard let limit = Int(value), (1...maxLimit).contains(limit) else {
                    throw HTTPError.badRequest("limit must be a whole number from 1 to \(maxLimit), got \"\(value)\"", code: "invalid_limit", param: name)
                }
                query.limit = limit
            case "cursor":
                guard let cursor = decodeCursor(value) else {
                    throw HTTPError.badRequest("cursor is not a next_cursor this API returned", code: "invalid_cursor", param: name)
                }
                query.before = cursor
            default:
                break
            }
        }
        if let since = query.since, let until = query.until, since >= until {
            throw HTTPError.badRequest("from must be before to", code: "invalid_from", param: "from")
        }
        return query
    }

    /// `429` (exact) or `4xx` (a class).
    static func status(_ value: String, into query: inout RequestLogQuery) throws {
        let lower = value.lowercased()
        if lower.count == 3, lower.hasSuffix("xx"), let first = lower.first?.wholeNumberValue, (1...5).contains(first) {
            query.statusRange = (first * 100)..<(first * 100 + 100)
            return
        }
        guard let status = Int(value), (100...599).contains(status) else {
            throw HTTPError.badRequest("status must be an HTTP status (such as 429) or a class (such as 5xx), got \"\(value)\"", code: "invalid_status", param: "status")
        }
        query.status = status
    }

    /// Milliseconds since the Unix epoch from RFC 3339 (`2025-01-31T12:00:00Z`, with optional
    /// fraction and offset) or Unix seconds (`1738324800`, fractions allowed).
    static func time(_ value: String, _ name: String) throws -> Int64 {
        if let seconds = Double(value), seconds.isFinite, seconds >= 0, seconds < 1e11 {
            return Int64((seconds * 1000).rounded(.down))
        }
        if let ms = parseRFC3339(value) { return ms }
        throw HTTPError.badRequest("\(name) must be an RFC 3339 time (such as 2025-01-31T12:00:00Z) or Unix seconds, got \"\(value)\"", code: "invalid_\(name)", param: name)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`t`, `z` and a space separator accepted).
    static func parseRFC3339(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var n = 0
            for i in start..<(start + count) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                n = n * 10 + Int(b[i] - 48)
            }
            return n
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(b[10]),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
              let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var millis = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                millis += Int(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { return nil }
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"), let h = digits(i + 1, 2), let m = digits(i + 4, 2), h < 24, m < 60 else { return nil }
            offset = (h * 60 + m) * 60 * (b[i] == UInt8(ascii: "+") ? 1 : -1)
        } else {
            return nil
        }
        // Days from the civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offset
        return Int64(seconds) * 1000 + Int64(millis)
    }

    /// The opaque cursor: base64url of `time:id`.
    static func encodeCursor(_ cursor: RequestLogCursor) -> String {
        Data("\(cursor.time):\(cursor.id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeCursor(_ text: String) -> RequestLogCursor? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8),
              let colon = decoded.firstIndex(of: ":"), let time = Int64(decoded[..<colon]) else { return nil }
        let id = String(decoded[decoded.index(after: colon)...])
        guard !id.isEmpty else { return nil }
        return RequestLogCursor(time: time, id: id)
    }

    static func page(_ entries: [RequestLogEntry], next: RequestLogCursor?) -> String {
        var out = "{\"object\":\"list\",\"data\":["
        for (index, entry) in entries.enumerated() {
            if index > 0 { out += "," }
            out += summary(entry).serializedString()
        }
        out += "],\"has_more\":\(next != nil),\"next_cursor\":"
        out += next.map { JSONString.quote(encodeCursor($0)) } ?? "null"
        out += "}"
        return out
    }

    // MARK: Detail

    func detail(id: String, scope: RequestLogScope) async throws -> Response {
        guard let entry = try await store.request(id: id),
              scope.team == nil || entry.metadata[RequestLogEntry.MetadataKey.team] == scope.team
        else {
            throw HTTPError.notFound("no request with id \"\(id)\" in the request log", code: "request_not_found")
        }
        var object = Self.summary(entry).objectValue ?? JSONObject()
        object["timings"] = [
            "latency_ms": .number(JSONNumber(entry.latencyMs) ?? JSONNumber(0)),
            "time_to_first_token_ms": entry.timeToFirstTokenMs.flatMap(JSONNumber.init).map(JSONValue.number) ?? .null,
        ]
        object["attempts"] = .array(entry.attempts.map { attempt in
            [
                "provider": .string(attempt.provider), "model": .string(attempt.model), "status": .number(JSONNumber(attempt.status)),
                "error": attempt.error.map(JSONValue.string) ?? .null,
                "started_ms": .number(JSONNumber(attempt.startedMs) ?? JSONNumber(0)),
                "latency_ms": .number(JSONNumber(attempt.latencyMs) ?? JSONNumber(0)),
            ]
        })
        if let findings = entry.metadata[RequestLogEntry.MetadataKey.guardrailFindings], let parsed = try? JSONValue(parsing: findings) {
            object["guardrail_findings"] = parsed
        }
        var metadata = JSONObject()
        for key in entry.metadata.keys.sorted() where key != RequestLogEntry.MetadataKey.guardrailFindings {
            metadata[key] = .string(entry.metadata[key]!)
        }
        object["metadata"] = .object(metadata)
        object["content"] = entry.content.map(Self.content) ?? .null
        if let feedback {
            let records = try await feedback.feedback(requestID: entry.id)
            object["feedback"] = .array(records.map { record in
                [
                    "id": .string(record.id), "created_at": .string(Self.rfc3339(record.time)), "name": .string(record.name),
                    "score": .number(JSONNumber(record.score) ?? JSONNumber(0)),
                    "label": record.label.map(JSONValue.string) ?? .null, "comment": record.comment.map(JSONValue.string) ?? .null,
                    "source": record.source.map(JSONValue.string) ?? .null,
                ]
            })
        }
        return .json(bytes: JSONValue.object(object).serialized())
    }

    /// The detail's `content` member: the captured message arrays, parsed back into JSON.
    static func content(_ content: RequestLogContent) -> JSONValue {
        func messages(_ text: String?) -> JSONValue {
            guard let text else { return .null }
            return (try? JSONValue(parsing: text)) ?? .string(text)
        }
        return [
            "redaction": .string(content.redaction),
            "input_messages": messages(content.input),
            "output_messages": messages(content.output),
            "input_truncated": .bool(content.inputTruncated),
            "output_truncated": .bool(content.outputTruncated),
        ]
    }

    /// The fields a list item shows.
    static func summary(_ entry: RequestLogEntry) -> JSONValue {
        func optional(_ value: Int?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let key = RequestLogEntry.MetadataKey.self
        var usage: JSONValue = .null
        if entry.inputTokens != nil || entry.outputTokens != nil {
            usage = [
                "input_tokens": optional(entry.inputTokens), "output_tokens": optional(entry.outputTokens),
                "cached_input_tokens": optional(entry.cachedInputTokens),
                "estimated": .bool(entry.metadata[key.usage] == "estimated"),
            ]
        }
        let cost: JSONValue = entry.metadata[key.costUSD].flatMap(Double.init).flatMap(JSONNumber.init).map(JSONValue.number) ?? .null
        return [
            "id": .string(entry.id),
            "object": "request",
            "created_at": .string(rfc3339(entry.time)),
            "time_ms": .number(JSONNumber(Int(entry.time))),
            "inbound_api": .string(entry.inboundAPI),
            "model": .string(entry.model),
            "provider": optional(entry.provider),
            "upstream_model": optional(entry.upstreamModel),
            "status": .number(JSONNumber(entry.status)),
            "latency_ms": .number(JSONNumber(entry.latencyMs) ?? JSONNumber(0)),
            "time_to_first_token_ms": entry.timeToFirstTokenMs.flatMap(JSONNumber.init).map(JSONValue.number) ?? .null,
            "stream": .bool(entry.stream),
            "usage": usage,
            "cost_usd": cost,
            "cache": optional(entry.cache),
            "attempt_count": .number(JSONNumber(entry.attempts.count)),
            "team": optional(entry.metadata[key.team]),
            "key_id": optional(entry.metadata[key.keyID]),
            "trace_id": optional(entry.metadata[key.traceID]),
            "error": optional(entry.errorMessage),
        ]
    }

    static func rfc3339(_ milliseconds: Int64) -> String {
        let seconds = Int(milliseconds.quotient(dividingBy: 1000))
        return RFC3339.format(seconds: seconds, milliseconds: Int(milliseconds - Int64(seconds) * 1000))
    }
}

private extension Int64 {
    /// Floor division.
    func quotient(dividingBy divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
