import KeelConfig
import KeelCore
import KeelGuardrails
import KeelStore

/// Redacts captured prompts and completions before they are recorded (span attributes and the
/// request log): the `pii` detector's standard entity types and the `secrets` detector, each value
/// replaced by a placeholder such as `[EMAIL_1]` or `[OPENAI_API_KEY_1]`.
///
/// It works on a copy: what the client sends upstream and what it receives are never changed by
/// it. It has its own detectors and counts nothing in `keel_guardrail_actions_total`, which stays
/// the count of policy actions on traffic.
public struct ContentRedactor: Sendable {
    private let guardrails: Guardrails
    private let policy: Policy
    /// What the captured content records as its redaction (`pii`).
    public let name: String

    /// The standard redaction: every built-in PII type and every secret type.
    public static func pii() throws -> ContentRedactor {
        try sharedPII.get()
    }

    /// Compiled once per process: the detectors' pattern databases take a moment to build, and
    /// every application in the process redacts with the same standard types.
    private static let sharedPII = Result<ContentRedactor, any Error> { try makePII() }

    private static func makePII() throws -> ContentRedactor {
        let policy = Policy(name: "capture", input: [
            PolicyEntry(detector: try PIIDetector(), action: .redact),
            PolicyEntry(detector: try SecretsDetector(), action: .redact),
        ])
        return ContentRedactor(guardrails: try Guardrails(config: GuardrailsConfig(), classifier: nil), policy: policy, name: "pii")
    }

    /// `texts` with every finding replaced; one value gets the same placeholder in every text.
    public func redact(_ texts: [String]) -> [String] {
        guard !texts.isEmpty else { return texts }
        return guardrails.apply(texts, source: .input, policy: policy).texts
    }
}

/// A request's captured content as it is recorded: GenAI-convention message arrays redacted and
/// cut to size, serialised once for the span and the request log.
struct CapturedContent: Sendable, Equatable {
    /// `gen_ai.input.messages`: the request's messages (JSON text).
    var input: String?
    /// `gen_ai.output.messages`: the answer's messages (JSON text).
    var output: String?
    var inputTruncated = false
    var outputTruncated = false

    /// Redacts both sides in one pass (so a value has one placeholder in the prompt and the answer)
    /// and fits each into `maxBytes` of JSON.
    init(input: [JSONValue]?, output: [JSONValue]?, redactor: ContentRedactor?, maxBytes: Int) {
        var input = input
        var output = output
        // Fail closed: content that could not be redacted is not recorded at all.
        if let redactor, !Self.redact(&input, &output, with: redactor) {
            input = nil
            output = nil
        }
        if let input {
            let fitted = Self.fit(input, maxBytes: maxBytes)
            self.input = fitted.text
            inputTruncated = fitted.truncated
        }
        if let output {
            let fitted = Self.fit(output, maxBytes: maxBytes)
            self.output = fitted.text
            outputTruncated = fitted.truncated
        }
    }

    /// Whether either side was cut.
    var truncated: Bool { inputTruncated || outputTruncated }

    /// The members of a message part that hold text: a text's `content`, a tool call's `arguments`,
    /// a tool result's `response`, an image's `uri`.
    static let textMembers = ["content", "arguments", "response", "uri"]

    /// Replaces every text of both sides by its redaction. Inline image data (`blob` parts) is left
    /// out: text detectors cannot see into it. False when the redaction did not answer for every
    /// text (the caller then records nothing).
    static func redact(_ input: inout [JSONValue]?, _ output: inout [JSONValue]?, with redactor: ContentRedactor) -> Bool {
        var texts: [String] = []
        func collect(_ text: String) -> String {
            texts.append(text)
            return text
        }
        if input != nil { mapTexts(&input!, collect) }
        if output != nil { mapTexts(&output!, collect) }
        guard !texts.isEmpty else { return true }
        let redacted = redactor.redact(texts)
        guard redacted.count == texts.count else { return false }
        var index = 0
        func replace(_: String) -> String {
            defer { index += 1 }
            return redacted[index]
        }
        if input != nil { mapTexts(&input!, replace) }
        if output != nil { mapTexts(&output!, replace) }
        return true
    }

    /// Visits the texts of every part of `messages` in a fixed order, replacing each by `transform`'s
    /// result; drops the data of `blob` parts.
    static func mapTexts(_ messages: inout [JSONValue], _ transform: (String) -> String) {
        for m in messages.indices {
            guard case .object(var message) = messages[m], case .array(var parts)? = message["parts"] else { continue }
            for p in parts.indices {
                guard case .object(var part) = parts[p] else { continue }
                if part["type"]?.stringValue == "blob" {
                    _ = part.removeValue(forKey: "content")
                } else {
                    for member in textMembers {
                        guard var value = part[member] else { continue }
                        mapStrings(&value, transform)
                        part[member] = value
                    }
                }
                parts[p] = .object(part)
            }
            message["parts"] = .array(parts)
            messages[m] = .object(message)
        }
    }

    /// Every string inside `value` (tool-call arguments are JSON of their own), through `transform`.
    static func mapStrings(_ value: inout JSONValue, _ transform: (String) -> String) {
        switch value {
        case .string(let text):
            value = .string(transform(text))
        case .array(var items):
            for index in items.indices { mapStrings(&items[index], transform) }
            value = .array(items)
        case .object(var object):
            for key in object.keys {
                guard var member = object[key] else { continue }
                mapStrings(&member, transform)
                object[key] = member
            }
            value = .object(object)
        default:
            break
        }
    }

    /// `messages` as JSON text of at most `maxBytes` UTF-8 bytes, still valid JSON: when the whole
    /// does not fit, messages and parts are kept in order while they fit, the text of the first
    /// part that does not is cut at a character boundary, and the rest is left out.
    static func fit(_ messages: [JSONValue], maxBytes: Int) -> (text: String, truncated: Bool) {
        let whole = JSONValue.array(messages).serializedString()
        if whole.utf8.count <= maxBytes { return (whole, false) }
        var kept: [JSONValue] = []
        var used = 2  // the brackets
        outer: for message in messages {
            guard case .object(var shell) = message else { continue }
            let parts = shell["parts"]?.arrayValue ?? []
            shell["parts"] = .array([])
            let shellSize = JSONValue.object(shell).serializedString().utf8.count + (kept.isEmpty ? 0 : 1)
            guard used + shellSize <= maxBytes else { break }
            used += shellSize
            var keptParts: [JSONValue] = []
            for part in parts {
                let separator = keptParts.isEmpty ? 0 : 1
                let size = part.serializedString().utf8.count + separator
                if used + size <= maxBytes {
                    keptParts.append(part)
                    used += size
                    continue
                }
                if let cut = cut(part, toFit: maxBytes - used - separator) { keptParts.append(cut) }
                shell["parts"] = .array(keptParts)
                kept.append(.object(shell))
                break outer
            }
            shell["parts"] = .array(keptParts)
            kept.append(.object(shell))
        }
        return (JSONValue.array(kept).serializedString(), true)
    }

    /// A text part whose `content` is cut so that the part serialises to at most `budget` bytes;
    /// nil when it is not a text part or not even its start fits.
    static func cut(_ part: JSONValue, toFit budget: Int) -> JSONValue? {
        guard case .object(var object) = part, case .string(let text)? = object["content"], object["type"]?.stringValue == "text" else { return nil }
        object["content"] = .string("")
        let empty = JSONValue.object(object).serializedString().utf8.count
        let bytes = Array(text.utf8)
        var limit = min(bytes.count, budget - empty)
        while limit > 0 {
            var end = limit
            // Step back over UTF-8 continuation bytes so no character is split.
            while end > 0, end < bytes.count, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            object["content"] = .string(String(decoding: bytes[..<end], as: UTF8.self))
            let size = JSONValue.object(object).serializedString().utf8.count
            if size <= budget { return .object(object) }
            // Escapes made it longer than the raw bytes: shorten by the excess and try again.
            limit = end - (size - budget)
        }
        return nil
    }
}

extension Gateway {
    /// The request's captured content, redacted and cut to size; nil when nothing was captured.
    func capturedContent(_ telemetry: RequestTelemetry) -> CapturedContent? {
        let output = telemetry.outputMessages ?? telemetry.response.outputMessages
        guard telemetry.captureContent, telemetry.inputMessages != nil || output != nil else { return nil }
        return CapturedContent(input: telemetry.inputMessages, output: output, redactor: self.telemetry.redactor, maxBytes: self.telemetry.capture.maxBytes)
    }

    /// What the request log keeps of `captured`.
    func logContent(_ captured: CapturedContent) -> RequestLogContent {
        RequestLogContent(
            input: captured.input, output: captured.output, inputTruncated: captured.inputTruncated,
            outputTruncated: captured.outputTruncated, redaction: telemetry.redactor?.name ?? "none"
        )
    }
}
