import Synchronization

/// A gauge family: values that go up and down, one per label-value tuple.
///
/// Obtain one from ``MetricsRegistry/gauge(_:help:labelNames:)``. With no label names the family
/// has exactly one child, and ``set(_:)``, ``inc(by:)`` and ``dec(by:)`` act on it directly;
/// otherwise resolve a child with ``labels(_:)-([String])``. For values computed at scrape time
/// use ``MetricsRegistry/callbackGauge(_:help:value:)`` instead.
public final class Gauge: Sendable {
    /// The metric name.
    public let name: String
    /// The help text shown in `# HELP`.
    public let help: String
    /// The label names, in the order their values are passed to ``labels(_:)-([String])``.
    public let labelNames: [String]

    private let children: ChildCache<Child>

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.children = ChildCache(familyName: name, labelNames: labelNames) { Child() }
    }

    /// Returns the child for these label values (in ``labelNames`` order), creating it on first use.
    ///
    /// Traps when the number of values differs from the number of label names.
    public func labels(_ values: [String]) -> Child {
        children.child(values)
    }

    /// Returns the child for these label values (in ``labelNames`` order), creating it on first use.
    ///
    /// Traps when the number of values differs from the number of label names.
    public func labels(_ values: String...) -> Child {
        children.child(values)
    }

    /// Sets the only child of an unlabelled gauge.
    public func set(_ value: Double) {
        solo.set(value)
    }

    /// Adds `amount` to the only child of an unlabelled gauge.
    public func inc(by amount: Double = 1) {
        solo.inc(by: amount)
    }

    /// Subtracts `amount` from the only child of an unlabelled gauge.
    public func dec(by amount: Double = 1) {
        solo.dec(by: amount)
    }

    /// The current value of an unlabelled gauge.
    public var value: Double { solo.value }

    private var solo: Child { children.solo }

    /// One gauge time series. Recording is lock-free (an atomic store or compare-and-swap).
    public final class Child: Sendable {
        private let bits = Atomic<UInt64>(Double(0).bitPattern)

        init() {}

        /// Replaces the value.
        public func set(_ value: Double) {
            bits.store(value.bitPattern, ordering: .relaxed)
        }

        /// Adds `amount` (one by default).
        public func inc(by amount: Double = 1) {
            bits.addDouble(amount)
        }

        /// Subtracts `amount` (one by default).
        public func dec(by amount: Double = 1) {
            bits.addDouble(-amount)
        }

        /// The current value.
        public var value: Double {
            bits.loadDouble()
        }
    }
}

extension Gauge: MetricFamily {
    var typeName: String { "gauge" }

    func render(into out: inout String) {
        children.renderSingleValued(help: help, type: typeName, into: &out) { $0.value }
    }
}
