import Synchronization

/// A counter family: monotonically increasing values, one per label-value tuple.
///
/// Obtain one from ``MetricsRegistry/counter(_:help:labelNames:)``. With no label names the
/// family has exactly one child, and ``inc()`` and friends record on it directly; otherwise
/// resolve a child with ``labels(_:)-([String])`` (keep it when the label values are fixed).
public final class Counter: Sendable {
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

    /// Adds one to the only child of an unlabelled counter.
    public func inc() {
        solo.inc()
    }

    /// Adds `amount` to the only child of an unlabelled counter.
    public func inc(by amount: UInt64) {
        solo.inc(by: amount)
    }

    /// Adds `amount` (which must not be negative) to the only child of an unlabelled counter.
    public func inc(by amount: Double) {
        solo.inc(by: amount)
    }

    /// The current value of an unlabelled counter.
    public var value: Double { solo.value }

    private var solo: Child { children.solo }

    /// One counter time series. Recording is lock-free.
    ///
    /// Whole increments go to an integer atomic (a single atomic add, exact at any count);
    /// fractional increments go to a separate floating-point accumulator.
    public final class Child: Sendable {
        private let whole = Atomic<UInt64>(0)
        private let fraction = Atomic<UInt64>(Double(0).bitPattern)

        init() {}

        /// Adds one.
        public func inc() {
            whole.wrappingAdd(1, ordering: .relaxed)
        }

        /// Adds `amount`.
        public func inc(by amount: UInt64) {
            whole.wrappingAdd(amount, ordering: .relaxed)
        }

        /// Adds `amount`, which must be zero or positive (counters never decrease).
        public func inc(by amount: Double) {
            precondition(amount >= 0, "counters cannot decrease (inc(by: \(amount)))")
            fraction.addDouble(amount)
        }

        /// The current value.
        public var value: Double {
            Double(whole.load(ordering: .relaxed)) + fraction.loadDouble()
        }
    }
}

extension Counter: MetricFamily {
    var typeName: String { "counter" }

    func render(into out: inout String) {
        children.renderSingleValued(help: help, type: typeName, into: &out) { $0.value }
    }
}
