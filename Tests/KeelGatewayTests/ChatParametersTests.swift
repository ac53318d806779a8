import KeelCore
@testable import KeelGateway
import KeelTelemetry
import Testing

/// The `gen_ai.request.*` parameters read from a chat body for the spans.
@Suite("Chat request parameters for spans")
struct ChatParametersTests {
    static func parameters(_ json: String) throws -> GenAIRequestParameters {
        guard case .object(let body) = try JSONParser().parse(Array(json.utf8)) else {
            Issue.record("not an object: \(json)")
            return GenAIRequestParameters()
        }
        return Gateway.chatParameters(body)
    }

    @Test("every parameter is read, whatever the order of the members")
    func everyParameter() throws {
        let p = try Self.parameters(
            #"{"n":2,"seed":7,"stop":"END","model":"m","top_p":0.9,"top_k":40,"messages":[],"max_tokens":64,"temperature":0.2,"presence_penalty":0.1,"frequency_penalty":-0.5}"#
        )
        #expect(p == GenAIRequestParameters(
            temperature: 0.2, topP: 0.9, topK: 40, maxTokens: 64, frequencyPenalty: -0.5, presencePenalty: 0.1,
            stopSequences: ["END"], seed: 7, choiceCount: 2
        ))
    }

    @Test("max_completion_tokens wins over max_tokens and stop over stop_sequences, in either order")
    func precedence() throws {
        let a = try Self.parameters(#"{"max_tokens":10,"max_completion_tokens":20,"stop_sequences":["b"],"stop":["a","c"]}"#)
        let b = try Self.parameters(#"{"max_completion_tokens":20,"max_tokens":10,"stop":["a","c"],"stop_sequences":["b"]}"#)
        #expect(a.maxTokens == 20 && b.maxTokens == 20)
        #expect(a.stopSequences == ["a", "c"] && b.stopSequences == ["a", "c"])
        // Anthropic's names alone.
        let c = try Self.parameters(#"{"max_tokens":5,"stop_sequences":["x"]}"#)
        #expect(c.maxTokens == 5 && c.stopSequences == ["x"])
    }

    @Test("absent, null and mistyped parameters are unknown; look-alike keys are ignored")
    func unknownValues() throws {
        #expect(try Self.parameters(#"{"model":"m","messages":[]}"#) == GenAIRequestParameters())
        let p = try Self.parameters(#"{"temperature":null,"top_p":"high","seed":1.5,"Temperature":0.3,"stop":[1,"s"],"max_completion_tokens":null,"max_tokens":9}"#)
        #expect(p.temperature == nil && p.topP == nil && p.seed == nil)
        // A null max_completion_tokens is present, so max_tokens is not consulted.
        #expect(p.maxTokens == nil)
        #expect(p.stopSequences == ["s"])
    }
}
