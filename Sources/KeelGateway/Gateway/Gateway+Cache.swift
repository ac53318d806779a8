import KeelConfig
import KeelCore
import KeelHTTP
import KeelStore

/// The response cache in the chat path: models with `cache: {ttl_s}` answer a request that exactly
/// matches an earlier one (see ``CacheKey``) from the cache, in the inbound API's format, streamed
/// when the client asked for a stream. `cache-control: no-cache` skips the lookup and `no-store`
/// keeps the fresh answer out of the cache. Only answers from the requested model's own routes are
/// cached (not a fallback's), and only complete ones.
extension Gateway {
    /// A cache when some model asks for one, persisted in the store's database when it is a file.
    static func makeCache(config: KeelConfig, store: any Store, logger: Logger) -> ResponseCache? {
        guard config.models.contains(where: { $0.cache != nil }) else { return nil }
        var backing: (any ResponseCacheStore)?
        if let sqlite = store as? SQLiteStore {
            do {
                backing = try sqlite.openResponseCache(logger: logger)
            } catch {
                logger.warning("response cache not persisted: the store cannot be opened for it", ["error": "\(error)"])
            }
        }
        return ResponseCache(backing: backing)
    }

    /// The request's cache key, or nil when its model has no cache or the client bypassed it;
    /// notes `miss` on the recorder (a hit overwrites it).
    func cacheKey(_ call: ChatCall, model: ModelConfig, partition: String, recorder: inout RequestRecorder) -> String? {
        guard cache != nil, model.cache != nil else { return nil }
        if call.noCache && call.noStore { return nil }
        recorder.cache = "miss"
        return CacheKey.make(api: recorder.inboundAPI, body: call.original, partition: partition)
    }

    /// The cached answer for `key` (nil when the client said `no-cache`, see ``chat``).
    func cachedAnswer(_ key: String) async -> CachedResponseRecord? {
        await cache?.lookup(key: key, now: RequestLogEntry.millisecondsSinceEpoch())
    }

    /// Keeps an answer for the model's `ttl_s`.
    func saveToCache(_ key: String, body: [UInt8], model: ModelConfig, route: String, partition: String) {
        guard let cache, let ttl = model.cache?.ttl else { return }
        let now = RequestLogEntry.millisecondsSinceEpoch()
        let ttlMs = ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000
        cache.insert(CachedResponseRecord(key: key, partition: partition, model: model.name, route: route, createdAt: now, expiresAt: now + ttlMs, body: body))
    }

    /// Answers from the cache: the stored JSON as it is, or replayed as the inbound API's stream.
    func replay(_ hit: CachedResponseRecord, _ call: ChatCall, recorder: inout RequestRecorder) throws -> Response {
        recorder.cache = "hit"
        let routeParts = hit.route.split(separator: "/", maxSplits: 1).map(String.init)
        recorder.provider = routeParts.first
        recorder.upstreamModel = routeParts.count > 1 ? routeParts[1] : nil
        recorder.markFirstToken()
        let headers = Self.addingRateLimitHeaders(recorder.routingHeaders, recorder)
        guard call.stream else {
            finish(recorder, status: 200, error: nil)
            return .json(bytes: hit.body, headers: headers)
        }
        let response: ChatResponse
        do {
            response = try Codecs.decodeResponse(call.inbound, try JSONValue(parsing: hit.body))
        } catch {
            throw GatewayError(.upstreamProtocol, status: 500, message: "A cached answer could not be read.", type: "server_error", code: "cache_unreadable")
        }
        finish(recorder, status: 200, error: nil)
        let events = CachedStream.events(of: response)
        return .eventStream(headers: headers) { writer in
            var encoder = Codecs.StreamEncoder(call.inbound, model: call.model, includeUsage: call.clientWantsUsage)
            for event in events {
                for out in encoder.encode(event) { try await writer.write(event: out) }
            }
            for out in encoder.finish() { try await writer.write(event: out) }
        }
    }
}
