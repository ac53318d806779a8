/// Token counts of one request as the provider reported them.
///
/// `inputTokens` counts every prompt token, including those read from or written to the prompt cache
/// (OpenAI's `prompt_tokens`; for Anthropic, `input_tokens + cache_read_input_tokens +
/// cache_creation_input_tokens`). `cachedInputTokens` and `cacheWriteTokens` are the parts of it billed at
/// the cache prices.
public struct TokenUsage: Sendable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cachedInputTokens: Int
    public var cacheWriteTokens: Int

    public init(inputTokens: Int, outputTokens: Int, cachedInputTokens: Int = 0, cacheWriteTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
    }

    /// Prompt plus completion tokens (what token-per-minute limits count).
    public var totalTokens: Int { max(0, inputTokens) + max(0, outputTokens) }
}
