import Foundation
import KeelCore

/// How a ``RequestLogEntry`` maps to a row of the `requests` table.
enum RequestLogRow {
    /// Columns in the order used by ``insertSQL`` and ``selectColumns``.
    static let columns = [
        "id", "time", "inbound_api", "model", "provider", "upstream_model", "status", "latency_ms", "ttft_ms",
        "input_tokens", "output_tokens", "cached_input_tokens", "stream", "error_message", "metadata",
        "attempts", "cache", "trace_id", "span_id",
    ]

    /// Columns written but not read back: copies of metadata values the filters index
    /// (`team_id`, `key_id`), so an insert never parses the metadata JSON.
    static let indexedColumns = ["team_id", "key_id"]

    /// Inserts one entry; a second entry with the same id replaces the first.
    static let insertSQL =
        "INSERT OR REPLACE INTO requests (\((columns + indexedColumns).joined(separator: ", "))) VALUES (\((columns + indexedColumns).map { _ in "?" }.joined(separator: ", ")))"

    /// The column list for `SELECT`s that ``read(_:)`` decodes.
    static let selectColumns = columns.joined(separator: ", ")

    /// Binds every column of `entry` to an insert statement prepared from ``insertSQL``.
    static func bind(_ entry: RequestLogEntry, to stmt: SQLiteStatement) throws {
        try stmt.bind(entry.id, at: 1)
        try stmt.bind(entry.time, at: 2)
        try stmt.bind(entry.inboundAPI, at: 3)
        try stmt.bind(entry.model, at: 4)
        try stmt.bind(entry.provider, at: 5)
        try stmt.bind(entry.upstreamModel, at: 6)
        try stmt.bind(entry.status, at: 7)
        try stmt.bind(entry.latencyMs, at: 8)
        try stmt.bind(entry.timeToFirstTokenMs, at: 9)
        try stmt.bind(entry.inputTokens, at: 10)
        try stmt.bind(entry.outputTokens, at: 11)
        try stmt.bind(entry.cachedInputTokens, at: 12)
        try stmt.bind(entry.stream, at: 13)
        try stmt.bind(entry.errorMessage, at: 14)
        try stmt.bind(encodeMetadata(entry.metadata), at: 15)
        try stmt.bind(encodeAttempts(entry.attempts), at: 16)
        try stmt.bind(entry.cache, at: 17)
        try stmt.bind(entry.traceID, at: 18)
        try stmt.bind(entry.spanID, at: 19)
        try stmt.bind(entry.metadata[RequestLogEntry.MetadataKey.team], at: 20)
        try stmt.bind(entry.metadata[RequestLogEntry.MetadataKey.keyID], at: 21)
    }

    /// Decodes the current row of a statement that selected ``selectColumns``.
    static func read(_ stmt: SQLiteStatement) -> RequestLogEntry {
        var entry = RequestLogEntry(
            id: stmt.columnText(0),
            time: stmt.columnInt64(1),
            inboundAPI: stmt.columnText(2),
            model: stmt.columnText(3),
            provider: stmt.columnTextOrNil(4),
            upstreamModel: stmt.columnTextOrNil(5),
            status: Int(stmt.columnInt64(6)),
            latencyMs: stmt.columnDouble(7),
            timeToFirstTokenMs: stmt.columnDoubleOrNil(8),
            inputTokens: stmt.columnIntOrNil(9),
            outputTokens: stmt.columnIntOrNil(10),
            cachedInputTokens: stmt.columnIntOrNil(11),
            stream: stmt.columnInt64(12) != 0,
            errorMessage: stmt.columnTextOrNil(13),
            metadata: decodeMetadata(stmt.columnTextOrNil(14)),
            attempts: decodeAttempts(stmt.columnTextOrNil(15)),
            cache: stmt.columnTextOrNil(16),
            traceID: stmt.columnTextOrNil(17),
            spanID: stmt.columnTextOrNil(18)
        )
        // Readers find the ids in the metadata, where entries written before migration 8 keep them.
        if let traceID = entry.traceID { entry.metadata[RequestLogEntry.MetadataKey.traceID] = traceID }
        if let spanID = entry.spanID { entry.metadata[RequestLogEntry.MetadataKey.spanID] = spanID }
        return entry
    }

    /// `attempts` as a JSON array of objects (`provider`, `model`, `status`, `error`, `latency_ms`, `started_ms`).
    static func encodeAttempts(_ attempts: [RequestLogAttempt]) -> String {
        guard !attempts.isEmpty else { return "[]" }
        var out = "["
        for (index, attempt) in attempts.enumerated() {
            if index > 0 { out += "," }
            out += #"{"provider":"#
            JSONString.append(attempt.provider, to: &out)
            out += #","model":"#
            JSONString.append(attempt.model, to: &out)
            out += #","status":\#(attempt.status)"#
            if let error = attempt.error {
                out += #","error":"#
                JSONString.append(error, to: &out)
            }
            out += #","latency_ms":\#(number(attempt.latencyMs)),"started_ms":\#(number(attempt.startedMs))}"#
        }
        out += "]"
        return out
    }

    /// Parses what ``encodeAttempts(_:)`` wrote; anything unreadable reads as no attempts.
    static func decodeAttempts(_ text: String?) -> [RequestLogAttempt] {
        guard let text, text != "[]", let array = (try? JSONValue(parsing: text))?.arrayValue else { return [] }
        return array.compactMap { item in
            guard let provider = item["provider"]?.stringValue, let model = item["model"]?.stringValue,
                  let status = item["status"]?.intValue else { return nil }
            return RequestLogAttempt(
                provider: provider, model: model, status: status, error: item["error"]?.stringValue,
                latencyMs: item["latency_ms"]?.doubleValue ?? 0, startedMs: item["started_ms"]?.doubleValue ?? 0
            )
        }
    }

    /// A finite number as JSON text (three decimals are plenty for milliseconds).
    private static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return String(Double((value * 1000).rounded()) / 1000)
    }

    /// `metadata` as a JSON object with sorted keys.
    static func encodeMetadata(_ metadata: [String: String]) -> String {
        if metadata.isEmpty { return "{}" }
        let members = metadata.sorted { $0.key < $1.key }
        var out = "{"
        out.reserveCapacity(members.reduce(2) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        for (index, member) in members.enumerated() {
            if index > 0 { out += "," }
            JSONString.append(member.key, to: &out)
            out += ":"
            JSONString.append(member.value, to: &out)
        }
        out += "}"
        return out
    }

    /// Parses a JSON object of strings; anything else (NULL, malformed text) reads as empty, and members
    /// whose values are not strings are left out.
    static func decodeMetadata(_ text: String?) -> [String: String] {
        guard let text, text != "{}", let object = (try? JSONValue(parsing: text))?.objectValue else { return [:] }
        var metadata: [String: String] = [:]
        metadata.reserveCapacity(object.count)
        for (key, value) in object {
            if let string = value.stringValue { metadata[key] = string }
        }
        return metadata
    }
}
