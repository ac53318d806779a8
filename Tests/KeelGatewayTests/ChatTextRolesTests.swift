import KeelConfig
import KeelCore
@testable import KeelGateway
import Testing

/// The texts of a chat request the input guardrails scan, each with its role.
@Suite("Chat request texts and their guardrails roles")
struct ChatTextRolesTests {
    static func texts(_ json: String) throws -> [String] {
        guard case .object(var body) = try JSONParser().parse(Array(json.utf8)) else {
            Issue.record("not an object: \(json)")
            return []
        }
        var seen: [String] = []
        Gateway.mapChatTexts(&body) { text, role in
            seen.append("\(role?.rawValue ?? "?"): \(text)")
            return text
        }
        return seen
    }

    @Test("OpenAI: system and developer are system, tool and function are tool, an unknown role has none")
    func openAI() throws {
        let texts = try Self.texts(#"""
        {"messages":[{"role":"system","content":"s"},{"role":"developer","content":[{"type":"text","text":"d"}]},
         {"role":"user","content":[{"type":"text","text":"u"},{"type":"image_url","image_url":{"url":"x"}}]},
         {"role":"assistant","content":"a"},{"role":"tool","tool_call_id":"c","content":"t"},
         {"role":"function","name":"f","content":"f"},{"role":"narrator","content":"n"},{"content":"r"}]}
        """#)
        #expect(texts == ["system: s", "system: d", "user: u", "assistant: a", "tool: t", "tool: f", "?: n", "?: r"])
    }

    @Test("Anthropic: the top-level system is system, tool_result blocks are tool, other blocks their message's role")
    func anthropic() throws {
        let texts = try Self.texts(#"""
        {"system":[{"type":"text","text":"s"}],"messages":[
         {"role":"user","content":[{"type":"text","text":"u"},{"type":"tool_result","tool_use_id":"t1","content":"r1"},
          {"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"r2"}]}]},
         {"role":"assistant","content":[{"type":"text","text":"a"}]}]}
        """#)
        #expect(texts == ["system: s", "user: u", "tool: r1", "tool: r2", "assistant: a"])
    }
}
