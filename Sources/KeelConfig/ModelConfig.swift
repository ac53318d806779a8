/// How a model picks among its routes.
public enum RoutingStrategy: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Random choice in proportion to each route's `weight`.
    case weighted
    /// The route with the fewest requests in flight.
    case leastBusy = "least-busy"
    /// The route with the lowest recent latency.
    case latency
    /// The cheapest route.
    case cost

    public var description: String { rawValue }
}

/// One entry of a model's `routes:` list: a provider and the upstream model name to send.
public struct RouteConfig: Sendable, Equatable {
    /// `provider` — the name of a configured provider. Required.
    public var provider: String
    /// `model` — the model name sent upstream (for Azure: the deployment name). Required.
    public var model: String
    /// `weight` — relative share of traffic under the `weighted` strategy, >= 0. Default 1.
    public var weight: Int
    /// `timeout_ms` — the whole upstream request's deadline, > 0. Default: the provider's `timeout_ms`, else none.
    public var timeout: Duration?
    /// `first_token_timeout_ms` — deadline for the first streamed token, > 0. Default: none.
    public var firstTokenTimeout: Duration?
    /// `pricing` — this route's token prices, used by the `cost` strategy. Default: the model's `pricing`.
    public var pricing: ModelPricing?

    /// Creates a route; `weight` defaults to 1, both timeouts and the pricing to none.
    public init(provider: String, model: String, weight: Int = 1, timeout: Duration? = nil, firstTokenTimeout: Duration? = nil, pricing: ModelPricing? = nil) {
        self.provider = provider
        self.model = model
        self.weight = weight
        self.timeout = timeout
        self.firstTokenTimeout = firstTokenTimeout
        self.pricing = pricing
    }
}

/// A model's `cache:` settings: responses are cached for identical requests.
public struct CacheConfig: Sendable, Equatable {
    /// `ttl_s` — how long a cached response is served, in seconds, > 0. Required.
    public var ttl: Duration

    /// Creates cache settings with the given time to live.
    public init(ttl: Duration) { self.ttl = ttl }
}

/// A model's `breaker:` settings: when a route's circuit breaker opens and for how long.
public struct BreakerConfig: Sendable, Equatable {
    /// `failures` — consecutive failed attempts that open a route's breaker, >= 1. Default 3.
    public var failures: Int
    /// `cooldown_ms` — how long the breaker stays open the first time (unless the upstream's
    /// `retry-after` says otherwise), > 0. Default 1000.
    public var cooldown: Duration
    /// `max_cooldown_ms` — each further opening without a success in between doubles the
    /// cooldown, up to this, >= `cooldown_ms`. Default 60000.
    public var maxCooldown: Duration

    /// The defaults: 3 failures, 1 s, doubling up to 60 s.
    public init(failures: Int = 3, cooldown: Duration = .seconds(1), maxCooldown: Duration = .seconds(60)) {
        self.failures = failures
        self.cooldown = cooldown
        self.maxCooldown = maxCooldown
    }
}

/// A model's `pricing:`, in US dollars per million tokens; every field is optional and >= 0.
public struct ModelPricing: Sendable, Equatable {
    /// `input_per_million` — prompt tokens.
    public var inputPerMillion: Double?
    /// `output_per_million` — completion tokens.
    public var outputPerMillion: Double?
    /// `cached_input_per_million` — prompt tokens read from the provider's prompt cache.
    public var cachedInputPerMillion: Double?
    /// `cache_write_per_million` — prompt tokens written to the provider's prompt cache.
    public var cacheWritePerMillion: Double?

    /// Creates prices; an omitted price is unknown.
    public init(inputPerMillion: Double? = nil, outputPerMillion: Double? = nil,
                cachedInputPerMillion: Double? = nil, cacheWritePerMillion: Double? = nil) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion
        self.cacheWritePerMillion = cacheWritePerMillion
    }
}

/// One entry of the `models:` list: a name clients ask for and where it can be served.
public struct ModelConfig: Sendable, Equatable {
    /// `name` — what clients put in `"model"`. Required, unique.
    public var name: String
    /// `routes` — where the model can be served. Required, at least one.
    public var routes: [RouteConfig]
    /// `strategy` — `weighted`, `least-busy`, `latency` or `cost`. Default `weighted`.
    public var strategy: RoutingStrategy
    /// `retries` — further attempts after a retryable failure, >= 0. Default 2.
    public var retries: Int
    /// `fallbacks` — other model names tried in order when every route fails. Default none.
    public var fallbacks: [String]
    /// `context_window_fallbacks` — models tried when the request exceeds this model's context window. Default none.
    public var contextWindowFallbacks: [String]
    /// `content_policy_fallbacks` — models tried when the provider refuses on content policy. Default none.
    public var contentPolicyFallbacks: [String]
    /// `hedge_after_ms` — send a second attempt to another route when the first has produced no
    /// first token (streams) or no answer (otherwise) by then, > 0. Default: no hedging.
    public var hedgeAfter: Duration?
    /// `queue_timeout_ms` — the longest one request waits, in total, for a route to become
    /// available again (retry backoff, an upstream's `retry-after`, every route cooling down),
    /// >= 0; 0 fails at once instead of waiting. Default: ``defaultQueueTimeout`` (1 s).
    public var queueTimeout: Duration?
    /// `max_timeout_ms` — the largest per-attempt timeout a client may ask for with the
    /// `x-keel-timeout-ms` header (larger values are lowered to it), > 0. Default: ``defaultMaxTimeout`` (10 minutes).
    public var maxTimeout: Duration?
    /// `cache` — response caching. Default: off.
    public var cache: CacheConfig?
    /// `pricing` — token prices for spend tracking. Default: none (spend is not computed).
    public var pricing: ModelPricing?
    /// `breaker` — when its routes' circuit breakers open and for how long. Default: ``BreakerConfig/init(failures:cooldown:maxCooldown:)``'s.
    public var breaker: BreakerConfig

    /// Creates a model; everything but `name` and `routes` defaults as documented on each property.
    public init(
        name: String,
        routes: [RouteConfig],
        strategy: RoutingStrategy = .weighted,
        retries: Int = 2,
        fallbacks: [String] = [],
        contextWindowFallbacks: [String] = [],
        contentPolicyFallbacks: [String] = [],
        hedgeAfter: Duration? = nil,
        queueTimeout: Duration? = nil,
        maxTimeout: Duration? = nil,
        cache: CacheConfig? = nil,
        pricing: ModelPricing? = nil,
        breaker: BreakerConfig = BreakerConfig()
    ) {
        self.name = name
        self.routes = routes
        self.strategy = strategy
        self.retries = retries
        self.fallbacks = fallbacks
        self.contextWindowFallbacks = contextWindowFallbacks
        self.contentPolicyFallbacks = contentPolicyFallbacks
        self.hedgeAfter = hedgeAfter
        self.queueTimeout = queueTimeout
        self.maxTimeout = maxTimeout
        self.cache = cache
        self.pricing = pricing
        self.breaker = breaker
    }
}

extension ModelConfig {
    /// What an unset `queue_timeout_ms` means: 1 second.
    public static let defaultQueueTimeout: Duration = .seconds(1)
    /// What an unset `max_timeout_ms` means: 10 minutes.
    public static let defaultMaxTimeout: Duration = .seconds(600)

    /// `queue_timeout_ms`, or its default.
    public var effectiveQueueTimeout: Duration { queueTimeout ?? Self.defaultQueueTimeout }
    /// `max_timeout_ms`, or its default.
    public var effectiveMaxTimeout: Duration { maxTimeout ?? Self.defaultMaxTimeout }

    static let strategies: KeyValuePairs<String, RoutingStrategy> = [
        "weighted": .weighted, "least-busy": .leastBusy, "latency": .latency, "cost": .cost,
    ]

    /// Decodes one model; provider and fallback names are queued on the context for checking once
    /// every provider and model is known.
    init(decoding reader: inout MappingReader) {
        let name = reader.string("name", required: true) ?? ""
        let context = reader.context

        var routes: [RouteConfig] = []
        if let routesValue = reader.require("routes"), let items = routesValue.list() {
            if items.isEmpty { routesValue.report("a model needs at least one route", code: .missingValue) }
            for item in items {
                guard var routeReader = item.mapping() else { continue }
                if let route = RouteConfig(decoding: &routeReader) { routes.append(route) }
                routeReader.finish()
            }
        }
        let strategy = reader.choice("strategy", Self.strategies) ?? .weighted
        if strategy == .weighted, !routes.isEmpty, routes.allSatisfy({ $0.weight == 0 }) {
            context.report("every route has weight 0; at least one needs a weight above 0",
                           at: reader.mark, path: reader.path.appending("routes"), code: .invalidValue)
        }
        let hedgeAfter = reader.milliseconds("hedge_after_ms", .atLeast(1))
        if hedgeAfter != nil, routes.count == 1 {
            context.report("hedge_after_ms needs at least two routes: a hedge is sent to another route",
                           at: reader.mark, path: reader.path.appending("hedge_after_ms"), code: .invalidValue)
        }
        let modelPricing = reader.section("pricing") { ModelPricing(decoding: &$0) }
        if strategy == .cost, !routes.isEmpty, modelPricing == nil, routes.contains(where: { $0.pricing == nil }) {
            context.report("the cost strategy needs prices: set the model's pricing or every route's pricing",
                           at: reader.mark, path: reader.path.appending("strategy"), code: .invalidValue)
        }

        func fallbackList(_ key: String) -> [String] {
            guard let entries = reader.stringList(key) else { return [] }
            var seen: Set<String> = []
            var names: [String] = []
            for (fallback, value) in entries {
                guard seen.insert(fallback).inserted else {
                    value.report("\(quoted(fallback)) is listed twice")
                    continue
                }
                context.references.append(.init(target: .model, name: fallback, value: value, owner: name))
                names.append(fallback)
            }
            return names
        }

        self.init(
            name: name,
            routes: routes,
            strategy: strategy,
            retries: reader.int("retries", .atLeast(0)) ?? 2,
            fallbacks: fallbackList("fallbacks"),
            contextWindowFallbacks: fallbackList("context_window_fallbacks"),
            contentPolicyFallbacks: fallbackList("content_policy_fallbacks"),
            hedgeAfter: hedgeAfter,
            queueTimeout: reader.milliseconds("queue_timeout_ms", .atLeast(0)),
            maxTimeout: reader.milliseconds("max_timeout_ms", .atLeast(1)),
            cache: reader.section("cache") { cache in
                cache.seconds("ttl_s", .atLeast(1), required: true).map(CacheConfig.init(ttl:))
            } ?? nil,
            pricing: modelPricing,
            breaker: reader.section("breaker") { BreakerConfig(decoding: &$0) } ?? BreakerConfig()
        )
    }
}

extension BreakerConfig {
    /// Decodes a `breaker:` mapping; an omitted field keeps its default.
    init(decoding breaker: inout MappingReader) {
        let defaults = BreakerConfig()
        let failures = breaker.int("failures", .atLeast(1)) ?? defaults.failures
        let cooldown = breaker.milliseconds("cooldown_ms", .atLeast(1)) ?? defaults.cooldown
        var maxCooldown = breaker.milliseconds("max_cooldown_ms", .atLeast(1)) ?? max(defaults.maxCooldown, cooldown)
        if maxCooldown < cooldown {
            breaker.context.report("max_cooldown_ms must be at least cooldown_ms",
                                   at: breaker.mark, path: breaker.path.appending("max_cooldown_ms"), code: .invalidValue)
            maxCooldown = cooldown
        }
        self.init(failures: failures, cooldown: cooldown, maxCooldown: maxCooldown)
    }
}

extension ModelPricing {
    /// Decodes a `pricing:` mapping (of a model or a route).
    init(decoding pricing: inout MappingReader) {
        self.init(
            inputPerMillion: pricing.number("input_per_million", minimum: 0),
            outputPerMillion: pricing.number("output_per_million", minimum: 0),
            cachedInputPerMillion: pricing.number("cached_input_per_million", minimum: 0),
            cacheWritePerMillion: pricing.number("cache_write_per_million", minimum: 0)
        )
    }
}

extension RouteConfig {
    /// Decodes one route; nil when `provider` or `model` is missing.
    init?(decoding reader: inout MappingReader) {
        let providerValue = reader.require("provider")
        let provider = providerValue?.string(required: true)
        let model = reader.string("model", required: true)
        let weight = reader.int("weight", .atLeast(0)) ?? 1
        let timeout = reader.milliseconds("timeout_ms", .atLeast(1))
        let firstTokenTimeout = reader.milliseconds("first_token_timeout_ms", .atLeast(1))
        let pricing = reader.section("pricing") { ModelPricing(decoding: &$0) }
        guard let provider, let providerValue, let model else { return nil }
        reader.context.references.append(.init(target: .provider, name: provider, value: providerValue, owner: nil))
        self.init(provider: provider, model: model, weight: weight, timeout: timeout, firstTokenTimeout: firstTokenTimeout, pricing: pricing)
    }
}
