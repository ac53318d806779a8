import Testing
@testable import KeelCore

@Suite("JSONParser errors")
struct JSONErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var input: [UInt8]
        var code: JSONError.Code
        var offset: Int
        var line = 1
        var column: Int

        init(_ text: String, _ code: JSONError.Code, offset: Int, line: Int = 1, column: Int? = nil) {
            self.init(bytes: Array(text.utf8), code, offset: offset, line: line, column: column)
        }

        init(bytes: [UInt8], _ code: JSONError.Code, offset: Int, line: Int = 1, column: Int? = nil) {
            self.input = bytes
            self.code = code
            self.offset = offset
            self.line = line
            self.column = column ?? offset + 1
        }

        var testDescription: String { "\(String(decoding: input.prefix(40), as: UTF8.self)) → \(code)" }
    }

    static let cases: [Case] = [
        // unexpectedEnd
        Case("", .unexpectedEnd, offset: 0),
        Case("   ", .unexpectedEnd, offset: 3),
        Case("[", .unexpectedEnd, offset: 1),
        Case("[1,", .unexpectedEnd, offset: 3),
        Case(#"{"a""#, .unexpectedEnd, offset: 4),
        Case(#"{"a":"#, .unexpectedEnd, offset: 5),
        Case(#"{"a":1"#, .unexpectedEnd, offset: 6),
        Case(#""abc"#, .unexpectedEnd, offset: 4),
        Case(#""abc\"#, .unexpectedEnd, offset: 5),
        Case(#""\u12"#, .unexpectedEnd, offset: 5),
        Case("tru", .unexpectedEnd, offset: 3),
        Case("nul", .unexpectedEnd, offset: 3),
        // unexpectedCharacter
        Case("[1,]", .unexpectedCharacter, offset: 3),
        Case(#"{"a":1,}"#, .unexpectedCharacter, offset: 7),
        Case("[1 2]", .unexpectedCharacter, offset: 3),
        Case(#"{"a" 1}"#, .unexpectedCharacter, offset: 5),
        Case("{1:2}", .unexpectedCharacter, offset: 1),
        Case("{'a':1}", .unexpectedCharacter, offset: 1),
        Case(".1", .unexpectedCharacter, offset: 0),
        Case("+1", .unexpectedCharacter, offset: 0),
        Case("NaN", .unexpectedCharacter, offset: 0),
        Case("Infinity", .unexpectedCharacter, offset: 0),
        Case("trux", .unexpectedCharacter, offset: 3),
        Case("True", .unexpectedCharacter, offset: 0),
        Case("[,1]", .unexpectedCharacter, offset: 1),
        Case("]", .unexpectedCharacter, offset: 0),
        Case("/* comment */ 1", .unexpectedCharacter, offset: 0),
        Case("\"a\u{0}b\"", .unexpectedCharacter, offset: 2),
        Case("\"tab\tinside\"", .unexpectedCharacter, offset: 4),
        Case("\"line\nbreak\"", .unexpectedCharacter, offset: 5),
        Case("\"0123456789\u{1F}\"", .unexpectedCharacter, offset: 11),
        Case("\"esc\\n then raw \u{1}\"", .unexpectedCharacter, offset: 16),
        Case(bytes: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], .unexpectedCharacter, offset: 0),
        Case("[\u{C}]", .unexpectedCharacter, offset: 1),  // form feed is not JSON whitespace
        // invalidNumber
        Case("01", .invalidNumber, offset: 0),
        Case("-01", .invalidNumber, offset: 0),
        Case("[00]", .invalidNumber, offset: 1),
        Case("1.", .unexpectedEnd, offset: 2),  // a number cut short by the end of input
        Case("1.e5", .invalidNumber, offset: 2),
        Case("-", .unexpectedEnd, offset: 1),
        Case("[-]", .invalidNumber, offset: 2),
        Case("[1.]", .invalidNumber, offset: 3),
        Case("-a", .invalidNumber, offset: 1),
        Case("-Infinity", .invalidNumber, offset: 1),
        Case("1e", .unexpectedEnd, offset: 2),
        Case("1e+ ", .invalidNumber, offset: 3),
        Case("[1E-x]", .invalidNumber, offset: 4),
        // invalidEscape
        Case(#""\x""#, .invalidEscape, offset: 1),
        Case(#""ab\'""#, .invalidEscape, offset: 3),
        Case(#""\u12G4""#, .invalidEscape, offset: 1),
        Case(#""\U0041""#, .invalidEscape, offset: 1),
        Case(#""\uD800""#, .invalidEscape, offset: 1),
        Case(#""\uD800x""#, .invalidEscape, offset: 1),
        Case(#""\uD800\n""#, .invalidEscape, offset: 1),
        Case(#""\uD800\u0041""#, .invalidEscape, offset: 1),
        Case(#""\uDC00""#, .invalidEscape, offset: 1),
        Case(#""ok\uDFFF\uD800""#, .invalidEscape, offset: 3),
        // invalidUTF8
        Case(bytes: [0x22, 0xFE, 0x22], .invalidUTF8, offset: 1),
        // tooDeep: tested in JSONParserTests with a small limit
        // trailingData
        Case("1 2", .trailingData, offset: 2),
        Case("{} x", .trailingData, offset: 3),
        Case("[]]", .trailingData, offset: 2),
        Case("nullx", .trailingData, offset: 4),
        Case("1x", .trailingData, offset: 1),
        Case("\"a\"\"b\"", .trailingData, offset: 3),
        Case(bytes: [0x31, 0x00], .trailingData, offset: 1),
        // positions on later lines, columns counted in scalars
        Case("{\n  \"a\": tru\n}", .unexpectedCharacter, offset: 12, line: 2, column: 11),
        Case("[\n1,\n\n  ]", .unexpectedCharacter, offset: 8, line: 4, column: 3),
        Case("[\"é\", x]", .unexpectedCharacter, offset: 7, column: 7),
        Case("[\"😀😀\",\r\n  01]", .invalidNumber, offset: 16, line: 2, column: 3),
    ]

    @Test("each malformed input fails with the right code and position", arguments: cases)
    func rejects(_ testCase: Case) throws {
        let error = try #require(throws: JSONError.self) { try JSONParser().parse(testCase.input) }
        #expect(error.code == testCase.code)
        #expect(error.offset == testCase.offset)
        #expect(error.line == testCase.line)
        #expect(error.column == testCase.column)
        #expect(error.message.contains("at line \(testCase.line), column \(testCase.column)"))
        #expect(error.description == error.message)
    }

    @Test("messages name the problem without echoing the input")
    func messages() throws {
        func message(_ text: String) throws -> String {
            try #require(throws: JSONError.self) { try JSONValue(parsing: text) }.message
        }
        #expect(try message("[1,x]") == "Unexpected character 'x' at line 1, column 4")
        #expect(try message("[1") == "Unexpected end of input at line 1, column 3")
        #expect(try message("[1 2]") == "Unexpected character '2' at line 1, column 4: expected ',' or ']'")
        #expect(try message("01") == "Invalid number at line 1, column 1: leading zeros are not allowed")
        #expect(try message("{} {}") == "Unexpected data after the JSON value (character '{') at line 1, column 4")
        #expect(try message("\"\u{1}\"").hasPrefix("Unexpected byte 0x01 at line 1, column 2"))
        #expect(try message("[\n]]") == "Unexpected data after the JSON value (character ']') at line 2, column 2")
        #expect(try message(#""\uD800""#).hasSuffix("lone high surrogate"))
        #expect(try message(#"{"a" "b"}"#) == "Unexpected character '\"' at line 1, column 6: expected ':'")

        // A long secret-looking input is not copied into the message.
        let secret = "sk-" + String(repeating: "A1b2C3d4", count: 8)
        let leaked = try message("[\"ok\", " + secret + "]")
        #expect(!leaked.contains("sk-"))
        #expect(!leaked.contains("A1b2"))
        #expect(leaked.count < 80)
        #expect(JSONError.Code.tooDeep.description == "too_deep")
    }
}
