/// One sample produced by a callback-backed metric at scrape time.
public struct MetricSample: Sendable, Hashable {
    /// The label values, in the order of the family's label names.
    public var labelValues: [String]
    /// The sample value.
    public var value: Double

    /// Creates a sample; `labelValues` follow the order of the family's label names.
    public init(labelValues: [String] = [], value: Double) {
        self.labelValues = labelValues
        self.value = value
    }
}

/// A counter or gauge family whose samples are computed by a closure during each exposition.
///
/// The closure runs on the scraping thread without any registry lock held, so it may take its
/// own locks or read files; it should be quick.
final class CallbackMetric: MetricFamily {
    /// Whether the samples are exposed as a counter or a gauge.
    enum Kind: String, Sendable {
        case counter
        case gauge
    }

    let name: String
    let help: String
    let kind: Kind
    let labelNames: [String]
    private let samples: @Sendable () -> [MetricSample]

    init(name: String, help: String, kind: Kind, labelNames: [String], samples: @escaping @Sendable () -> [MetricSample]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.labelNames = labelNames
        self.samples = samples
    }

    var typeName: String { kind.rawValue }

    func render(into out: inout String) {
        let current = samples().sorted { PrometheusText.labelsPrecede($0.labelValues, $1.labelValues) }
        guard !current.isEmpty else { return }
        PrometheusText.writeHeader(name: name, help: help, type: typeName, into: &out)
        for sample in current {
            precondition(
                sample.labelValues.count == labelNames.count,
                "callback metric \(name) produced \(sample.labelValues.count) label value(s) for \(labelNames.count) label name(s)"
            )
            PrometheusText.writeSample(
                name: name, labelNames: labelNames, labelValues: sample.labelValues,
                value: PrometheusText.format(sample.value), into: &out
            )
        }
    }
}
