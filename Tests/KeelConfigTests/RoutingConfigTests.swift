import Testing
@testable import KeelConfig

@Suite("Configuration: routing and resilience keys")
struct RoutingConfigTests {
    @Test func routingKeysParseWithTheirDefaults() throws {
        let config = try parseConfig(minimalProviders + """
        models:
          - name: main
            routes:
              - {provider: openai, model: a, timeout_ms: 2000, first_token_timeout_ms: 300, pricing: {input_per_million: 0.5, output_per_million: 1.5}}
              - {provider: openai, model: b}
            strategy: cost
            retries: 1
            hedge_after_ms: 250
            queue_timeout_ms: 1500
            max_timeout_ms: 30000
            pricing: {input_per_million: 1, output_per_million: 2}
            cache: {ttl_s: 300}
            breaker: {failures: 5, cooldown_ms: 2500, max_cooldown_ms: 20000}
          - name: plain
            routes: [{provider: openai, model: c}]
        """)
        let main = try #require(config.model(named: "main"))
        #expect(main.routes[0].pricing == ModelPricing(inputPerMillion: 0.5, outputPerMillion: 1.5))
        #expect(main.routes[0].timeout == .seconds(2) && main.routes[0].firstTokenTimeout == .milliseconds(300))
        #expect(main.routes[1].pricing == nil)
        #expect(main.strategy == .cost && main.retries == 1)
        #expect(main.hedgeAfter == .milliseconds(250))
        #expect(main.effectiveQueueTimeout == .milliseconds(1500))
        #expect(main.effectiveMaxTimeout == .seconds(30))
        #expect(main.cache == CacheConfig(ttl: .seconds(300)))
        #expect(main.breaker == BreakerConfig(failures: 5, cooldown: .milliseconds(2500), maxCooldown: .seconds(20)))
        let plain = try #require(config.model(named: "plain"))
        #expect(plain.hedgeAfter == nil && plain.retries == 2 && plain.strategy == .weighted)
        #expect(plain.breaker == BreakerConfig(failures: 3, cooldown: .seconds(1), maxCooldown: .seconds(60)))
        #expect(plain.effectiveQueueTimeout == ModelConfig.defaultQueueTimeout)
        #expect(plain.effectiveMaxTimeout == ModelConfig.defaultMaxTimeout)
        #expect(ModelConfig.defaultQueueTimeout == .seconds(1) && ModelConfig.defaultMaxTimeout == .seconds(600))
    }

    @Test("invalid routing values are reported with their place", arguments: [
        ("    hedge_after_ms: 0\n", "models[0].hedge_after_ms"),
        ("    queue_timeout_ms: -1\n", "models[0].queue_timeout_ms"),
        ("    max_timeout_ms: 0\n", "models[0].max_timeout_ms"),
        ("    retries: -1\n", "models[0].retries"),
        ("    cache: {ttl_s: 0}\n", "models[0].cache.ttl_s"),
        ("    cache: {}\n", "models[0].cache"),
        ("    breaker: {failures: 0}\n", "models[0].breaker.failures"),
        ("    breaker: {cooldown_ms: 0}\n", "models[0].breaker.cooldown_ms"),
        ("    breaker: {cooldown_ms: 5000, max_cooldown_ms: 1000}\n", "models[0].breaker.max_cooldown_ms"),
        ("    breaker: {cooldown: 5}\n", "models[0].breaker"),
    ])
    func invalidValues(extra: String, path: String) throws {
        let error = try #require(configError(minimalProviders + """
        models:
          - name: m
            routes: [{provider: openai, model: a}, {provider: openai, model: b}]

        """ + extra))
        #expect(error.diagnostics.count == 1)
        #expect(error.diagnostics.first?.keyPath == path)
    }

    @Test func hedgingNeedsASecondRoute() throws {
        let error = try #require(configError(minimalProviders + """
        models:
          - {name: m, routes: [{provider: openai, model: a}], hedge_after_ms: 100}
        """))
        #expect(error.diagnostics.map(\.message) == ["hedge_after_ms needs at least two routes: a hedge is sent to another route"])
        #expect(error.diagnostics.first?.keyPath == "models[0].hedge_after_ms")
    }

    @Test func theCostStrategyNeedsPrices() throws {
        let error = try #require(configError(minimalProviders + """
        models:
          - {name: m, routes: [{provider: openai, model: a, pricing: {input_per_million: 1}}, {provider: openai, model: b}], strategy: cost}
        """))
        #expect(error.diagnostics.first?.message.hasPrefix("the cost strategy needs prices") == true)
        // A model price covers every route without its own.
        #expect(throws: Never.self) {
            try parseConfig(minimalProviders + """
            models:
              - {name: m, routes: [{provider: openai, model: a}, {provider: openai, model: b}], strategy: cost, pricing: {input_per_million: 1}}
            """)
        }
    }

    @Test func unknownRouteKeysAreErrors() throws {
        let error = try #require(configError(minimalProviders + """
        models:
          - {name: m, routes: [{provider: openai, model: a, pricing: {input_per_milion: 1}}]}
        """))
        #expect(error.diagnostics.first?.keyPath.hasPrefix("models[0].routes[0].pricing") == true)
    }
}
