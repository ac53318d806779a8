/// Which request-log entries to read. Results are always newest first (by time, then by id).
public struct RequestLogQuery: Sendable, Equatable {
    /// The largest page a query returns.
    public static let maximumLimit = 1000
    /// The page size when none is given.
    public static let defaultLimit = 100

    /// Only entries at or after this time (milliseconds since the Unix epoch). Default: no lower bound.
    public var since: Int64?
    /// Only entries strictly before this time (milliseconds since the Unix epoch). Default: no upper bound.
    public var until: Int64?
    /// Only entries for this requested model name. Default: all models.
    public var model: String?
    /// Only entries with this HTTP status. Default: all statuses.
    public var status: Int?
    /// Only entries whose status is in this range (for a class such as `5xx`: `500..<600`). Default: all.
    public var statusRange: Range<Int>?
    /// Only entries routed to this provider (the configured provider name). Default: all providers.
    public var provider: String?
    /// Only entries of this team (`metadata["team"]`). Default: every team.
    public var team: String?
    /// Only entries made with this virtual key id (`metadata["key_id"]`). Default: every key.
    public var keyID: String?
    /// Only entries that took at least this long, in milliseconds. Default: no lower bound.
    public var minLatencyMs: Double?
    /// Only entries whose error message contains this text (ASCII letters case-insensitively). Default: all.
    public var errorContains: String?
    /// At most this many entries; clamped to `1...1000`. Default: 100.
    public var limit: Int
    /// Only entries older than this position: pass ``RequestLogCursor/init(after:)`` of the last entry of a
    /// page to get the next page. Default: start from the newest entry.
    public var before: RequestLogCursor?

    /// A query; every filter is off by default.
    public init(
        since: Int64? = nil,
        until: Int64? = nil,
        model: String? = nil,
        status: Int? = nil,
        statusRange: Range<Int>? = nil,
        provider: String? = nil,
        team: String? = nil,
        keyID: String? = nil,
        minLatencyMs: Double? = nil,
        errorContains: String? = nil,
        limit: Int = RequestLogQuery.defaultLimit,
        before: RequestLogCursor? = nil
    ) {
        self.since = since
        self.until = until
        self.model = model
        self.status = status
        self.statusRange = statusRange
        self.provider = provider
        self.team = team
        self.keyID = keyID
        self.minLatencyMs = minLatencyMs
        self.errorContains = errorContains
        self.limit = limit
        self.before = before
    }

    /// ``limit`` clamped to `1...maximumLimit`.
    public var effectiveLimit: Int {
        min(max(limit, 1), Self.maximumLimit)
    }
}

/// A position in the newest-first order of the request log, used to page through it.
///
/// Entries are ordered by `(time, id)` descending, so a cursor is the pair of the last entry already seen;
/// entries sharing a millisecond are neither skipped nor repeated.
public struct RequestLogCursor: Sendable, Equatable, Hashable, Codable {
    /// Time of the last entry seen, in milliseconds since the Unix epoch.
    public var time: Int64
    /// Id of the last entry seen.
    public var id: String

    /// A cursor at an explicit position.
    public init(time: Int64, id: String) {
        self.time = time
        self.id = id
    }

    /// The cursor that continues after `entry` (the last entry of the previous page).
    public init(after entry: RequestLogEntry) {
        self.init(time: entry.time, id: entry.id)
    }
}
