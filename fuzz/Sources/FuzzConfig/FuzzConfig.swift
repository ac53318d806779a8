import FuzzSupport
import KeelConfig
import KeelGuardrails

/// Loads arbitrary text as a Keel configuration file. Bad YAML and bad values must come back as
/// `ConfigError`s (with a line), never a crash or a hang; a configuration that loads must build its
/// guardrails or say why (a custom pattern Vectorscan rejects, a bad schema).
func fuzzConfig(_ bytes: UnsafeBufferPointer<UInt8>) {
    let text = String(decoding: bytes, as: UTF8.self)
    guard let config = try? ConfigLoader.parse(yaml: text, fileName: "fuzz.yaml", environment: ["FUZZ_VALUE": "1"]) else { return }
    // Building the guardrails compiles every pack, which is slow: only when the file has its own.
    if config.guardrails != GuardrailsConfig() { _ = try? Guardrails(config: config.guardrails) }
}
