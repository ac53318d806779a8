import Testing
@testable import KeelCore

@Suite("JSONString")
struct JSONStringTests {
    @Test("quotes plain strings as they are and escapes only what JSON requires")
    func quoting() {
        #expect(JSONString.quote("") == #""""#)
        #expect(JSONString.quote("gpt-4o/mini é日😀") == #""gpt-4o/mini é日😀""#)
        #expect(JSONString.quote("a\"b\\c\nd\re\tf\u{08}g\u{0C}h\u{0}i\u{1F}j\u{7F}\u{2028}")
            == #""a\"b\\c\nd\re\tf\bg\fh\u0000i\u001fj"# + "\u{7F}\u{2028}\"")
    }

    @Test("appends to existing text")
    func appending() {
        var out = "{\"k\":"
        JSONString.append("v\"", to: &out)
        JSONString.append("w", to: &out)
        #expect(out == #"{"k":"v\"""w""#)
    }

    @Test("agrees with the JSON writer and round-trips through the parser",
          arguments: ["", "plain", "0123456789abcdef\"", "\u{0}\u{1}\u{2}", String(repeating: "x\\", count: 40), "tab\there 🦀"])
    func agreesWithWriter(text: String) throws {
        let quoted = JSONString.quote(text)
        #expect(Array(quoted.utf8) == JSONValue.string(text).serialized())
        #expect(try JSONValue(parsing: quoted) == .string(text))
    }
}
