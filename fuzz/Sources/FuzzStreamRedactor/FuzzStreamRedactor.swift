import FuzzSupport
import FuzzGuardrailsSupport
import KeelGuardrails

/// Streams arbitrary text through the output policy in chunks whose sizes (1–24 characters) come
/// from the input's first bytes, and compares what reaches the client with the non-streamed redaction
/// of the whole text: a value split across chunks must still be caught, and nothing the whole-text
/// scan redacts may appear in the stream.
func fuzzStreamRedactor(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let first = bytes.first else { return }
    // The first byte says how many of the next bytes give chunk sizes, used in turn.
    let sizeCount = 1 + Int(first % 8)
    guard bytes.count > sizeCount else { return }
    let sizes = bytes[1...sizeCount].map { 1 + Int($0 % 24) }
    let text = String(decoding: bytes[(sizeCount + 1)...], as: UTF8.self)
    let engine = StreamEngine.shared

    var redactor = StreamRedactor(entries: engine.policy.output)
    var streamed = ""
    var scalars = Substring(text).unicodeScalars[...]
    var turn = 0
    while !scalars.isEmpty {
        let length = min(scalars.count, sizes[turn % sizes.count])
        turn += 1
        let end = scalars.index(scalars.startIndex, offsetBy: length)
        streamed += redactor.feed(String(String.UnicodeScalarView(scalars[..<end]))).text
        scalars = scalars[end...]
    }
    streamed += redactor.finish().text

    let whole = engine.guardrails.apply([text], source: .output, policy: engine.policy)
    if redactor.isBlocked || whole.isBlocked { return }
    require(streamed == whole.texts[0], """
        streamed and whole-text redaction differ
        text:     \(text.debugDescription)
        streamed: \(streamed.debugDescription)
        whole:    \(whole.texts[0].debugDescription)
        """)
}

/// The engine under test: the output side of a policy with every output detector that redacts.
struct StreamEngine: Sendable {
    static let shared = StreamEngine()

    let guardrails: Guardrails
    let policy: Policy

    private init() {
        guardrails = guardrailsForFuzzing(yaml: """
            guardrails:
              custom_entities:
                EMPLOYEE_ID: {pattern: "EMP-[0-9]{6}"}
              policies:
                stream:
                  output:
                    - {detector: pii, action: redact}
                    - {detector: secrets, action: redact}
                    - {detector: banned_words, action: redact, words: ["project falcon"]}
                    - {detector: invisible_text, action: redact}
                    - {detector: system_prompt_leak, action: flag, canary: keel-canary-6f1c2a9d}
            """)
        policy = guardrails.policy(named: "stream")!
    }
}
