import KeelConfig

/// What a model costs, in US dollars per million tokens.
public struct ModelPrice: Sendable, Equatable {
    /// Prompt tokens not served from a cache.
    public var inputPerMillion: Double
    /// Completion tokens.
    public var outputPerMillion: Double
    /// Prompt tokens read from the provider's prompt cache; nil bills them as ordinary input.
    public var cachedInputPerMillion: Double?
    /// Prompt tokens written to the provider's prompt cache (Anthropic: 1.25× input for the 5-minute
    /// cache); nil bills them as ordinary input.
    public var cacheWritePerMillion: Double?

    /// A price; cache prices default to the input price when nil.
    public init(input: Double, output: Double, cachedInput: Double? = nil, cacheWrite: Double? = nil) {
        inputPerMillion = input
        outputPerMillion = output
        cachedInputPerMillion = cachedInput
        cacheWritePerMillion = cacheWrite
    }

    /// `pricing` from the configuration laid over `base` (the built-in price): each price set in the
    /// configuration wins. Nil when neither gives an input and an output price.
    public static func resolve(configured: ModelPricing?, base: ModelPrice?) -> ModelPrice? {
        guard let configured else { return base }
        guard let input = configured.inputPerMillion ?? base?.inputPerMillion,
              let output = configured.outputPerMillion ?? base?.outputPerMillion
        else { return nil }
        return ModelPrice(
            input: input,
            output: output,
            cachedInput: configured.cachedInputPerMillion ?? base?.cachedInputPerMillion,
            cacheWrite: configured.cacheWritePerMillion ?? base?.cacheWritePerMillion
        )
    }

    /// The cost of `usage` in nano-dollars (10⁻⁹ USD), rounded to the nearest nano-dollar.
    public func cost(of usage: TokenUsage) -> Int64 {
        let cached = max(0, usage.cachedInputTokens)
        let written = max(0, usage.cacheWriteTokens)
        let uncached = max(0, usage.inputTokens - cached - written)
        // Dollars per million tokens × 1000 = nano-dollars per token.
        let nanos = Double(uncached) * inputPerMillion * 1000
            + Double(cached) * (cachedInputPerMillion ?? inputPerMillion) * 1000
            + Double(written) * (cacheWritePerMillion ?? inputPerMillion) * 1000
            + Double(max(0, usage.outputTokens)) * outputPerMillion * 1000
        return Int64(nanos.rounded())
    }

    /// The most a request can cost: every prompt token at the input price (no cache discount) and
    /// `maxOutputTokens` completion tokens, rounded up.
    public func worstCase(promptTokens: Int, maxOutputTokens: Int) -> Int64 {
        let nanos = Double(max(0, promptTokens)) * max(inputPerMillion, cacheWritePerMillion ?? 0) * 1000
            + Double(max(0, maxOutputTokens)) * outputPerMillion * 1000
        return Int64(nanos.rounded(.up))
    }
}
