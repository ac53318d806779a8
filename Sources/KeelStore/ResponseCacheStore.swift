/// One cached gateway answer as persisted by a ``ResponseCacheStore``.
public struct CachedResponseRecord: Sendable, Equatable {
    /// The cache key: hex SHA-256 of the normalised request and its partition.
    public var key: String
    /// Whose cache this is (empty when the gateway has no tenants; a team id otherwise).
    public var partition: String
    /// The model name the client asked for.
    public var model: String
    /// The route that produced the answer (`provider/model`).
    public var route: String
    /// When the answer was cached, in milliseconds since the Unix epoch.
    public var createdAt: Int64
    /// When it stops being served, in milliseconds since the Unix epoch.
    public var expiresAt: Int64
    /// The answer's body: the non-streamed JSON response in the inbound API's format.
    public var body: [UInt8]

    /// A record.
    public init(key: String, partition: String, model: String, route: String, createdAt: Int64, expiresAt: Int64, body: [UInt8]) {
        self.key = key
        self.partition = partition
        self.model = model
        self.route = route
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.body = body
    }
}

/// Where the gateway's response cache persists its entries, so they survive a restart (and, with
/// a shared database, are seen by every replica).
///
/// Writes are accepted without waiting and persisted in the background; reads may be slower than
/// the in-memory cache in front of them, which is why the gateway asks only on a memory miss.
public protocol ResponseCacheStore: Sendable {
    /// The unexpired record for `key` at `now` (milliseconds since the epoch), or nil; nil also
    /// when the store cannot be read (a cache must never fail a request).
    func cachedResponse(key: String, now: Int64) async -> CachedResponseRecord?

    /// Persists `record` in the background, replacing any record with the same key.
    func save(_ record: CachedResponseRecord)

    /// Writes what was accepted, then closes the store.
    func close() async
}
