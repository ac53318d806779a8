import KeelCore
@testable import KeelGateway
import Testing

// Found by fuzz/ (FuzzChatCodecs): an OpenAI request of system messages alone was translated into a
// request with an empty conversation, which Anthropic, Bedrock and Gemini refuse upstream.
@Suite("Translating a request without a conversation")
struct TranslationConversationTests {
    static let systemOnly = #"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":"Answer in French."}]}"#

    @Test("Anthropic, Bedrock and Gemini refuse it before any call, naming messages; OpenAI forwards it")
    func systemMessagesAlone() throws {
        let request = try OpenAIChatCodec.decodeRequest(JSONParser().parse(Array(Self.systemOnly.utf8)))
        let encoders: [(String, (ChatRequest) throws(GatewayError) -> JSONValue)] = [
            ("Anthropic", { r throws(GatewayError) in try AnthropicMessagesCodec.encodeRequest(r, upstreamModel: "u", stream: false) }),
            ("Bedrock", { r throws(GatewayError) in try BedrockConverseCodec.encodeRequest(r, upstreamModel: "u", stream: false) }),
            ("Gemini", { r throws(GatewayError) in try GeminiCodec.encodeRequest(r, upstreamModel: "u", stream: true) }),
        ]
        for (provider, encode) in encoders {
            do throws(GatewayError) {
                _ = try encode(request)
                Issue.record("\(provider) encoded a request without a conversation")
            } catch {
                #expect(error.status == 400)
                #expect(error.param == "messages")
                #expect(error.message.contains(provider))
            }
        }
        let openAI = OpenAIChatCodec.encodeRequest(request, upstreamModel: "u", stream: false)
        #expect((openAI["messages"]?.arrayValue?.count ?? 0) >= 1)
    }

    @Test("a conversation with one user turn is translated as before")
    func oneUserTurn() throws {
        let body = #"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}"#
        let request = try OpenAIChatCodec.decodeRequest(JSONParser().parse(Array(body.utf8)))
        #expect(try AnthropicMessagesCodec.encodeRequest(request, upstreamModel: "u", stream: false)["messages"]?.arrayValue?.count == 1)
        #expect(try BedrockConverseCodec.encodeRequest(request, upstreamModel: "u", stream: false)["messages"]?.arrayValue?.count == 1)
        #expect(try GeminiCodec.encodeRequest(request, upstreamModel: "u", stream: false)["contents"]?.arrayValue?.count == 1)
    }
}
