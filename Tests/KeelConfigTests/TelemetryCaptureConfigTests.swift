import Testing
@testable import KeelConfig

@Suite struct TelemetryCaptureConfigTests {
    @Test("capture_redaction and capture_max_bytes decode; their defaults are pii and 64 KiB")
    func decodes() throws {
        let config = try parseConfig("""
            telemetry:
              capture_content: true
              capture_redaction: none
              capture_max_bytes: 4096
            """)
        #expect(config.telemetry.captureRedaction == TelemetryConfig.CaptureRedaction.none)
        #expect(config.telemetry.captureMaxBytes == 4096)
        let settings = config.telemetry.resolved(environment: [:])
        #expect(settings.captureContent)
        #expect(settings.captureRedaction == TelemetryConfig.CaptureRedaction.none)
        #expect(settings.captureMaxBytes == 4096)

        let defaults = try parseConfig("telemetry:\n  capture_content: true\n").telemetry.resolved(environment: [:])
        #expect(defaults.captureRedaction == .pii)
        #expect(defaults.captureMaxBytes == 65_536)
        let fromEnvironment = TelemetryConfig().resolved(environment: ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"])
        #expect(fromEnvironment.captureContent && fromEnvironment.captureRedaction == .pii)
    }

    @Test("bad values are reported with their position", arguments: [
        ("telemetry:\n  capture_redaction: presidio\n", "expected one of pii, none"),
        ("telemetry:\n  capture_redaction: true\n", "expected one of pii, none"),
        ("telemetry:\n  capture_max_bytes: 10\n", "out of range"),
        ("telemetry:\n  capture_max_bytes: lots\n", "capture_max_bytes"),
    ])
    func rejects(_ yaml: String, _ message: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.description.contains(message), "\(error.description)")
        #expect(error.description.contains("keel.yaml:2:"), "\(error.description)")
    }
}
