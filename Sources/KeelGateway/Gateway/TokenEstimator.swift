import KeelCore

/// Estimates token counts when an upstream reports no usage.
///
/// Keel always asks streaming upstreams for usage (`stream_options.include_usage` for
/// OpenAI-compatible servers; Anthropic, Bedrock and Gemini report it unasked), but some
/// OpenAI-compatible servers ignore the option, and a stream cut short never reaches its usage. Then
/// Keel counts the tokens itself, from the request it sent and the text and tool-call arguments it
/// forwarded, and marks the request log entry `usage: estimated`.
///
/// There is no tokenizer for every model, so the count follows the shape of the byte-pair encodings
/// most models use: text is split the way their pre-tokenizers split it (letter runs with their
/// leading space, digit runs in groups of three, punctuation, line breaks); a letter run of up to
/// six characters is one token, a longer one a token per four characters; each digit group,
/// punctuation character and line break is a token; every character outside ASCII letters (CJK,
/// emoji) is a token. Chat framing adds three tokens per message and three to prime the answer, as
/// OpenAI's cookbook counts them. The result is an estimate: exact counts come only from the
/// provider.
enum TokenEstimator {
    /// The estimated number of tokens in `text`.
    static func count(_ text: String) -> Int {
        var tokens = 0
        var letters = 0
        var digits = 0
        func endLetters() {
            if letters > 0 { tokens += letters <= 6 ? 1 : (letters + 3) / 4 }
            letters = 0
        }
        func endDigits() {
            if digits > 0 { tokens += (digits + 2) / 3 }
            digits = 0
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) {
                endDigits()
                letters += 1
            } else if v >= 0x30 && v <= 0x39 {
                endLetters()
                digits += 1
            } else {
                endLetters()
                endDigits()
                switch v {
                case 0x20, 0x09, 0x0D: break  // spaces join the next word
                case 0x0A: tokens += 1
                case 0x80...: tokens += scalar.properties.isDiacritic || scalar.properties.generalCategory == .nonspacingMark ? 0 : 1
                default: tokens += 1
                }
            }
        }
        endLetters()
        endDigits()
        return tokens
    }

    /// The estimated input tokens of a chat request body in any inbound or provider format: every
    /// string in its messages, system prompt and tool definitions, plus the chat framing.
    static func promptTokens(_ body: JSONObject) -> Int {
        var tokens = 3
        for key in ["messages", "contents"] {
            for message in body[key]?.arrayValue ?? [] {
                tokens += 3 + strings(message)
            }
        }
        for key in ["system", "systemInstruction", "tools"] {
            if let value = body[key] { tokens += strings(value) }
        }
        return tokens
    }

    /// The estimated tokens of every string in `value` (object keys of tool schemas included, as
    /// they are sent to the model).
    private static func strings(_ value: JSONValue) -> Int {
        switch value {
        case .string(let s):
            // Inline images and other base64 payloads are not text the model reads as tokens.
            if s.hasPrefix("data:") || s.utf8.count > 4096 && !s.contains(" ") { return 0 }
            return count(s)
        case .array(let items):
            return items.reduce(0) { $0 + strings($1) }
        case .object(let object):
            var total = 0
            for (key, member) in object {
                if key == "type" || key == "role" { continue }
                if key == "image_url" || key == "source" || key == "inlineData" || key == "image" { continue }
                total += strings(member)
                if case .object = member { total += count(key) } else if case .array = member { total += count(key) }
            }
            return total
        default:
            return 0
        }
    }
}

/// Counts what a stream sent when the upstream does not report usage.
struct StreamUsageCounter: Sendable {
    private var outputTokens = 0

    /// Counts the output in `event`.
    mutating func observe(_ event: ChatStreamEvent) {
        switch event {
        case .textDelta(let text): outputTokens += TokenEstimator.count(text)
        case .toolCallStart(_, _, let name): outputTokens += TokenEstimator.count(name) + 3
        case .toolCallDelta(_, let arguments): outputTokens += TokenEstimator.count(arguments)
        default: break
        }
    }

    /// The estimated usage so far, with `promptTokens` estimated input tokens.
    func usage(promptTokens: Int) -> ChatUsage {
        ChatUsage(inputTokens: promptTokens, outputTokens: outputTokens)
    }
}
