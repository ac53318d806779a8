import Foundation
import KeelCore
import KeelStore
import KeelTestSupport
import Testing
@testable import KeelGateway

@Suite("Cache: byte-bounded LRU, keys, replay")
struct CacheTests {
    @Test func theLeastRecentlyUsedEntriesGoFirstWhenBytesRunOut() {
        var lru = ByteBoundedLRU<String>(maxCost: 100)
        lru.insert("a", for: "a", cost: 40)
        lru.insert("b", for: "b", cost: 40)
        #expect(lru.value(for: "a") == "a")
        lru.insert("c", for: "c", cost: 40)
        #expect(lru.peek("b") == nil)
        #expect(lru.keysByRecency == ["c", "a"])
        #expect(lru.totalCost == 80 && lru.evictions == 1)
        // Replacing a key counts its new cost only; a value above the bound is not kept.
        lru.insert("A", for: "a", cost: 10)
        #expect(lru.totalCost == 50 && lru.count == 2)
        let result1 = lru.insert("huge", for: "h", cost: 101)
        #expect(!result1)
        lru.insert("d", for: "d", cost: 90)
        #expect(lru.keysByRecency == ["d", "a"])
        lru.removeValue(for: "d")
        #expect(lru.keysByRecency == ["a"] && lru.totalCost == 10)
        // Freed slots are reused without disturbing the order.
        for i in 0..<50 { lru.insert("\(i)", for: "k\(i)", cost: 10) }
        #expect(lru.count == 10 && lru.totalCost == 100)
        #expect(lru.keysByRecency.first == "k49" && lru.keysByRecency.last == "k40")
    }

    @Test func keysIgnoreOrderStreamingAndBookkeepingButNotContentOrTenant() throws {
        func key(_ json: String, partition: String = "", api: String = "openai.chat_completions") throws -> String {
            CacheKey.make(api: api, body: try #require(try JSONValue(parsing: json).objectValue), partition: partition)
        }
        let base = try key(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}"#)
        #expect(base.count == 64)
        #expect(try key(#"{"temperature":0,"messages":[{"content":"hi","role":"user"}],"model":"m","stream":true,"stream_options":{"include_usage":true},"user":"u1"}"#) == base)
        #expect(try key(#"{"model":"m","messages":[{"role":"user","content":"hi!"}],"temperature":0}"#) != base)
        #expect(try key(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.5}"#) != base)
        #expect(try key(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}"#, partition: "team-a") != base)
        #expect(try key(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}"#, api: "anthropic.messages") != base)
    }

    @Test func aStreamAddsUpToTheAnswerItWasMadeFrom() {
        let response = ChatResponse(
            id: "chatcmpl-1", model: "gpt", content: [.text("Hello, world"), .toolCall(id: "call_1", name: "lookup", arguments: #"{"q":"x"}"#), .toolCall(id: "call_2", name: "other", arguments: "{}")],
            stopReason: .toolUse, usage: ChatUsage(inputTokens: 12, outputTokens: 4), created: 1_700_000_000
        )
        var accumulator = StreamAccumulator()
        for event in CachedStream.events(of: response) { accumulator.observe(event) }
        #expect(accumulator.response(created: 1_700_000_000) == response)
        // Split deltas join up; a stream without a stop is not an answer.
        var pieces = StreamAccumulator()
        for event: ChatStreamEvent in [.start(id: "x", model: "m"), .textDelta("Hel"), .textDelta("lo"), .toolCallStart(index: 0, id: "t", name: "f"), .toolCallDelta(index: 0, arguments: "{\"a\":"), .toolCallDelta(index: 0, arguments: "1}")] {
            pieces.observe(event)
        }
        #expect(pieces.response() == nil)
        pieces.observe(.stop(.toolUse))
        #expect(pieces.response()?.content == [.text("Hello"), .toolCall(id: "t", name: "f", arguments: #"{"a":1}"#)])
    }

    @Test func entriesExpireAndSurviveARestartThroughTheStore() async throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keel.db"
        let (sink, _) = LogSink.memory()
        let logger = Logger(label: "test", sink: sink)
        let now = RequestLogEntry.millisecondsSinceEpoch()
        let fresh = CachedResponseRecord(key: "k1", partition: "", model: "m", route: "p/m", createdAt: now, expiresAt: now + 60_000, body: Array(#"{"ok":true}"#.utf8))
        let stale = CachedResponseRecord(key: "k2", partition: "", model: "m", route: "p/m", createdAt: now - 10_000, expiresAt: now - 1, body: Array("{}".utf8))
        do {
            let store = try SQLiteStore(path: path, logger: logger)
            let backing = try #require(try store.openResponseCache(logger: logger))
            let cache = ResponseCache(maxBytes: 1 << 20, backing: backing)
            cache.insert(fresh)
            cache.insert(stale)
            #expect(await cache.lookup(key: "k1", now: now) == fresh)
            #expect(await cache.lookup(key: "k2", now: now) == nil)
            #expect(await cache.lookup(key: "k3", now: now) == nil)
            #expect(cache.stats.hits == 1 && cache.stats.misses == 2)
            await cache.close()
            await store.shutdown()
        }
        // A new process: memory is empty, the store still has the fresh entry (and never serves the stale one).
        let store = try SQLiteStore(path: path, logger: logger)
        let backing = try #require(try store.openResponseCache(logger: logger))
        let cache = ResponseCache(maxBytes: 1 << 20, backing: backing)
        #expect(cache.stats.entries == 0)
        #expect(await cache.lookup(key: "k1", now: now) == fresh)
        #expect(cache.stats.entries == 1)
        #expect(await cache.lookup(key: "k2", now: now) == nil)
        #expect(await cache.lookup(key: "k1", now: now + 60_000) == nil)
        await cache.close()
        await store.shutdown()
        // An in-memory store has nothing another connection could share.
        #expect(try SQLiteStore(path: ":memory:", logger: logger).openResponseCache(logger: logger) == nil)
    }

    @Test func memoryStaysWithinItsBound() {
        let cache = ResponseCache(maxBytes: 10_000)
        for i in 0..<100 {
            cache.insert(CachedResponseRecord(key: "key-\(i)", partition: "", model: "m", route: "r", createdAt: 0, expiresAt: .max, body: Array(repeating: 0x41, count: 1000)))
        }
        let stats = cache.stats
        #expect(stats.bytes <= 10_000)
        #expect(stats.entries == 10_000 / (1000 + ResponseCache.entryOverhead + "key-00".utf8.count + 2))
        #expect(stats.evictions == 100 - stats.entries)
    }
}
