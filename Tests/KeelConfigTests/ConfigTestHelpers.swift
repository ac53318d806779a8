import Foundation
import Testing
@testable import KeelConfig

/// Parses `yaml` as `keel.yaml` with the given environment.
func parseConfig(_ yaml: String, environment: [String: String] = [:]) throws(ConfigError) -> KeelConfig {
    try ConfigLoader.parse(yaml: yaml, fileName: "keel.yaml", environment: environment)
}

/// The error that parsing `yaml` must produce; records a test failure when it parses.
func configError(
    _ yaml: String,
    environment: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) -> ConfigError? {
    do {
        let config = try parseConfig(yaml, environment: environment)
        Issue.record("expected a configuration error, but it parsed: \(config)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Two lines declaring one provider, `openai`, to prefix documents that test other sections.
let minimalProviders = """
providers:
  openai: {kind: openai}

"""
