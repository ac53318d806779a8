import Testing
@testable import KeelCore

@Suite("JSONWriter")
struct JSONWriterTests {
    @Test("strings escape quotes, backslashes and control characters only")
    func escaping() throws {
        let value: JSONValue = .string("q\"b\\s/n\nr\rt\tb\u{08}f\u{0C}z\u{0}o\u{1}u\u{1F}d\u{7F}é日😀\u{2028}")
        let expected = #""q\"b\\s/n\nr\rt\tb\bf\fz\u0000o\u0001u\u001fd"# + "\u{7F}é日😀\u{2028}\""
        #expect(value.serialized() == Array(expected.utf8))
        #expect(try JSONValue(parsing: value.serialized()) == value)
    }

    @Test("escapes are found inside and across the word-sized fast path")
    func escapingPositions() throws {
        for length in 0..<20 {
            for position in 0...length {
                var scalars = Array(repeating: Unicode.Scalar("a"), count: length)
                scalars.insert("\"", at: position)
                var string = ""
                string.unicodeScalars.append(contentsOf: scalars)
                let expected = "\"" + String(repeating: "a", count: position) + "\\\""
                    + String(repeating: "a", count: length - position) + "\""
                #expect(JSONValue.string(string).serializedString() == expected)
                #expect(try JSONValue(parsing: expected).stringValue == string)
            }
        }
    }

    @Test("keys are escaped too")
    func keyEscaping() {
        let value: JSONValue = ["a\"b": 1, "line\n": 2]
        #expect(value.serializedString() == #"{"a\"b":1,"line\n":2}"#)
    }

    @Test("pretty printing indents by two spaces")
    func prettyPrinting() {
        let value: JSONValue = [
            "model": "m",
            "messages": [["role": "user", "content": "hi"]],
            "empty_list": [],
            "empty_object": [:],
            "n": 1.5,
            "flags": [true, nil],
        ]
        let expected = """
            {
              "model": "m",
              "messages": [
                {
                  "role": "user",
                  "content": "hi"
                }
              ],
              "empty_list": [],
              "empty_object": {},
              "n": 1.5,
              "flags": [
                true,
                null
              ]
            }
            """
        #expect(value.serializedString(options: .prettyPrinted) == expected)
        #expect(JSONValue.string("x").serializedString(options: .prettyPrinted) == #""x""#)
    }

    @Test("sorted keys order members by UTF-8 bytes at every level")
    func sortedKeys() {
        let value: JSONValue = [
            "b": ["z": 1, "a": 2],
            "a": [["y": nil, "x": true]],
            "B": 0,
            "é": 1,
            "e": 2,
            "": 3,
        ]
        #expect(value.serializedString(options: .sortedKeys)
            == #"{"":3,"B":0,"a":[{"x":true,"y":null}],"b":{"a":2,"z":1},"e":2,"é":1}"#)
        #expect(value.serializedString(options: [.sortedKeys, .prettyPrinted]) == """
            {
              "": 3,
              "B": 0,
              "a": [
                {
                  "x": true,
                  "y": null
                }
              ],
              "b": {
                "a": 2,
                "z": 1
              },
              "e": 2,
              "é": 1
            }
            """)
        // Reordered input gives identical sorted output.
        let reordered: JSONValue = ["": 3, "é": 1, "e": 2, "B": 0, "a": [["x": true, "y": nil]], "b": ["a": 2, "z": 1]]
        #expect(reordered.serialized(options: .sortedKeys) == value.serialized(options: .sortedKeys))
    }

    @Test("write appends to an existing buffer")
    func appending() {
        var buffer = Array("data: ".utf8)
        JSONWriter().write(["ok": true], into: &buffer)
        JSONWriter(options: .sortedKeys).write(["b": 1, "a": 2], into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"data: {"ok":true}{"a":2,"b":1}"#)
    }

    @Test("scalars and numbers built in code")
    func scalars() {
        #expect(JSONValue.null.serializedString() == "null")
        #expect(JSONValue.bool(false).serializedString() == "false")
        #expect(JSONValue(-42).serializedString() == "-42")
        #expect(JSONValue(0.1).serializedString() == "0.1")
        #expect(JSONValue(100.0).serializedString() == "100.0")
        #expect(JSONValue(Double.nan).serializedString() == "null")
        #expect(JSONValue.array([]).serializedString() == "[]")
        #expect(JSONValue.object(JSONObject()).serializedString() == "{}")
        #expect(JSONValue.string("").serializedString() == #""""#)
    }

    @Test("large output grows the buffer correctly")
    func largeOutput() throws {
        let long = String(repeating: "0123456789\"", count: 50_000)
        let value: JSONValue = .array(Array(repeating: .string(long), count: 4))
        let bytes = value.serialized()
        #expect(bytes.count == 4 * (long.utf8.count + 50_000 + 2) + 5)
        #expect(try JSONValue(parsing: bytes) == value)
    }
}
