import KeelCore
import Testing

@testable import KeelGateway

@Suite("TokenEstimator")
struct TokenEstimatorTests {
    @Test func shortWordsAreOneTokenEach() {
        #expect(TokenEstimator.count("Hello world") == 2)
        #expect(TokenEstimator.count("Hello, world!") == 4)
        #expect(TokenEstimator.count("") == 0)
    }

    @Test func longWordsDigitsAndLineBreaks() {
        // "internationalization" (20 letters) → 5; "1234567" → 3 groups; the line break → 1.
        #expect(TokenEstimator.count("internationalization\n1234567") == 9)
    }

    @Test func nonASCIICharactersCountOneEach() {
        #expect(TokenEstimator.count("日本語") == 3)
        // A combining mark adds nothing to the letter before it.
        #expect(TokenEstimator.count("e\u{301}") == 1)
    }

    @Test func promptTokensCountMessagesSystemAndToolsButNotImages() throws {
        let body = try #require(try JSONValue(parsing: Array(#"""
        {"model": "m",
         "system": "Be brief",
         "messages": [
           {"role": "user", "content": [{"type": "text", "text": "Hello there"},
                                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
           {"role": "assistant", "content": "Hi"}],
         "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]}
        """#.utf8)).objectValue)
        // Framing 3; first message 3 + "Hello there" 2 + the key "content" 2 (the image is skipped);
        // second message 3 + "Hi" 1; system "Be brief" 2; tools: "lookup" 1 + the keys "parameters" 3
        // and "function" 2 ("type" members are skipped).
        #expect(TokenEstimator.promptTokens(body) == 3 + 7 + 4 + 2 + 6)
    }

    @Test func streamCounterSumsTextAndToolArguments() {
        var counter = StreamUsageCounter()
        counter.observe(.start(id: "x", model: "m"))
        counter.observe(.textDelta("Hello"))
        counter.observe(.textDelta(" world"))
        counter.observe(.toolCallStart(index: 0, id: "call_1", name: "lookup"))
        counter.observe(.toolCallDelta(index: 0, arguments: #"{"q":"x"}"#))
        counter.observe(.stop(.toolUse))
        #expect(counter.usage(promptTokens: 10) == ChatUsage(inputTokens: 10, outputTokens: 2 + 1 + 3 + 9))
    }
}
