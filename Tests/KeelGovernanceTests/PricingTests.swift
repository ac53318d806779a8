import KeelConfig
import Testing
@testable import KeelGovernance

@Suite("Pricing")
struct PricingTests {
    @Test func anthropicPromptCacheReadsAndWritesArePricedSeparately() throws {
        let sonnet = try #require(PriceTable.price(for: "claude-sonnet-4-5-20250929"))
        // 10,000 prompt tokens of which 6,000 read from the cache and 2,000 written to it; 500 out.
        let usage = TokenUsage(inputTokens: 10_000, outputTokens: 500, cachedInputTokens: 6_000, cacheWriteTokens: 2_000)
        // 2,000 × $3 + 6,000 × $0.30 + 2,000 × $3.75 + 500 × $15, per million = $0.0228
        #expect(sonnet.cost(of: usage) == 22_800_000)
        #expect(sonnet.cacheWritePerMillion == sonnet.inputPerMillion * 1.25)
        #expect(abs((sonnet.cachedInputPerMillion ?? 0) - sonnet.inputPerMillion * 0.1) < 1e-9)
    }

    @Test func openAICachedInputIsDiscounted() throws {
        let mini = try #require(PriceTable.price(for: "gpt-4o-mini"))
        // 1,000 prompt tokens, 800 cached; 100 out: 200 × 0.15 + 800 × 0.075 + 100 × 0.60 = 150 µ$.
        #expect(mini.cost(of: TokenUsage(inputTokens: 1_000, outputTokens: 100, cachedInputTokens: 800)) == 150_000)
    }

    @Test(arguments: [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai/gpt-4.1", "gpt-4.1"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("GPT-4o", "gpt-4o"),
    ])
    func providerSpellingsFindTheBaseModel(spelling: String, base: String) throws {
        #expect(PriceTable.price(for: spelling) == PriceTable.entries[base])
        #expect(PriceTable.price(for: spelling) != nil)
    }

    @Test func everyProviderFamilyIsInTheTable() {
        for model in ["gpt-4o", "o3", "claude-opus-4-1", "claude-haiku-4-5", "gemini-2.5-pro", "amazon.nova-pro-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0"] {
            #expect(PriceTable.price(for: model) != nil, "\(model)")
        }
        #expect(PriceTable.price(for: "my-local-llama") == nil)
        #expect(PriceTable.entries.values.allSatisfy { $0.inputPerMillion >= 0 && $0.outputPerMillion >= 0 })
    }

    @Test func configuredPricingOverridesTheTablePriceByPrice() throws {
        let base = ModelPrice(input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75)
        let merged = try #require(ModelPrice.resolve(configured: ModelPricing(inputPerMillion: 1), base: base))
        #expect(merged == ModelPrice(input: 1, output: 15, cachedInput: 0.3, cacheWrite: 3.75))
        #expect(ModelPrice.resolve(configured: ModelPricing(inputPerMillion: 1), base: nil) == nil)
        #expect(ModelPrice.resolve(configured: nil, base: base) == base)
    }

    @Test func governanceUsesConfiguredPricingThenTheUpstreamModel() throws {
        let governance = try makeGovernance()
        #expect(governance.price(model: "priced") == ModelPrice(input: 4, output: 6))
        // `claude` routes to claude-sonnet-4-5: the built-in price of the upstream model.
        #expect(governance.price(model: "claude") == PriceTable.entries["claude-sonnet-4-5"])
        #expect(governance.price(model: "claude", upstreamModel: "gpt-4o-mini") == PriceTable.entries["gpt-4o-mini"])
    }

    @Test func theWorstCaseIsPromptAtInputPricePlusMaxTokensAtOutputPrice() {
        let price = ModelPrice(input: 4, output: 6)
        #expect(price.worstCase(promptTokens: 1000, maxOutputTokens: 1000) == 10_000_000)
        #expect(price.worstCase(promptTokens: 1, maxOutputTokens: 0) == 4_000)
    }

    @Test func moneyIsShownInDollars() {
        #expect(Governance.money(5_000_000_000) == "$5.00")
        #expect(Governance.money(4_600_000) == "$0.0046")
    }
}
