// The built-in price table: US dollars per million tokens, as published on each provider's pricing
// page (OpenAI platform pricing, Anthropic API pricing, Google Gemini API pricing, Amazon Bedrock
// pricing for us-east-1 on-demand), checked in November 2025. Standard (not batch, not priority)
// tier; for tiered Gemini prices, the tier for prompts of up to 200k tokens.
//
// Columns: input, output, cached input (prompt-cache reads), cache write. Anthropic cache writes are
// the 5-minute cache (1.25× input); cache reads are 0.1× input. OpenAI and Gemini do not bill cache
// writes separately (nil: billed as input). Edit this file to update prices; keep the date above
// current. Deployments override any entry with `models[].pricing` in keel.yaml.

extension PriceTable {
    static let entries: [String: ModelPrice] = [
        // OpenAI
        "gpt-5": ModelPrice(input: 1.25, output: 10.00, cachedInput: 0.125),
        "gpt-5-mini": ModelPrice(input: 0.25, output: 2.00, cachedInput: 0.025),
        "gpt-5-nano": ModelPrice(input: 0.05, output: 0.40, cachedInput: 0.005),
        "gpt-4.1": ModelPrice(input: 2.00, output: 8.00, cachedInput: 0.50),
        "gpt-4.1-mini": ModelPrice(input: 0.40, output: 1.60, cachedInput: 0.10),
        "gpt-4.1-nano": ModelPrice(input: 0.10, output: 0.40, cachedInput: 0.025),
        "gpt-4o": ModelPrice(input: 2.50, output: 10.00, cachedInput: 1.25),
        "gpt-4o-2024-05-13": ModelPrice(input: 5.00, output: 15.00),
        "gpt-4o-mini": ModelPrice(input: 0.15, output: 0.60, cachedInput: 0.075),
        "o1": ModelPrice(input: 15.00, output: 60.00, cachedInput: 7.50),
        "o1-mini": ModelPrice(input: 1.10, output: 4.40, cachedInput: 0.55),
        "o3": ModelPrice(input: 2.00, output: 8.00, cachedInput: 0.50),
        "o3-mini": ModelPrice(input: 1.10, output: 4.40, cachedInput: 0.55),
        "o4-mini": ModelPrice(input: 1.10, output: 4.40, cachedInput: 0.275),
        "gpt-4-turbo": ModelPrice(input: 10.00, output: 30.00),
        "gpt-4": ModelPrice(input: 30.00, output: 60.00),
        "gpt-3.5-turbo": ModelPrice(input: 0.50, output: 1.50),
        "text-embedding-3-small": ModelPrice(input: 0.02, output: 0),
        "text-embedding-3-large": ModelPrice(input: 0.13, output: 0),
        "text-embedding-ada-002": ModelPrice(input: 0.10, output: 0),

        // Anthropic (first-party API ids and aliases)
        "claude-opus-4-1": ModelPrice(input: 15.00, output: 75.00, cachedInput: 1.50, cacheWrite: 18.75),
        "claude-opus-4-1-20250805": ModelPrice(input: 15.00, output: 75.00, cachedInput: 1.50, cacheWrite: 18.75),
        "claude-opus-4-0": ModelPrice(input: 15.00, output: 75.00, cachedInput: 1.50, cacheWrite: 18.75),
        "claude-opus-4-20250514": ModelPrice(input: 15.00, output: 75.00, cachedInput: 1.50, cacheWrite: 18.75),
        "claude-sonnet-4-5": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "claude-sonnet-4-5-20250929": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "claude-sonnet-4-0": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "claude-sonnet-4-20250514": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "claude-3-7-sonnet-20250219": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "claude-3-7-sonnet": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "claude-3-5-sonnet-20241022": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "claude-3-5-sonnet-20240620": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "claude-3-5-sonnet": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "claude-haiku-4-5": ModelPrice(input: 1.00, output: 5.00, cachedInput: 0.10, cacheWrite: 1.25),
        "claude-haiku-4-5-20251001": ModelPrice(input: 1.00, output: 5.00, cachedInput: 0.10, cacheWrite: 1.25),
        "claude-3-5-haiku-20241022": ModelPrice(input: 0.80, output: 4.00, cachedInput: 0.08, cacheWrite: 1.00),
        "claude-3-5-haiku": ModelPrice(input: 0.80, output: 4.00, cachedInput: 0.08, cacheWrite: 1.00),
        "claude-3-haiku-20240307": ModelPrice(input: 0.25, output: 1.25, cachedInput: 0.03, cacheWrite: 0.30),
        "claude-3-opus-20240229": ModelPrice(input: 15.00, output: 75.00, cachedInput: 1.50, cacheWrite: 18.75),

        // Google Gemini (prompts up to 200k tokens)
        "gemini-2.5-pro": ModelPrice(input: 1.25, output: 10.00, cachedInput: 0.31),
        "gemini-2.5-flash": ModelPrice(input: 0.30, output: 2.50, cachedInput: 0.075),
        "gemini-2.5-flash-lite": ModelPrice(input: 0.10, output: 0.40, cachedInput: 0.025),
        "gemini-2.0-flash": ModelPrice(input: 0.10, output: 0.40, cachedInput: 0.025),
        "gemini-2.0-flash-lite": ModelPrice(input: 0.075, output: 0.30),
        "gemini-1.5-pro": ModelPrice(input: 1.25, output: 5.00, cachedInput: 0.3125),
        "gemini-1.5-flash": ModelPrice(input: 0.075, output: 0.30, cachedInput: 0.01875),
        "gemini-embedding-001": ModelPrice(input: 0.15, output: 0),

        // Amazon Bedrock model ids (cross-region prefixes such as `us.` are stripped before lookup)
        "anthropic.claude-opus-4-1-20250805-v1:0": ModelPrice(input: 15.00, output: 75.00, cachedInput: 1.50, cacheWrite: 18.75),
        "anthropic.claude-opus-4-20250514-v1:0": ModelPrice(input: 15.00, output: 75.00, cachedInput: 1.50, cacheWrite: 18.75),
        "anthropic.claude-sonnet-4-5-20250929-v1:0": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "anthropic.claude-sonnet-4-20250514-v1:0": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "anthropic.claude-3-7-sonnet-20250219-v1:0": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "anthropic.claude-3-5-sonnet-20241022-v2:0": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75),
        "anthropic.claude-3-5-sonnet-20240620-v1:0": ModelPrice(input: 3.00, output: 15.00),
        "anthropic.claude-haiku-4-5-20251001-v1:0": ModelPrice(input: 1.00, output: 5.00, cachedInput: 0.10, cacheWrite: 1.25),
        "anthropic.claude-3-5-haiku-20241022-v1:0": ModelPrice(input: 0.80, output: 4.00, cachedInput: 0.08, cacheWrite: 1.00),
        "anthropic.claude-3-haiku-20240307-v1:0": ModelPrice(input: 0.25, output: 1.25),
        "amazon.nova-pro-v1:0": ModelPrice(input: 0.80, output: 3.20, cachedInput: 0.20),
        "amazon.nova-lite-v1:0": ModelPrice(input: 0.06, output: 0.24, cachedInput: 0.015),
        "amazon.nova-micro-v1:0": ModelPrice(input: 0.035, output: 0.14, cachedInput: 0.00875),
        "meta.llama3-1-70b-instruct-v1:0": ModelPrice(input: 0.72, output: 0.72),
        "meta.llama3-1-8b-instruct-v1:0": ModelPrice(input: 0.22, output: 0.22),
        "mistral.mistral-large-2402-v1:0": ModelPrice(input: 4.00, output: 12.00),
        "amazon.titan-embed-text-v2:0": ModelPrice(input: 0.02, output: 0),
        "cohere.embed-english-v3": ModelPrice(input: 0.10, output: 0),
    ]
}
