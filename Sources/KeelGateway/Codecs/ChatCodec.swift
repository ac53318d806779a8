#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KeelCore

/// What the wire-format codecs (``OpenAIChatCodec``, ``AnthropicMessagesCodec``) share: typed
/// readers for the members of a client's request, whose errors name the member's path
/// (`messages[2].content`), and helpers for upstream answers.
///
/// A codec supplies only the wording of its two request errors, in the style of the API it serves,
/// so that clients see the messages their SDKs are used to.
protocol ChatCodec {
    /// The error for a required member that is absent or `null`.
    static func missingMember(_ path: String) -> GatewayError
    /// The error for a member whose value is not of the `expected` type.
    static func invalidType(_ path: String, expected: JSONKind, got value: JSONValue) -> GatewayError
}

/// The JSON types a request member can be required to have.
enum JSONKind: Sendable {
    case object, array, string, boolean, integer, number
}

/// A JSON type a request member must have: its ``JSONKind`` (for error messages) and how to read it.
struct JSONType<Value> {
    let kind: JSONKind
    let read: (JSONValue) -> Value?
}

extension JSONType where Value == JSONObject {
    static var object: Self { Self(kind: .object) { $0.objectValue } }
}

extension JSONType where Value == [JSONValue] {
    static var array: Self { Self(kind: .array) { $0.arrayValue } }
}

extension JSONType where Value == String {
    static var string: Self { Self(kind: .string) { $0.stringValue } }
}

extension JSONType where Value == Bool {
    static var bool: Self { Self(kind: .boolean) { $0.boolValue } }
}

extension JSONType where Value == Int {
    static var int: Self { Self(kind: .integer) { $0.intValue } }
}

extension JSONType where Value == Double {
    static var double: Self { Self(kind: .number) { $0.doubleValue } }
}

// MARK: - Reading requests

extension ChatCodec {
    /// `value` as `type`; `null` is a type error like any other wrong type.
    static func read<T>(_ value: JSONValue, at path: String, _ type: JSONType<T>) throws(GatewayError) -> T {
        guard let result = type.read(value) else { throw invalidType(path, expected: type.kind, got: value) }
        return result
    }

    /// `value` of any type; absent or `null` is a missing member.
    static func required(_ value: JSONValue?, at path: String) throws(GatewayError) -> JSONValue {
        guard let value, !value.isNull else { throw missingMember(path) }
        return value
    }

    /// `value` as `type`; absent or `null` is a missing member.
    static func required<T>(_ value: JSONValue?, at path: String, _ type: JSONType<T>) throws(GatewayError) -> T {
        try read(required(value, at: path), at: path, type)
    }

    /// `value` as `type`, or nil when absent or `null`.
    static func optional<T>(_ value: JSONValue?, at path: String, _ type: JSONType<T>) throws(GatewayError) -> T? {
        guard let value, !value.isNull else { return nil }
        return try read(value, at: path, type)
    }

    /// Member `key` of `object` (found at `parent`, nil for the top level) as `type`.
    static func required<T>(_ object: JSONObject, _ key: String, _ type: JSONType<T>, in parent: String? = nil) throws(GatewayError) -> T {
        try required(object[key], at: memberPath(key, parent), type)
    }

    /// Member `key` of `object` (found at `parent`, nil for the top level) as `type`, or nil when
    /// absent or `null`.
    static func optional<T>(_ object: JSONObject, _ key: String, _ type: JSONType<T>, in parent: String? = nil) throws(GatewayError) -> T? {
        try optional(object[key], at: memberPath(key, parent), type)
    }

    /// `parent.key`, or `key` at the top level.
    static func memberPath(_ key: String, _ parent: String?) -> String {
        parent.map { "\($0).\(key)" } ?? key
    }
}

// MARK: - Encoding conversations

extension ChatCodec {
    /// `turns` (the encoded conversation, system prompt apart), or an error naming `provider` when
    /// it is empty: Anthropic, Bedrock and Gemini refuse a request without a user or assistant turn,
    /// which an OpenAI request of system or developer messages alone (or of empty messages) becomes.
    /// Refusing it here answers the client at once, without a call the provider would refuse.
    static func nonEmptyConversation(_ turns: [JSONValue], provider: String) throws(GatewayError) -> [JSONValue] {
        guard turns.isEmpty else { return turns }
        throw GatewayError.invalid(
            "messages: \(provider) models need at least one user or assistant message with content; system and developer messages alone cannot be sent.",
            param: "messages", code: "invalid_value"
        )
    }

    /// `turns` (role and encoded blocks per message, in order) as the alternating conversation that
    /// Anthropic, Bedrock and Gemini require: empty turns dropped, consecutive turns of one role
    /// merged, and in each user turn the tool results (`isToolResult`) moved to the front, where
    /// those APIs expect them right after the assistant's tool calls.
    static func alternatingTurns(_ turns: [(role: String, blocks: [JSONValue])], toolResultsFirst isToolResult: (JSONValue) -> Bool) -> [(role: String, blocks: [JSONValue])] {
        var merged: [(role: String, blocks: [JSONValue])] = []
        for turn in turns where !turn.blocks.isEmpty {
            if let last = merged.last, last.role == turn.role {
                merged[merged.count - 1].blocks += turn.blocks
            } else {
                merged.append(turn)
            }
        }
        return merged.map { turn in
            guard turn.role == "user" else { return turn }
            let results = turn.blocks.filter(isToolResult)
            guard !results.isEmpty else { return turn }
            return (turn.role, results + turn.blocks.filter { !isToolResult($0) })
        }
    }
}

// MARK: - Upstream answers

extension ChatCodec {
    /// A fresh id for an answer an upstream sent without one: `prefix` and 24 random hex digits
    /// (`chatcmpl-…`, `msg_…`).
    static func makeID(prefix: String) -> String {
        prefix + Digest.hex(Digest.randomBytes(12))
    }

    /// `text` with every word that looks like a credential (`sk-…`, the word after `Bearer`, long
    /// key-like tokens, also inside a word such as `key=sk-…`) replaced by `[redacted]`.
    ///
    /// Upstream error messages are copied into client responses and logs; some providers and
    /// proxies echo the key they were sent.
    static func scrubSecrets(_ text: String) -> String {
        var out: [String] = []
        var redactNext = false
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let core = word.trimmingPrefix(while: { !$0.isLetter && !$0.isNumber })
            if redactNext, !core.isEmpty {
                out.append("[redacted]")
                redactNext = false
                continue
            }
            if core.lowercased() == "bearer" {
                redactNext = true
                out.append(String(word))
                continue
            }
            out.append(redactingKeys(in: word))
        }
        return out.joined(separator: " ")
    }

    /// `word` with each run of key characters that looks like a credential replaced.
    private static func redactingKeys(in word: Substring) -> String {
        func isKeyCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "-" || c == "_" || c == "*" }
        let keyPrefixes = ["sk-", "sk_", "gsk_", "xai-", "AIza", "key-", "pk-"]
        var result = ""
        var rest = word[...]
        while let start = rest.firstIndex(where: isKeyCharacter) {
            result += rest[..<start]
            let end = rest[start...].firstIndex { !isKeyCharacter($0) } ?? rest.endIndex
            let token = rest[start..<end]
            let looksLikeKey = keyPrefixes.contains { token.hasPrefix($0) } && token.count >= 8
                || token.count >= 32 && token.contains(where: \.isNumber) && token.contains(where: \.isLetter)
            result += looksLikeKey ? "[redacted]" : token
            rest = rest[end...]
        }
        return result + rest
    }

    /// A short, single-line excerpt of a non-JSON error body; nil for empty bodies, HTML pages and
    /// binary data.
    static func plainTextSnippet(_ body: [UInt8]) -> String? {
        guard let text = String(validating: body, as: UTF8.self) else { return nil }
        let trimmed = text.trimmingPrefix(while: \.isWhitespace)
        guard !trimmed.isEmpty, !trimmed.hasPrefix("<") else { return nil }
        var line = ""
        for character in trimmed.prefix(200) {
            line.append(character.isNewline ? " " : character)
        }
        while line.last?.isWhitespace == true { line.removeLast() }
        return line
    }
}

/// The current time in Unix seconds, for answers that carry no creation time.
@usableFromInline
func currentUnixTime() -> Int {
    Int(time(nil))
}
