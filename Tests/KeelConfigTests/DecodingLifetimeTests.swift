import Testing
@testable import KeelConfig

// Found by fuzz/ (FuzzConfig, LeakSanitizer): cross references held the decoded value, which holds
// the decoding context, so every configuration file read stayed in memory.
@Suite("Decoding lifetime")
struct DecodingLifetimeTests {
    @Test("the decoding context is freed after decoding, cross references and all")
    func contextIsFreed() throws {
        let yaml = """
            providers:
              openai: {kind: openai, api_key: sk-test}
            models:
              - name: a
                routes: [{provider: openai, model: gpt-4o-mini}]
                fallbacks: [b]
              - name: b
                routes: [{provider: openai, model: gpt-4o}]
            """
        weak var released: DecodingContext?
        do {
            let document = try YAMLDocument.parse(bytes: Array(yaml.utf8), fileName: "lifetime.yaml")
            let root = try #require(document.root)
            let context = DecodingContext(fileName: "lifetime.yaml", environment: [:])
            released = context
            let config = KeelConfig(decoding: ConfigValue(node: root, path: .root, context: context))
            #expect(config.models.count == 2)
            #expect(context.references.count >= 3)
            #expect(context.diagnostics.isEmpty)
        }
        #expect(released == nil)
    }
}
