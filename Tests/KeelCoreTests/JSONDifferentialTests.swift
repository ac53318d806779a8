import Foundation
import Testing
@testable import KeelCore

/// Compares `JSONParser` with Foundation's `JSONSerialization` on the structural level.
@Suite("JSONParser against JSONSerialization")
struct JSONDifferentialTests {
    static let accepted: [String] = [
        "[]", "{}", "0", "-0", "1.5", "\"x\"", "true", "false", "null",
        #"{"a":[1,2,{"b":null}],"c":"d"}"#,
        #"[1e2,-1E-2,0.000001,123456789,-987654321.125]"#,
        #"{"nested":{"deeper":{"deepest":[[[]]]}}}"#,
        #"["\u00e9","\ud83d\ude00","\"\\\/\b\f\n\r\t","日本語","\u0001"]"#,
        " \n\t\r{ \"spaced\" : [ 1 , 2 ] } \n",
        #"{"a":1,"a":2}"#,
        #"{"":""}"#,
        #"[true,false,null,"true","null",0,""]"#,
        JSONParserTests.openAIRequest,
        JSONParserTests.openAIResponse,
        JSONParserTests.anthropicRequest,
    ]

    // Foundation on Linux accepts trailing commas (`[1,]`, `{"a":1,}`); the strict parser
    // rejects them (see JSONErrorTests), so they are not part of this comparison.
    static let rejected: [String] = [
        "", "01", "1.", ".1", "-", "tru", "[", "{", "\"abc", "[1 2]",
        "NaN", "Infinity", "'a'", "{a:1}", "[1]x", "\"\\x\"", "\"a\u{1}b\"", "[\"\\u12\"]", "\"\\uD800\"", "[1 /* c */]",
    ]

    @Test("documents Foundation accepts parse to the same structure", arguments: accepted)
    func sameStructure(text: String) throws {
        let ours = try JSONValue(parsing: text)
        let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        #expect(Self.matches(ours, theirs), "\(ours) differs from \(theirs)")
    }

    @Test("documents Foundation rejects are rejected", arguments: rejected)
    func bothReject(text: String) {
        let data = Data(text.utf8)
        #expect(throws: (any Error).self) {
            try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        }
        #expect(throws: JSONError.self) { try JSONValue(parsing: text) }
    }

    @Test("our output is read back by Foundation", arguments: accepted)
    func foundationReadsOurOutput(text: String) throws {
        let ours = try JSONValue(parsing: text)
        for options in [JSONWriter.Options(), .prettyPrinted, .sortedKeys] {
            let theirs = try JSONSerialization.jsonObject(with: Data(ours.serialized(options: options)),
                                                          options: [.fragmentsAllowed])
            #expect(Self.matches(ours, theirs))
        }
    }

    /// Structural equality: same kinds, equal strings and keys, numbers equal as doubles.
    static func matches(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null:
            return theirs is NSNull
        case .bool(let flag):
            guard let number = theirs as? NSNumber, isBoolean(number) else { return false }
            return number.boolValue == flag
        case .number(let number):
            guard let other = theirs as? NSNumber, !isBoolean(other) else { return false }
            return number.double == other.doubleValue
        case .string(let string):
            guard let other = theirs as? String else { return false }
            return Array(other.unicodeScalars) == Array(string.unicodeScalars)
        case .array(let elements):
            guard let other = theirs as? [Any], other.count == elements.count else { return false }
            return zip(elements, other).allSatisfy { matches($0, $1) }
        case .object(let object):
            guard let other = theirs as? [String: Any], other.count == object.count else { return false }
            return object.allSatisfy { member in
                other[member.key].map { matches(member.value, $0) } ?? false
            }
        }
    }

    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
