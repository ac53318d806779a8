import KeelCore
import Testing
@testable import KeelGuardrails
import KeelTestSupport

@Suite("Invisible text, word lists, JSON schema and canary detectors")
struct OtherDetectorTests {
    @Test("invisible and bidi characters are found, grouped, and removed by redaction")
    func invisible() {
        let detector = InvisibleTextDetector()
        let text = "pay\u{200B}\u{200B}pal \u{202E}gnp.exe and tags\u{E0041}\u{E0042}"
        #expect(types(detector, text) == ["ZERO_WIDTH", "BIDI_CONTROL", "TAG_CHARACTER"])
        let findings = detector.scan(ScanText(text))
        #expect(findings[0].codePointRange == 3..<5)
        #expect(detector.redactionStyle == .remove)
        // Emoji sequences joined by a zero-width joiner are ordinary text, and so is a leading BOM.
        #expect(types(detector, "family: 👨\u{200D}👩\u{200D}👧").isEmpty)
        #expect(types(detector, "\u{FEFF}hello").isEmpty)
        #expect(types(detector, "plain ascii").isEmpty)
    }

    @Test("banned words match whole words, case-insensitively, phrases across whitespace")
    func bannedWords() throws {
        let detector = try BannedWordsDetector(words: ["project falcon", "acme"])
        #expect(values(detector, "Status of PROJECT\nFalcon at Acme?") == ["PROJECT\nFalcon", "Acme"])
        #expect(types(detector, "acmeology and falconry").isEmpty)
    }

    @Test("banned topics need the configured number of distinct keywords")
    func bannedTopics() throws {
        let detector = try BannedTopicsDetector(topics: [.init(name: "weapons", keywords: ["rifle", "ammunition", "silencer"])], minimumMatches: 2)
        #expect(types(detector, "where to buy a rifle") == [])
        #expect(types(detector, "a rifle with a silencer and a rifle") == ["WEAPONS", "WEAPONS", "WEAPONS"])
    }

    @Test("JSON schema: type, properties, required, enum, items, additionalProperties")
    func jsonSchema() throws {
        let schema = try JSONSchema(parsing: """
        {"type": "object", "required": ["name", "tags"], "additionalProperties": false,
         "properties": {"name": {"type": "string"}, "level": {"enum": ["low", "high"]},
                        "tags": {"type": "array", "items": {"type": "string"}}, "n": {"type": "integer"}}}
        """)
        let detector = JSONSchemaDetector(schema: schema)
        #expect(detector.problems(in: #"{"name": "a", "tags": ["x"], "level": "low", "n": 3}"#).isEmpty)
        #expect(detector.problems(in: "```json\n{\"name\": \"a\", \"tags\": []}\n```").isEmpty)
        #expect(detector.problems(in: #"{"name": 1, "tags": [2], "level": "mid", "extra": true}"#) == [
            "$.name: expected string, got integer",
            "$.tags[0]: expected string, got integer",
            #"$.level: "mid" is not one of ["low","high"]"#,
            #"$: unexpected property "extra""#,
        ])
        #expect(detector.problems(in: #"{"tags": []}"#) == [#"$: missing required property "name""#])
        #expect(types(detector, "not json at all") == ["INVALID_JSON"])
        #expect(types(detector, #"{"name": "a"}"#) == ["SCHEMA_VIOLATION"])
        #expect(throws: JSONSchemaError.self) { try JSONSchema(parsing: "[1]") }
    }

    @Test("canary tokens are found even when spaced out or re-cased")
    func canary() throws {
        let canary = SystemPromptLeakDetector.makeCanary()
        #expect(canary.hasPrefix("keel-canary-") && canary.count == 28)
        let detector = try SystemPromptLeakDetector(canaries: ["keel-canary-0123456789abcdef"])
        #expect(types(detector, "my instructions say keel-canary-0123456789abcdef") == ["CANARY_TOKEN"])
        #expect(types(detector, "KEEL CANARY 0123 4567 89AB CDEF") == ["CANARY_TOKEN"])
        #expect(types(detector, "keel-canary-0123456789abcdee").isEmpty)
    }
}

// Found by fuzz/ (FuzzGuardrails: the same text gave different findings as the first and second
// text of a request): the AVX-512 scanner of Debian's Vectorscan 5.4.9 misses matches of
// multi-pattern databases depending on where they fall relative to 64-byte blocks.
@Suite("Vectorscan scanning")
struct VectorscanScanningTests {
    @Test("a phrase is found wherever it falls, after runs of one letter or of random letters")
    func everyOffset() throws {
        let detector = try BannedWordsDetector(words: ["project falcon", "acquisition target"])
        var generator = SeededGenerator(seed: 1)
        let letters = Array("abcdefghijklmnopqrstuvwxyz ")
        var missed: [Int] = []
        for length in 0..<300 {
            let repeated = String(repeating: "y", count: length) + " project falcon"
            let random = String((0..<length).map { _ in letters[Int(generator.next() % UInt64(letters.count))] }) + " project falcon"
            for text in [repeated, random] where detector.scan(ScanText(text)).count != 1 { missed.append(length) }
        }
        #expect(missed.isEmpty)
    }
}
