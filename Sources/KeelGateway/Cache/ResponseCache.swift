import KeelStore
import Synchronization

/// Counters of the response cache since start.
public struct ResponseCacheStats: Sendable, Equatable {
    /// Lookups answered from memory or the store.
    public var hits: Int
    /// Lookups that found nothing (or something expired).
    public var misses: Int
    /// Entries in memory.
    public var entries: Int
    /// Bytes held in memory (bodies and keys).
    public var bytes: Int
    /// Entries evicted from memory to stay within the byte bound.
    public var evictions: Int
}

/// The gateway's response cache: an in-memory LRU bounded in bytes, backed by a
/// ``ResponseCacheStore`` so answers survive a restart.
///
/// A lookup checks memory first, then the store (an entry found there is brought back into memory);
/// an insert goes to memory at once and to the store in the background. Expired entries are never
/// served. Keys come from ``CacheKey``, which already separates tenants.
public final class ResponseCache: Sendable {
    /// The default memory bound: 64 MiB.
    public static let defaultMaxBytes = 64 << 20
    /// What each entry costs beyond its body and key (bookkeeping).
    static let entryOverhead = 160

    private struct State: Sendable {
        var lru: ByteBoundedLRU<CachedResponseRecord>
        var hits = 0
        var misses = 0
    }

    private let state: Mutex<State>
    private let backing: (any ResponseCacheStore)?

    /// A cache holding at most `maxBytes` in memory, persisting to `backing` when given.
    public init(maxBytes: Int = ResponseCache.defaultMaxBytes, backing: (any ResponseCacheStore)? = nil) {
        state = Mutex(State(lru: ByteBoundedLRU(maxCost: maxBytes)))
        self.backing = backing
    }

    /// The unexpired entry for `key` at `now` (milliseconds since the epoch), or nil.
    public func lookup(key: String, now: Int64) async -> CachedResponseRecord? {
        let memory: CachedResponseRecord? = state.withLock { s in
            guard let record = s.lru.value(for: key) else { return nil }
            guard record.expiresAt > now else {
                s.lru.removeValue(for: key)
                return nil
            }
            s.hits += 1
            return record
        }
        if let memory { return memory }
        if let backing, let stored = await backing.cachedResponse(key: key, now: now) {
            state.withLock { s in
                s.lru.insert(stored, for: key, cost: Self.cost(stored))
                s.hits += 1
            }
            return stored
        }
        state.withLock { $0.misses += 1 }
        return nil
    }

    /// Keeps `record` in memory and persists it in the background.
    public func insert(_ record: CachedResponseRecord) {
        let kept = state.withLock { $0.lru.insert(record, for: record.key, cost: Self.cost(record)) }
        if kept { backing?.save(record) }
    }

    /// Current counters.
    public var stats: ResponseCacheStats {
        state.withLock { s in
            ResponseCacheStats(hits: s.hits, misses: s.misses, entries: s.lru.count, bytes: s.lru.totalCost, evictions: s.lru.evictions)
        }
    }

    /// Closes the backing store.
    public func close() async {
        await backing?.close()
    }

    static func cost(_ record: CachedResponseRecord) -> Int {
        record.body.count + record.key.utf8.count + record.route.utf8.count + record.model.utf8.count + entryOverhead
    }
}
