import FuzzSupport
import KeelConfig
import KeelGuardrails

/// Streams arbitrary text through the output policy in chunks whose sizes come from the input's
/// first bytes, and compares what reaches the client with the non-streamed redaction of the whole
/// text: a value split across chunks must still be caught, and nothing the whole-text scan
/// redacts may appear in the stream.
func fuzzStreamRedactor(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard bytes.count >= 2 else { return }
    var generator = SplitMix(seed: UInt64(bytes[0]) << 8 | UInt64(bytes[1]))
    let text = String(decoding: bytes[2...], as: UTF8.self)
    let engine = StreamEngine.shared

    var redactor = StreamRedactor(entries: engine.policy.output)
    var streamed = ""
    var scalars = Substring(text).unicodeScalars[...]
    while !scalars.isEmpty {
        let length = min(scalars.count, 1 + Int(generator.next() % 24))
        let end = scalars.index(scalars.startIndex, offsetBy: length)
        streamed += redactor.feed(String(String.UnicodeScalarView(scalars[..<end]))).text
        scalars = scalars[end...]
    }
    streamed += redactor.finish().text

    let whole = engine.guardrails.apply([text], source: .output, policy: engine.policy)
    if redactor.isBlocked || whole.isBlocked { return }
    if streamed != whole.texts[0] {
        fatalError("""
        streamed and whole-text redaction differ
        text:     \(text.debugDescription)
        streamed: \(streamed.debugDescription)
        whole:    \(whole.texts[0].debugDescription)
        """)
    }
}

/// A small deterministic generator for chunk sizes.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The engine under test: the output side of a policy with every output detector that redacts.
struct StreamEngine: Sendable {
    static let shared = StreamEngine()

    let guardrails: Guardrails
    let policy: Policy

    private init() {
        let yaml = """
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
        """
        do {
            let config = try ConfigLoader.parse(yaml: yaml, fileName: "fuzz.yaml", environment: [:])
            guardrails = try Guardrails(config: config.guardrails)
        } catch {
            fatalError("the fuzz configuration does not load: \(error)")
        }
        policy = guardrails.policy(named: "stream")!
    }
}
