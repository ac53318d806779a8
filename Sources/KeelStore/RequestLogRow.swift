import Foundation
import KeelCore

/// How a ``RequestLogEntry`` maps to a row of the `requests` table.
enum RequestLogRow {
    /// Columns in the order used by ``insertSQL`` and ``selectColumns``.
    static let columns = [
        "id", "time", "inbound_api", "model", "provider", "upstream_model", "status", "latency_ms", "ttft_ms",
        "input_tokens", "output_tokens", "cached_input_tokens", "stream", "error_message", "metadata",
    ]

    /// Inserts one entry; a second entry with the same id replaces the first.
    static let insertSQL =
        "INSERT OR REPLACE INTO requests (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"

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
    }

    /// Decodes the current row of a statement that selected ``selectColumns``.
    static func read(_ stmt: SQLiteStatement) -> RequestLogEntry {
        RequestLogEntry(
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
            metadata: decodeMetadata(stmt.columnTextOrNil(14))
        )
    }

    /// `metadata` as a JSON object with sorted keys.
    static func encodeMetadata(_ metadata: [String: String]) -> String {
        var out = "{"
        for (index, key) in metadata.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            JSONString.append(key, to: &out)
            out += ":"
            JSONString.append(metadata[key]!, to: &out)
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
