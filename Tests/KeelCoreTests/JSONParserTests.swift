import Testing
@testable import KeelCore

@Suite("JSONParser")
struct JSONParserTests {
    // MARK: Realistic payloads

    static let openAIRequest = #"""
    {"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant. Quote users exactly: \"like this\"."},{"role":"user","content":[{"type":"text","text":"What is in this image? 这是什么？ 🤔"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==","detail":"low"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris, FR\",\"unit\":\"celsius\"}"}}]},{"role":"tool","tool_call_id":"call_abc123","content":"{\"temperature\":21.5,\"conditions\":\"sunny\"}"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Get the current weather in a given location","parameters":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location"]}}}],"tool_choice":"auto","temperature":0.7,"top_p":1,"n":1,"stream":false,"seed":12345678901234567890,"max_tokens":1024,"logit_bias":{"50256":-100},"user":"user-1234"}
    """#

    static let openAIResponse = #"""
    {"id":"chatcmpl-9pXqK3zV","object":"chat.completion","created":1721234567,"model":"gpt-4o-2024-05-13","choices":[{"index":0,"message":{"role":"assistant","content":"The image shows a tiny PNG.\nIt's 1×1 pixel — «small».\tTabs too. 日本語のテキスト。 😀👍🏽","refusal":null},"logprobs":{"content":[{"token":"The","logprob":-0.00012,"bytes":[84,104,101],"top_logprobs":[]}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":1234,"completion_tokens":56,"total_tokens":1290,"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp_3aa7262c27"}
    """#

    static let anthropicRequest = #"""
    {"model":"claude-3-5-sonnet-20241022","max_tokens":2048,"system":[{"type":"text","text":"You answer in haiku.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="}},{"type":"text","text":"Describe this — in Korean: 한국어로 설명해 주세요. Use \\n for newlines, not \"\\r\\n\"."}]},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"lookup","input":{"query":"jpeg \"header\"","limit":5,"exact":true,"weights":[0.5,1e-3,-2E+2]}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01A09q90qw90lq917835lq9","content":"ok \u00e9\u0301 \ud83d\ude00","is_error":false}]}],"tools":[{"name":"lookup","description":"Search the index","input_schema":{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":100}},"required":["query"]}}],"stop_sequences":["\n\nHuman:"],"temperature":0,"top_k":40,"metadata":{"user_id":"6f1c0d3e-0b0e-4b5e-9d3f-2a1b7c9e8f00"},"stream":true}
    """#

    @Test("realistic payloads round-trip byte for byte", arguments: [
        JSONParserTests.openAIRequest, JSONParserTests.openAIResponse,
    ])
    func exactRoundTrip(text: String) throws {
        let value = try JSONValue(parsing: text)
        #expect(value.serializedString() == text)
        #expect(value.serialized() == Array(text.utf8))
        // Pretty output parses back to the same value.
        let pretty = value.serializedString(options: .prettyPrinted)
        #expect(try JSONValue(parsing: pretty) == value)
        #expect(try JSONValue(parsing: value.serialized(options: [.prettyPrinted, .sortedKeys])) == value)
    }

    @Test("OpenAI request contents")
    func openAIRequestContents() throws {
        let value = try JSONValue(parsing: Self.openAIRequest)
        #expect(value["model"] == "gpt-4o")
        #expect(value["messages"]?[0]?["content"]?.stringValue
            == "You are a helpful assistant. Quote users exactly: \"like this\".")
        #expect(value["messages"]?[1]?["content"]?[0]?["text"]?.stringValue == "What is in this image? 这是什么？ 🤔")
        let arguments = try #require(value["messages"]?[2]?["tool_calls"]?[0]?["function"]?["arguments"]?.stringValue)
        #expect(arguments == #"{"location":"Paris, FR","unit":"celsius"}"#)
        #expect(try JSONValue(parsing: arguments)["unit"] == "celsius")
        #expect(value["messages"]?[2]?["content"]?.isNull == true)
        #expect(value["seed"]?.numberValue?.text == "12345678901234567890")
        #expect(value["logit_bias"]?["50256"]?.intValue == -100)
        #expect(value["stream"]?.boolValue == false)
        #expect(value.objectValue?.keys.first == "model")
        #expect(value.objectValue?.keys.last == "user")
    }

    @Test("Anthropic request: escapes decode and re-encode to an equal document")
    func anthropicRequest() throws {
        let value = try JSONValue(parsing: Self.anthropicRequest)
        let text = try #require(value["messages"]?[0]?["content"]?[1]?["text"]?.stringValue)
        #expect(text == "Describe this — in Korean: 한국어로 설명해 주세요. Use \\n for newlines, not \"\\r\\n\".")
        let toolResult = try #require(value["messages"]?[2]?["content"]?[0]?["content"]?.stringValue)
        let expectedScalars: [Unicode.Scalar] = ["o", "k", " ", "\u{E9}", "\u{301}", " ", "\u{1F600}"]
        #expect(Array(toolResult.unicodeScalars) == expectedScalars)
        #expect(value["stop_sequences"]?[0] == "\n\nHuman:")
        #expect(value["messages"]?[1]?["content"]?[0]?["input"]?["weights"]?[2]?.doubleValue == -200)
        let data = try #require(value["messages"]?[0]?["content"]?[0]?["source"]?["data"]?.stringValue)
        #expect(data.hasPrefix("/9j/4AAQ") && data.hasSuffix("PxA="))

        // `\u` escapes are written back as raw UTF-8, other content is unchanged.
        let again = value.serializedString()
        #expect(try JSONValue(parsing: again) == value)
        let toolResultJSON = value["messages"]?[2]?["content"]?[0]?["content"]?.serialized()
        #expect(toolResultJSON == Array("\"ok \u{E9}\u{301} 😀\"".utf8))
        #expect(again.contains(#"Use \\n for newlines, not \"\\r\\n\"."#))
        #expect(again.contains(#""weights":[0.5,1e-3,-2E+2]"#))
    }

    static let fixtures: [String] = [openAIRequest, openAIResponse, anthropicRequest]

    @Test("every proper prefix of a document ends unexpectedly at its end", arguments: fixtures)
    func truncation(text: String) throws {
        let bytes = Array(text.utf8)
        for length in 0..<bytes.count {
            let error = try #require(throws: JSONError.self) { try JSONParser().parse(bytes[..<length]) }
            #expect(error.code == .unexpectedEnd && error.offset == length, "prefix of \(length) bytes: \(error)")
        }
    }

    @Test("corrupting any single byte never crashes and never yields trailing garbage")
    func corruption() throws {
        let bytes = Array(Self.anthropicRequest.utf8)
        for position in bytes.indices {
            let replacements: [UInt8] = [0x00, 0x22, 0x5C, 0x7D, 0x5D, 0x2C, 0xFF, 0xC3]
            for replacement in replacements {
                var corrupted = bytes
                corrupted[position] = replacement
                switch Result(catching: { () throws(JSONError) -> JSONValue in try JSONParser().parse(corrupted) }) {
                case .success(let value):
                    // Whatever was accepted must survive a round trip.
                    #expect(try JSONValue(parsing: value.serialized()) == value)
                case .failure(let error):
                    #expect(error.offset >= 0 && error.offset <= corrupted.count)
                    #expect(error.line >= 1 && error.column >= 1)
                }
            }
        }
    }

    // MARK: Accepted inputs

    @Test("accepted edge cases", arguments: [
        ("[]", JSONValue.array([])),
        ("{}", JSONValue.object([:])),
        (" \t\r\n[1] \n", [1]),
        ("0", 0),
        ("-0", .number(JSONNumber(text: "-0")!)),
        ("\"\"", ""),
        ("null", nil),
        ("true", true),
        ("false", false),
        (#"{"":0}"#, ["": 0]),
        (#""\u00e9\u00E9""#, "éé"),
        (#""\ud83d\ude00""#, "😀"),
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
        (#""\u0000""#, "\u{0}"),
        ("\"\u{7F}\"", "\u{7F}"),
        ("\"\u{10FFFF}\"", "\u{10FFFF}"),
        (#"[1e5,1E-5,-0.0,0.5e+1]"#, [.number(JSONNumber(text: "1e5")!), .number(JSONNumber(text: "1E-5")!),
                                      .number(JSONNumber(text: "-0.0")!), .number(JSONNumber(text: "0.5e+1")!)]),
        (#"[[[[]]]]"#, [[[[]]]]),
        (#"{"a":{"b":{"c":[null]}}}"#, ["a": ["b": ["c": [nil]]]]),
        ("\"日本語 한국어 😀\"", "日本語 한국어 😀"),
        (#""a long string that exceeds eight bytes with \" escapes \u0041 in the middle and at the end\n""#,
         "a long string that exceeds eight bytes with \" escapes A in the middle and at the end\n"),
    ] as [(String, JSONValue)])
    func accepts(text: String, expected: JSONValue) throws {
        let value = try JSONValue(parsing: text)
        #expect(value == expected)
        #expect(try JSONValue(parsing: value.serialized()) == value)
    }

    @Test("all input forms give the same result")
    func inputForms() throws {
        let text = #"{"k":[1,"two",null]}"#
        let expected: JSONValue = ["k": [1, "two", nil]]
        let bytes = Array(text.utf8)
        #expect(try JSONParser().parse(text) == expected)
        #expect(try JSONParser().parse(bytes) == expected)
        #expect(try JSONParser().parse(bytes[...]) == expected)
        #expect(try JSONParser().parse(text.utf8) == expected)
        #expect(try JSONParser().parse(AnyCollection(bytes)) == expected)  // not contiguous
        #expect(try bytes.withUnsafeBytes { (raw) throws(JSONError) -> JSONValue in try JSONParser().parse(raw) } == expected)
        #expect(try JSONValue(parsing: bytes[...]) == expected)
        let substring = ("xx" + text).dropFirst(2)
        #expect(try JSONValue(parsing: substring.utf8) == expected)
    }

    @Test("depth limit: exactly the limit parses, one more is tooDeep")
    func depthLimit() throws {
        let parser = JSONParser(maxDepth: 8)
        let ok = String(repeating: "[", count: 8) + String(repeating: "]", count: 8)
        #expect(try parser.parse(ok).arrayValue?.count == 1)
        let deep = String(repeating: "[", count: 9) + String(repeating: "]", count: 9)
        let error = try #require(throws: JSONError.self) { try parser.parse(deep) }
        #expect(error.code == .tooDeep)
        #expect(error.offset == 8)
        let objects = String(repeating: #"{"a":"#, count: 9) + "1" + String(repeating: "}", count: 9)
        #expect(throws: JSONError.self) { try parser.parse(objects) }
    }

    @Test("very deep nesting fails cleanly with the default limit")
    func hugeNesting() throws {
        for opener in ["[", #"{"k":"#, "[{\"k\":"] {
            let text = String(repeating: opener, count: 100_000)
            let error = try #require(throws: JSONError.self) { try JSONValue(parsing: text) }
            #expect(error.code == .tooDeep)
        }
        let atLimit = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(throws: Never.self) { try JSONValue(parsing: atLimit) }
    }

    @Test("large documents with many members and elements")
    func largeDocument() throws {
        var members: [String] = []
        for index in 0..<2_000 {
            members.append(#""key\#(index)":{"id":\#(index),"tags":["a","b"],"ratio":\#(index).5}"#)
        }
        let text = "{" + members.joined(separator: ",") + "}"
        let value = try JSONValue(parsing: text)
        #expect(value.objectValue?.count == 2_000)
        #expect(value["key1999"]?["id"]?.intValue == 1_999)
        #expect(value["key7"]?["ratio"]?.doubleValue == 7.5)
        #expect(value.serializedString() == text)
    }

    @Test("invalid UTF-8 is reported at the first bad byte", arguments: [
        ([0x22, 0x61, 0xFF, 0x62, 0x22], 2),          // 0xFF never appears in UTF-8
        ([0x22, 0xC0, 0x80, 0x22], 1),                // overlong NUL
        ([0x22, 0x61, 0xED, 0xA0, 0x80, 0x22], 2),    // encoded surrogate
        ([0x22, 0xE2, 0x82, 0x22], 1),                // truncated sequence
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),    // above U+10FFFF
        ([0x22, 0x80, 0x22], 1),                      // stray continuation byte
        ([0x22, 0x5C, 0x6E, 0xC3, 0x22], 3),          // after an escape
        (Array("\"0123456789abcdef".utf8) + [0xC3, 0x28, 0x22], 17),  // after the word-sized fast path
        (Array("\"".utf8) + Array(String(repeating: "é", count: 150).utf8) + [0xFF, 0x22], 301),  // long string
        (Array("\"\\n".utf8) + Array(String(repeating: "日", count: 100).utf8) + [0xED, 0xBF, 0xBF, 0x22], 303),
    ] as [([UInt8], Int)])
    func invalidUTF8(bytes: [UInt8], offset: Int) throws {
        let error = try #require(throws: JSONError.self) { try JSONParser().parse(bytes) }
        #expect(error.code == .invalidUTF8)
        #expect(error.offset == offset)
    }

    @Test("long non-ASCII strings with and without escapes")
    func longStrings() throws {
        let unit = "Grüße, 世界! 😀 "
        let plain = String(repeating: unit, count: 40)
        #expect(try JSONValue(parsing: "\"" + plain + "\"").stringValue == plain)
        let escaped = String(repeating: unit + "\\n\\\"", count: 40)
        let decoded = String(repeating: unit + "\n\"", count: 40)
        let value = try JSONValue(parsing: "[\"" + escaped + "\"]")
        #expect(value[0]?.stringValue == decoded)
        #expect(value.serializedString() == "[\"" + escaped + "\"]")
    }

    @Test("valid multi-byte UTF-8 of every length is accepted")
    func validUTF8() throws {
        let text = "\"$ ¢ € 𐍈 \u{7FF} \u{800} \u{FFFF} \u{10000} \u{10FFFF} \u{E000}\""
        #expect(try JSONValue(parsing: Array(text.utf8)).stringValue == String(text.dropFirst().dropLast()))
    }
}
