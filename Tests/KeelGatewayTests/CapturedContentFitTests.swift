import KeelCore
@testable import KeelGateway
import Testing

@Suite("Captured content: redaction of the copy and the size limit")
struct CapturedContentFitTests {
    static func message(_ role: String, _ texts: [String]) -> JSONValue {
        ["role": .string(role), "parts": .array(texts.map { ["type": "text", "content": .string($0)] })]
    }

    @Test("content that fits is kept whole")
    func fits() throws {
        let messages = [Self.message("user", ["hello"])]
        let fitted = CapturedContent.fit(messages, maxBytes: 1024)
        #expect(!fitted.truncated)
        #expect(fitted.text == JSONValue.array(messages).serializedString())
    }

    @Test("longer content is cut to the limit, stays valid JSON, keeps its start and never splits a character",
          arguments: [64, 100, 150, 333])
    func cuts(_ limit: Int) throws {
        let long = String(repeating: "é\"ab\n", count: 200)
        let messages = [Self.message("system", ["Be brief."]), Self.message("user", [long, "second part"]), Self.message("user", ["later"])]
        let fitted = CapturedContent.fit(messages, maxBytes: limit)
        #expect(fitted.truncated)
        #expect(fitted.text.utf8.count <= limit)
        let parsed = try JSONValue(parsing: fitted.text)
        let kept = try #require(parsed.arrayValue)
        let first = try #require(kept.first?["parts"]?.arrayValue?.first?["content"]?.stringValue)
        #expect("Be brief.".hasPrefix(first))
        if kept.count > 1, let cut = kept[1]["parts"]?.arrayValue?.first?["content"]?.stringValue {
            #expect(long.hasPrefix(cut))
        }
        #expect(!fitted.text.contains("later"))
    }

    @Test("the redactor sees every text of both sides once, numbering placeholders across them; image data is dropped")
    func redacts() throws {
        var input: [JSONValue]? = [
            Self.message("user", ["mail ann@example.com"]),
            ["role": "user", "parts": [["type": "blob", "modality": "image", "mime_type": "image/png", "content": "aGVsbG8="]]],
            ["role": "assistant", "parts": [["type": "tool_call", "id": "c1", "name": "send", "arguments": ["to": "ann@example.com", "n": 1]]]],
        ]
        var output: [JSONValue]? = [Self.message("assistant", ["ok, ann@example.com and joe@example.com"])]
        #expect(CapturedContent.redact(&input, &output, with: try ContentRedactor.pii()))
        let text = JSONValue.array(input! + output!).serializedString()
        #expect(!text.contains("@example.com"))
        #expect(input?[0]["parts"]?[0]?["content"]?.stringValue == "mail [EMAIL_1]")
        #expect(input?[2]["parts"]?[0]?["arguments"]?["to"]?.stringValue == "[EMAIL_1]")
        #expect(input?[1]["parts"]?[0]?["content"] == nil)
        #expect(output?[0]["parts"]?[0]?["content"]?.stringValue == "ok, [EMAIL_1] and [EMAIL_2]")
    }
}
