import KeelConfig
import KeelCore
import KeelGovernance
import KeelGuardrails
import KeelHTTP

/// Guardrails on chat requests: the policy for (model, caller's team, caller's key) is applied to
/// every text the client sends and every text the model answers.
///
/// Input: every text of the messages — the system prompt, user and assistant text, tool results —
/// is scanned in one call (so a value gets the same placeholder in every message), each with its
/// role (``guardrailRole(_:)``), so an entry scans only the roles it covers (`prompt_injection`
/// leaves out the system prompt by default). A `block` is a
/// 400 `guardrail_blocked` in the inbound API's error shape with `x-should-retry: false`, naming the
/// policy, the detectors and the types (never the values), and nothing is sent upstream. Redactions
/// are written back into the client's JSON, which is what every attempt forwards or translates.
///
/// Output: a whole answer's texts go through the output policy before they are returned; a streamed
/// answer passes every text delta through one ``StreamRedactor`` per content block, so a value split
/// across chunks is caught and no fragment of a redacted value reaches the client (such streams are
/// re-encoded from the decoded events, also when the formats match). A `block` ends the stream with
/// the inbound API's error event (a whole answer becomes the 400 above). When the input was redacted
/// with placeholders, the placeholders the model repeats are replaced by the caller's own values
/// (de-anonymisation); values first seen in the answer stay redacted. Tool-call arguments are not
/// scanned.
///
/// The request log entry records `guardrails_policy`, `guardrails_input` and `guardrails_output`
/// (`detector/TYPE/action=count`, never the values); `keel_guardrail_actions_total` counts the
/// actions. Without a `default` policy or a binding the gateway holds no ``Guardrails`` and does no
/// work for them.
extension Gateway {
    /// Applies the input policy to the call's texts, redacting them in `call.body`; throws the 400
    /// when the input is blocked. Returns what the output side needs, or nil when it has nothing to do.
    func guardInput(_ call: inout ChatCall, caller: Caller?, recorder: inout RequestRecorder) throws(GatewayError) -> ChatGuard? {
        guard let guardrails, let policy = guardrails.resolvePolicy(model: call.model, team: caller?.teamID, key: caller?.keyID) else { return nil }
        recorder.guardrails["guardrails_policy"] = policy.name
        var redaction = Redaction()
        if !policy.input.isEmpty {
            var texts: [String] = []
            var roles: [GuardrailRole?] = []
            Self.mapChatTexts(&call.body) { text, role in
                texts.append(text)
                roles.append(role)
                return text
            }
            if !texts.isEmpty {
                let outcome = guardrails.apply(texts, roles: roles, source: .input, policy: policy)
                if !outcome.findings.isEmpty { recorder.guardrails["guardrails_input"] = Self.findingSummary(outcome.findings) }
                if outcome.isBlocked { throw Self.guardrailBlocked(outcome.blockReason ?? "Blocked by guardrails policy \"\(policy.name)\".") }
                if outcome.texts != texts {
                    var index = 0
                    Self.mapChatTexts(&call.body) { _, _ in
                        defer { index += 1 }
                        return outcome.texts[index]
                    }
                }
                redaction = outcome.redaction
            }
        }
        if policy.output.isEmpty && redaction.isEmpty { return nil }
        return ChatGuard(guardrails: guardrails, model: call.model, team: caller?.teamID, key: caller?.keyID, redaction: redaction)
    }

    /// A whole answer (in the inbound format) after the output policy: texts redacted and
    /// de-anonymised; throws the 400 when the output is blocked.
    static func guardOutput(_ answer: [UInt8], inbound: WireFormat, guard chatGuard: ChatGuard, recorder: inout RequestRecorder) throws(GatewayError) -> [UInt8] {
        guard case .object(var object)? = try? JSONValue(parsing: answer) else { return answer }
        var findings: [Finding] = []
        var blocked = false
        var changed = false
        mapAnswerTexts(&object, inbound: inbound) { text in
            var redactor = chatGuard.makeRedactor()
            let first = redactor.feed(text)
            let last = redactor.finish()
            findings += first.findings + last.findings
            if last.blocked { blocked = true }
            let guarded = first.text + last.text
            if guarded != text { changed = true }
            return guarded
        }
        if !findings.isEmpty { recorder.guardrails["guardrails_output"] = findingSummary(findings) }
        if blocked {
            let reason = GuardrailOutcome(action: .block, texts: [], findings: findings, policy: chatGuard.policyName).blockReason ?? "Blocked by guardrails."
            throw guardrailBlocked("The model's answer was withheld. " + reason)
        }
        return changed ? JSONValue.object(object).serialized() : answer
    }

    /// The 400 for blocked content: `guardrail_blocked`, not worth retrying.
    static func guardrailBlocked(_ message: String) -> GatewayError {
        GatewayError(.invalidRequest, status: 400, message: message, type: "invalid_request_error", code: "guardrail_blocked", headers: ["x-should-retry": "false"])
    }

    /// `detector/TYPE/action=count` per finding kind, comma-separated: what the request log keeps.
    static func findingSummary(_ findings: [Finding]) -> String {
        GuardrailOutcome(action: .allow, texts: [], findings: findings, policy: nil).summary
            .map { "\($0.detector)/\($0.type)/\($0.action.rawValue)=\($0.count)" }.joined(separator: ",")
    }

    /// Visits every text of a chat request in either inbound format, in a fixed order, with its role,
    /// replacing it by what `transform` returns: `system` (a string or text blocks; role `system`), and
    /// each message's `content` (a string, or parts with `text`; the message's role), where Anthropic
    /// `tool_result` blocks' own content has role `tool`.
    static func mapChatTexts(_ body: inout JSONObject, _ transform: (String, GuardrailRole?) -> String) {
        if var system = body["system"] {
            mapContent(&system, role: .system, transform)
            body["system"] = system
        }
        guard case .array(var messages)? = body["messages"] else { return }
        for index in messages.indices {
            guard case .object(var message) = messages[index], var content = message["content"] else { continue }
            mapContent(&content, role: guardrailRole(message["role"]?.stringValue), transform)
            message["content"] = content
            messages[index] = .object(message)
        }
        body["messages"] = .array(messages)
    }

    /// The guardrails role of a message role of either inbound format: `system` and `developer` →
    /// system, `user` → user, `assistant` → assistant, `tool` and `function` → tool; nil for a role
    /// Keel does not know, which every input entry scans (fail closed).
    static func guardrailRole(_ role: String?) -> GuardrailRole? {
        switch role {
        case "system", "developer": .system
        case "user": .user
        case "assistant": .assistant
        case "tool", "function": .tool
        default: nil
        }
    }

    private static func mapContent(_ content: inout JSONValue, role: GuardrailRole?, _ transform: (String, GuardrailRole?) -> String) {
        switch content {
        case .string(let text):
            content = .string(transform(text, role))
        case .array(var parts):
            for index in parts.indices {
                guard case .object(var part) = parts[index] else { continue }
                if case .string(let text)? = part["text"] {
                    part["text"] = .string(transform(text, role))
                } else if part["type"]?.stringValue == "tool_result", var inner = part["content"] {
                    mapContent(&inner, role: .tool, transform)
                    part["content"] = inner
                }
                parts[index] = .object(part)
            }
            content = .array(parts)
        default:
            break
        }
    }

    /// Visits every answer text of a whole response: OpenAI `choices[].message.content`, Anthropic
    /// `content[]` text blocks.
    static func mapAnswerTexts(_ object: inout JSONObject, inbound: WireFormat, _ transform: (String) -> String) {
        let listKey = inbound == .openAI ? "choices" : "content"
        guard case .array(var items)? = object[listKey] else { return }
        for index in items.indices {
            guard case .object(var item) = items[index] else { continue }
            if inbound == .openAI {
                guard case .object(var message)? = item["message"], case .string(let text)? = message["content"] else { continue }
                message["content"] = .string(transform(text))
                item["message"] = .object(message)
            } else {
                guard item["type"]?.stringValue == "text", case .string(let text)? = item["text"] else { continue }
                item["text"] = .string(transform(text))
            }
            items[index] = .object(item)
        }
        object[listKey] = .array(items)
    }
}

/// What the output side of a chat request's guardrails needs: the engine, who asked, and the
/// placeholders the input redaction handed out.
struct ChatGuard: Sendable {
    let guardrails: Guardrails
    let model: String
    let team: String?
    let key: String?
    /// The input's placeholders: kept for numbering, and restored in the answer.
    let redaction: Redaction

    var policyName: String? { guardrails.resolvePolicy(model: model, team: team, key: key)?.name }

    /// A redactor for one text (block) of the answer.
    func makeRedactor() -> StreamRedactor {
        guardrails.makeOutputRedactor(model: model, team: team, key: key, redaction: redaction, deanonymise: !redaction.isEmpty)
    }

    /// The filter for a streamed answer.
    func streamFilter() -> StreamOutputGuard { StreamOutputGuard(chatGuard: self) }
}

/// Passes a streamed answer's events through the output policy: text deltas through one
/// ``StreamRedactor`` per text block (finished when a tool call starts or the model stops),
/// everything else unchanged.
struct StreamOutputGuard: Sendable {
    let chatGuard: ChatGuard
    private var redactor: StreamRedactor?
    /// Every finding in the text released so far.
    private(set) var findings: [Finding] = []
    /// Whether a `block` ended the answer.
    private(set) var blocked = false

    init(chatGuard: ChatGuard) { self.chatGuard = chatGuard }

    /// `events` after the policy; stops at a block (see ``blocked``).
    mutating func filter(_ events: [ChatStreamEvent]) -> [ChatStreamEvent] {
        var out: [ChatStreamEvent] = []
        for event in events {
            guard !blocked else { break }
            switch event {
            case .textDelta(let text):
                if redactor == nil { redactor = chatGuard.makeRedactor() }
                let released = redactor!.feed(text)
                note(released)
                if !released.text.isEmpty { out.append(.textDelta(released.text)) }
            case .toolCallStart, .stop:
                out += flush()
                if !blocked { out.append(event) }
            default:
                out.append(event)
            }
        }
        return out
    }

    /// Releases what the current text block still holds back.
    mutating func flush() -> [ChatStreamEvent] {
        guard var current = redactor else { return [] }
        redactor = nil
        let released = current.finish()
        note(released)
        return released.text.isEmpty || blocked ? [] : [.textDelta(released.text)]
    }

    /// The error event's error for a blocked answer.
    var blockedError: GatewayError {
        let reason = GuardrailOutcome(action: .block, texts: [], findings: findings, policy: chatGuard.policyName).blockReason ?? "Blocked by guardrails."
        return Gateway.guardrailBlocked("The rest of the model's answer was withheld. " + reason)
    }

    private mutating func note(_ output: StreamRedactor.Output) {
        findings += output.findings
        if output.blocked { blocked = true }
    }
}
