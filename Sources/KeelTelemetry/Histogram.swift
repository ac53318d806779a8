import Synchronization

/// A histogram family: observations counted into explicit buckets, one series per label-value tuple.
///
/// Obtain one from ``MetricsRegistry/histogram(_:help:labelNames:buckets:)``. The exposition
/// writes cumulative `_bucket{le="…"}` lines (ending with `le="+Inf"`), then `_sum` and `_count`.
/// With no label names the family has exactly one child and ``observe(_:)-(Double)`` records on it;
/// otherwise resolve a child with ``labels(_:)-([String])`` and keep it when the values are fixed.
public final class Histogram: Sendable {
    /// The metric name (samples are written as `<name>_bucket`, `<name>_sum`, `<name>_count`).
    public let name: String
    /// The help text shown in `# HELP`.
    public let help: String
    /// The label names, in the order their values are passed to ``labels(_:)-([String])``.
    public let labelNames: [String]
    /// The finite bucket upper bounds, strictly increasing; the `+Inf` bucket is implicit.
    public let upperBounds: [Double]

    private let children: ChildCache<Child>

    init(name: String, help: String, labelNames: [String], upperBounds: [Double]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.upperBounds = upperBounds
        self.children = ChildCache(familyName: name, labelNames: labelNames) {
            Child(upperBounds: upperBounds)
        }
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

    /// Records one observation on the only child of an unlabelled histogram.
    public func observe(_ value: Double) {
        solo.observe(value)
    }

    /// Records a duration, in seconds, on the only child of an unlabelled histogram.
    public func observe(_ duration: Duration) {
        solo.observe(duration)
    }

    /// The number of observations of an unlabelled histogram.
    public var count: UInt64 { solo.count }

    /// The sum of observations of an unlabelled histogram.
    public var sum: Double { solo.sum }

    private var solo: Child { children.solo }

    /// `duration` in seconds, as histograms of durations record it.
    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// One histogram series. Recording is lock-free: a binary search over the bounds, one atomic
    /// add on the bucket and one compare-and-swap on the sum.
    public final class Child: Sendable {
        private let upperBounds: [Double]
        /// Per-bucket (non-cumulative) counts; the last slot is the `+Inf` bucket.
        private let buckets: AtomicCounters
        private let sumBits = Atomic<UInt64>(Double(0).bitPattern)

        init(upperBounds: [Double]) {
            self.upperBounds = upperBounds
            self.buckets = AtomicCounters(count: upperBounds.count + 1)
        }

        /// Records one observation.
        ///
        /// It is counted in the first bucket whose upper bound is greater than or equal to `value`
        /// (NaN lands in `+Inf` only), and added to the sum.
        public func observe(_ value: Double) {
            var low = 0
            var high = upperBounds.count
            while low < high {
                let mid = (low &+ high) >> 1
                if value <= upperBounds[mid] {
                    high = mid
                } else {
                    low = mid &+ 1
                }
            }
            buckets.increment(low)
            sumBits.addDouble(value)
        }

        /// Records a duration, in seconds.
        public func observe(_ duration: Duration) {
            observe(Histogram.seconds(duration))
        }

        /// The number of observations (the value of the `+Inf` bucket).
        public var count: UInt64 {
            var total: UInt64 = 0
            for index in 0..<buckets.count {
                total &+= buckets.load(index)
            }
            return total
        }

        /// The sum of all observations.
        public var sum: Double {
            sumBits.loadDouble()
        }

        /// Cumulative counts, one per upper bound followed by the `+Inf` bucket.
        public var cumulativeCounts: [UInt64] {
            var result: [UInt64] = []
            result.reserveCapacity(buckets.count)
            var running: UInt64 = 0
            for index in 0..<buckets.count {
                running &+= buckets.load(index)
                result.append(running)
            }
            return result
        }
    }
}

extension Histogram: MetricFamily {
    var typeName: String { "histogram" }

    var sampleNameSuffixes: [String] { ["_bucket", "_sum", "_count"] }

    func render(into out: inout String) {
        let snapshot = children.sorted()
        guard !snapshot.isEmpty else { return }
        PrometheusText.writeHeader(name: name, help: help, type: typeName, into: &out)
        let bucketName = name + "_bucket"
        let sumName = name + "_sum"
        let countName = name + "_count"
        let bounds = upperBounds.map(PrometheusText.format) + ["+Inf"]
        for (labelValues, child) in snapshot {
            // The count is the `+Inf` bucket, so `_count` always agrees with the buckets even
            // while observations race with the scrape.
            let cumulative = child.cumulativeCounts
            for (bound, count) in zip(bounds, cumulative) {
                PrometheusText.writeSample(
                    name: bucketName, labelNames: labelNames, labelValues: labelValues,
                    extraLabel: (name: "le", value: bound), value: String(count), into: &out
                )
            }
            PrometheusText.writeSample(
                name: sumName, labelNames: labelNames, labelValues: labelValues,
                value: PrometheusText.format(child.sum), into: &out
            )
            PrometheusText.writeSample(
                name: countName, labelNames: labelNames, labelValues: labelValues,
                value: String(cumulative.last ?? 0), into: &out
            )
        }
    }
}

/// A fixed-size array of `UInt64` atomics in one allocation.
///
/// `@unchecked Sendable` invariant: the storage is allocated and initialised in `init`, freed
/// only in `deinit`, never reallocated, and every element is accessed through `Atomic` operations.
final class AtomicCounters: @unchecked Sendable {
    /// The number of counters.
    let count: Int
    private let storage: UnsafeMutablePointer<Atomic<UInt64>>

    init(count: Int) {
        precondition(count > 0)
        self.count = count
        storage = .allocate(capacity: count)
        for index in 0..<count {
            (storage + index).initialize(to: Atomic<UInt64>(0))
        }
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    /// Adds one to counter `index`.
    @inline(__always)
    func increment(_ index: Int) {
        precondition(index >= 0 && index < count)
        storage[index].wrappingAdd(1, ordering: .relaxed)
    }

    /// The value of counter `index`.
    func load(_ index: Int) -> UInt64 {
        precondition(index >= 0 && index < count)
        return storage[index].load(ordering: .relaxed)
    }
}
