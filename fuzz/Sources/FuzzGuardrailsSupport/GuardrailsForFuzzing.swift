import KeelConfig
import KeelGuardrails

/// The guardrails of a configuration written into a fuzz target; a configuration that does not
/// load is a bug in the target, so it stops the run.
public func guardrailsForFuzzing(yaml: String) -> Guardrails {
    do {
        let config = try ConfigLoader.parse(yaml: yaml, fileName: "fuzz.yaml", environment: [:])
        return try Guardrails(config: config.guardrails)
    } catch {
        fatalError("the fuzz configuration does not load: \(error)")
    }
}
