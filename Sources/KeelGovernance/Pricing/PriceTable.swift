/// Built-in prices of the major hosted models, shipped with Keel and never fetched at run time
/// (a remote price table that changes or disappears must never break traffic).
///
/// Configured `models[].pricing` overrides these. Lookup by upstream model id is forgiving about the
/// spellings providers use: a provider prefix (`openai/`, `models/`), a Bedrock cross-region inference
/// prefix (`us.`, `eu.`, `apac.`, `global.`), and a dated snapshot suffix (`-2024-07-18`) fall back to
/// the base model.
public enum PriceTable {
    /// The price of `model`, or nil when the table does not know it.
    public static func price(for model: String) -> ModelPrice? {
        for candidate in candidates(model.lowercased()) {
            if let price = entries[candidate] { return price }
        }
        return nil
    }

    static func candidates(_ model: String) -> [String] {
        var names = [model]
        var base = model
        for prefix in ["openai/", "anthropic/", "gemini/", "bedrock/", "azure/", "models/"] where base.hasPrefix(prefix) {
            base = String(base.dropFirst(prefix.count))
            names.append(base)
        }
        for prefix in ["us.", "eu.", "apac.", "global.", "us-gov."] where base.hasPrefix(prefix) {
            base = String(base.dropFirst(prefix.count))
            names.append(base)
        }
        // gpt-4o-mini-2024-07-18 → gpt-4o-mini
        let parts = base.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count > 3, parts.suffix(3).allSatisfy({ $0.allSatisfy(\.isNumber) }), parts[parts.count - 3].count == 4 {
            names.append(parts.dropLast(3).joined(separator: "-"))
        }
        if base.hasSuffix("-latest") { names.append(String(base.dropLast("-latest".count))) }
        return names
    }
}
