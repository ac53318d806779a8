import KeelCore

/// Reads token usage from provider JSON in each wire format, following ``ChatUsage``'s conventions
/// (input tokens include cached ones).
enum UsageExtractor {
    /// OpenAI `usage`: `prompt_tokens` (cached included), `completion_tokens`,
    /// `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`.
    static func openAI(_ usage: JSONValue?) -> ChatUsage? {
        guard let usage, usage.objectValue != nil else { return nil }
        return ChatUsage(
            inputTokens: usage["prompt_tokens"]?.intValue ?? 0,
            outputTokens: usage["completion_tokens"]?.intValue ?? 0,
            cachedInputTokens: usage["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0,
            reasoningTokens: usage["completion_tokens_details"]?["reasoning_tokens"]?.intValue
        )
    }

    /// Anthropic `usage`: `input_tokens` excludes cache reads and writes, which come separately.
    static func anthropic(_ usage: JSONValue?, into existing: ChatUsage? = nil) -> ChatUsage? {
        guard let usage, usage.objectValue != nil else { return existing }
        var u = existing ?? ChatUsage()
        let read = usage["cache_read_input_tokens"]?.intValue
        let write = usage["cache_creation_input_tokens"]?.intValue
        if let input = usage["input_tokens"]?.intValue {
            u.cachedInputTokens = read ?? u.cachedInputTokens
            u.cacheWriteTokens = write ?? u.cacheWriteTokens
            u.inputTokens = input + u.cachedInputTokens + u.cacheWriteTokens
        }
        if let output = usage["output_tokens"]?.intValue { u.outputTokens = output }
        return u
    }
}
