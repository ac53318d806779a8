/// Standard histogram bucket boundaries (upper bounds, in the metric's unit).
///
/// Values follow the OpenTelemetry semantic conventions' advisory explicit bucket boundaries,
/// so dashboards built for those conventions work unchanged. The `+Inf` bucket is implicit.
public enum Buckets {
    /// `http.server.request.duration`, in seconds (OpenTelemetry HTTP semantic conventions).
    public static let httpServerDuration: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]

    /// `gen_ai.client.operation.duration` / `gen_ai.server.request.duration`, in seconds.
    public static let genAIOperationDuration: [Double] = [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]

    /// `gen_ai.client.token.usage`, in tokens.
    public static let genAITokenUsage: [Double] = [
        1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864,
    ]

    /// `gen_ai.server.time_to_first_token`, in seconds.
    public static let genAITimeToFirstToken: [Double] = [
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    ]

    /// `gen_ai.server.time_per_output_token`, in seconds.
    public static let genAITimePerOutputToken: [Double] = [
        0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
    ]
}
