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

/// The children of a labelled family, one per label-value tuple, created on first use.
///
/// Lookups take a short lock around one dictionary access; callers on a hot path keep the
/// returned child and record on it directly, which touches only its atomics.
final class ChildCache<Child: AnyObject & Sendable>: Sendable {
    private let familyName: String
    private let labelCount: Int
    private let make: @Sendable () -> Child
    private let children = Mutex<[[String]: Child]>([:])

    init(familyName: String, labelCount: Int, make: @escaping @Sendable () -> Child) {
        self.familyName = familyName
        self.labelCount = labelCount
        self.make = make
    }

    /// Returns the child for `values`, creating it if needed.
    func child(_ values: [String]) -> Child {
        precondition(
            values.count == labelCount,
            "metric \(familyName) expects \(labelCount) label value(s), got \(values.count)"
        )
        return children.withLock { children in
            if let existing = children[values] { return existing }
            let created = make()
            children[values] = created
            return created
        }
    }

    /// A snapshot of all children, sorted by label values.
    func sorted() -> [(labelValues: [String], child: Child)] {
        let snapshot = children.withLock { children in
            children.map { (labelValues: $0.key, child: $0.value) }
        }
        return snapshot.sorted { PrometheusText.labelsPrecede($0.labelValues, $1.labelValues) }
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
