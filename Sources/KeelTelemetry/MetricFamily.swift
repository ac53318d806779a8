import Synchronization

/// What the registry needs from every kind of metric family.
protocol MetricFamily: AnyObject, Sendable {
    /// The family name, as written after `# TYPE`.
    var name: String { get }
    /// The Prometheus type keyword (`counter`, `gauge`, `histogram`).
    var typeName: String { get }
    /// The family's label names, in declaration order.
    var labelNames: [String] { get }
    /// Sample names the family writes besides `name` (a histogram's `_bucket`, `_sum`, `_count`).
    var sampleNameSuffixes: [String] { get }
    /// Appends the family's exposition text; appends nothing when it has no samples.
    func render(into out: inout String)
}

extension MetricFamily {
    var sampleNameSuffixes: [String] { [] }
}

/// The children of a family, one per label-value tuple, created on first use: the label handling
/// that ``Counter``, ``Gauge`` and ``Histogram`` share.
///
/// Lookups take a short lock around one dictionary access; callers on a hot path keep the
/// returned child and record on it directly, which touches only its atomics. An unlabelled
/// family's only child is created up front and reached through ``solo`` without any lock.
final class ChildCache<Child: AnyObject & Sendable>: Sendable {
    private let familyName: String
    private let labelNames: [String]
    private let make: @Sendable () -> Child
    private let children: Mutex<[[String]: Child]>
    private let unlabeled: Child?

    /// - Parameters:
    ///   - familyName: The metric name, for trap messages.
    ///   - labelNames: The family's label names; with none, the only child is created now.
    ///   - make: Creates a child.
    init(familyName: String, labelNames: [String], make: @escaping @Sendable () -> Child) {
        self.familyName = familyName
        self.labelNames = labelNames
        self.make = make
        unlabeled = labelNames.isEmpty ? make() : nil
        children = Mutex(unlabeled.map { [[]: $0] } ?? [:])
    }

    /// Returns the child for `values`, creating it if needed.
    ///
    /// Traps when the number of values differs from the number of label names.
    func child(_ values: [String]) -> Child {
        precondition(
            values.count == labelNames.count,
            "metric \(familyName) expects \(labelNames.count) label value(s), got \(values.count)"
        )
        return children.withLock { children in
            if let existing = children[values] { return existing }
            let created = make()
            children[values] = created
            return created
        }
    }

    /// The only child of an unlabelled family; traps if the family has labels.
    var solo: Child {
        guard let unlabeled else {
            preconditionFailure("metric \(familyName) has labels \(labelNames); use labels(_:) first")
        }
        return unlabeled
    }

    /// A snapshot of all children, sorted by label values.
    func sorted() -> [(labelValues: [String], child: Child)] {
        let snapshot = children.withLock { children in
            children.map { (labelValues: $0.key, child: $0.value) }
        }
        return snapshot.sorted { PrometheusText.labelsPrecede($0.labelValues, $1.labelValues) }
    }

    /// Appends the exposition of a family whose series are one sample each (counters, gauges):
    /// nothing when there are no children, otherwise the header and one line per child.
    func renderSingleValued(help: String, type: String, into out: inout String, value: (Child) -> Double) {
        let snapshot = sorted()
        guard !snapshot.isEmpty else { return }
        PrometheusText.writeHeader(name: familyName, help: help, type: type, into: &out)
        for (labelValues, child) in snapshot {
            PrometheusText.writeSample(
                name: familyName, labelNames: labelNames, labelValues: labelValues,
                value: PrometheusText.format(value(child)), into: &out
            )
        }
    }
}

extension Atomic where Value == UInt64 {
    /// Atomically adds `delta` to the `Double` whose bit pattern this atomic stores.
    func addDouble(_ delta: Double) {
        var current = load(ordering: .relaxed)
        while true {
            let updated = (Double(bitPattern: current) + delta).bitPattern
            let (exchanged, original) = weakCompareExchange(
                expected: current, desired: updated, ordering: .relaxed
            )
            if exchanged { return }
            current = original
        }
    }

    /// The `Double` whose bit pattern this atomic stores.
    func loadDouble() -> Double {
        Double(bitPattern: load(ordering: .relaxed))
    }
}
