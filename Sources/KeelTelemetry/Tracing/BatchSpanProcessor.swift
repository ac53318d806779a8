import Synchronization

/// Queues finished spans and exports them in batches from a background task.
///
/// ``enqueue(_:)`` is what the request path pays: one short lock and an append (of the span, or
/// of its OTLP protobuf encoding when the exporter takes spans encoded). When the
/// queue holds ``Configuration/maxQueueSize`` spans, new spans are dropped and counted instead of
/// blocking or growing without bound. The background task exports when a full batch is waiting,
/// every ``Configuration/scheduleDelay`` otherwise, on ``forceFlush()`` and on ``shutdown()``
/// (which exports everything queued first).
public final class BatchSpanProcessor: Sendable {
    /// Queue and batch limits. Defaults follow the OpenTelemetry SDK's batch span processor.
    public struct Configuration: Sendable, Hashable {
        /// The most spans waiting to be exported; more are dropped. Default 2048.
        public var maxQueueSize: Int
        /// The most spans in one export. Default 512.
        public var maxExportBatchSize: Int
        /// The longest a span waits before an export is started for it. Default 1 s.
        public var scheduleDelay: Duration

        /// Limits; every argument defaults as documented on its property.
        public init(maxQueueSize: Int = 2048, maxExportBatchSize: Int = 512, scheduleDelay: Duration = .seconds(1)) {
            self.maxQueueSize = max(1, maxQueueSize)
            self.maxExportBatchSize = max(1, min(maxExportBatchSize, self.maxQueueSize))
            self.scheduleDelay = scheduleDelay
        }
    }

    private struct State {
        var queue: PendingSpans
        /// The worker, suspended while there is nothing to do.
        var waiter: CheckedContinuation<Void, Never>?
        /// Callers of `forceFlush()` waiting for the queue to be drained.
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
        /// The timer fired while spans were queued.
        var timerDue = false
        var closed = false
        var finished = false
    }

    /// The configuration in force.
    public let configuration: Configuration
    private let exporter: any SpanExporter
    /// Whether spans are queued encoded (the exporter takes them so).
    private let encodesSpans: Bool
    private let resource: TelemetryResource
    private let scope: InstrumentationScope
    private let onResult: @Sendable (Int, SpanExportResult) -> Void
    private let state: Mutex<State>
    private let counters = Counters()
    /// Stack bytes a span is encoded into before it is queued (a span that needs more moves to
    /// the heap); 1 KiB holds a request or attempt span without captured content.
    private static var scratchBytes: Int { 1024 }
    private let worker = Mutex<Task<Void, Never>?>(nil)
    private let timer = Mutex<Task<Void, Never>?>(nil)

    final class Counters: Sendable {
        let enqueued = Atomic<Int>(0)
        let dropped = Atomic<Int>(0)
        let exported = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
    }

    /// Creates the processor and starts its background task.
    ///
    /// - Parameters:
    ///   - exporter: Receives the batches.
    ///   - resource: The resource every batch is exported with.
    ///   - scope: The instrumentation scope every batch is exported with.
    ///   - configuration: Queue and batch limits.
    ///   - onResult: Called after each export with the batch size and the result (for logging).
    public init(
        exporter: any SpanExporter,
        resource: TelemetryResource,
        scope: InstrumentationScope,
        configuration: Configuration = Configuration(),
        onResult: @escaping @Sendable (Int, SpanExportResult) -> Void = { _, _ in }
    ) {
        self.exporter = exporter
        self.encodesSpans = exporter.exportsEncodedSpans
        self.resource = resource
        self.scope = scope
        self.configuration = configuration
        self.onResult = onResult
        self.state = Mutex(State(queue: PendingSpans(encoded: encodesSpans, batchSize: configuration.maxExportBatchSize)))
        worker.withLock { $0 = Task.detached { await self.run() } }
        let delay = configuration.scheduleDelay
        timer.withLock {
            $0 = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: delay)
                    guard let self else { return }
                    self.timerFired()
                }
            }
        }
    }

    /// Queues a finished span; never blocks. Returns false (and counts a drop) when the queue is
    /// full or the processor is shut down.
    ///
    /// For an exporter that takes encoded spans (OTLP `http/protobuf`), the span is encoded here,
    /// outside the lock, and only its bytes are queued: nothing of the `Span` value outlives the
    /// call, and the background task only joins bytes.
    @discardableResult
    public func enqueue(_ span: Span) -> Bool {
        guard encodesSpans else { return enqueue { $0.append(span) } }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.scratchBytes) { scratch in
            var writer = ProtobufWriter(scratch: scratch)
            OTLPProtobufEncoder.writeSpanField(span, into: &writer)
            return writer.withBytes { bytes in enqueue { $0.append(encoded: bytes) } }
        }
    }

    /// Queues a span as it ends at `end`; for an exporter that takes encoded spans the `Span`
    /// value is never made.
    @discardableResult
    func enqueue(_ span: borrowing SpanBuilder, end: UInt64) -> Bool {
        guard encodesSpans else { return enqueue { $0.append(span.end(at: end)) } }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.scratchBytes) { scratch in
            var writer = ProtobufWriter(scratch: scratch)
            OTLPProtobufEncoder.writeSpanField(span, end: end, into: &writer)
            return writer.withBytes { bytes in enqueue { $0.append(encoded: bytes) } }
        }
    }

    private func enqueue(_ add: (inout PendingSpans) -> Void) -> Bool {
        let capacity = configuration.maxQueueSize
        let (accepted, wake): (Bool, CheckedContinuation<Void, Never>?) = state.withLock { state in
            guard !state.closed, state.queue.count < capacity else { return (false, nil) }
            add(&state.queue)
            if state.queue.hasFullBatch, let waiter = state.waiter {
                state.waiter = nil
                return (true, waiter)
            }
            return (true, nil)
        }
        if accepted {
            counters.enqueued.wrappingAdd(1, ordering: .relaxed)
        } else {
            counters.dropped.wrappingAdd(1, ordering: .relaxed)
        }
        wake?.resume()
        return accepted
    }

    /// Returns once every span queued before the call has been exported (or its export failed).
    public func forceFlush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (resumeNow, wake): (Bool, CheckedContinuation<Void, Never>?) = state.withLock { state in
                if state.finished { return (true, nil) }
                state.flushWaiters.append(continuation)
                let waiter = state.waiter
                state.waiter = nil
                return (false, waiter)
            }
            if resumeNow { continuation.resume() }
            wake?.resume()
        }
    }

    /// Exports everything queued, stops the background task and shuts the exporter down.
    /// Spans enqueued afterwards are dropped. Idempotent.
    ///
    /// - Parameter timeout: How long the final exports may take; after that the export in
    ///   progress is cancelled (ending its retries) and what is left is counted as failed.
    ///   Default 5 s.
    public func shutdown(timeout: Duration = .seconds(5)) async {
        let wake: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.closed = true
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        wake?.resume()
        timer.withLock { $0?.cancel() }
        let task = worker.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        if let task {
            let watchdog = Task.detached {
                try await Task.sleep(for: timeout)
                task.cancel()
            }
            await task.value
            watchdog.cancel()
            await exporter.shutdown()
        }
    }

    /// Spans accepted, dropped because the queue was full (or after shutdown), exported, and lost
    /// to failed exports.
    public var stats: TracerStats {
        TracerStats(
            enqueued: counters.enqueued.load(ordering: .relaxed),
            dropped: counters.dropped.load(ordering: .relaxed),
            exported: counters.exported.load(ordering: .relaxed),
            failed: counters.failed.load(ordering: .relaxed),
            queued: state.withLock { $0.queue.count }
        )
    }

    // MARK: - Background task

    private func timerFired() {
        let wake: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard state.queue.count > 0 else { return nil }
            state.timerDue = true
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        wake?.resume()
    }

    private func run() async {
        while true {
            await waitForWork()
            // Drain: full batches, and everything when flushing, closing or the timer fired.
            while true {
                // Flush waiters and `finished` come only with no batch (once the queue is empty).
                let (batch, flushed, finished) = takeBatch()
                guard let batch else {
                    for waiter in flushed { waiter.resume() }
                    if finished { return }
                    break
                }
                let count = batch.count
                let result: SpanExportResult
                switch consume batch {
                case .spans(let spans):
                    result = await exporter.export(spans, resource: resource, scope: scope)
                case .encoded(var encoded):
                    result = await exporter.export(encoded: encoded, resource: resource, scope: scope)
                    // The buffer takes a later batch: memory written a moment ago is still in
                    // cache, where each new batch would otherwise fill fresh memory. (Emptied
                    // outside the lock: if the exporter kept the bytes, that allocates.)
                    encoded.bytes.removeAll(keepingCapacity: true)
                    state.withLock { $0.queue.recycle(&encoded.bytes) }
                }
                switch result {
                case .success: counters.exported.wrappingAdd(count, ordering: .relaxed)
                case .failure: counters.failed.wrappingAdd(count, ordering: .relaxed)
                }
                onResult(count, result)
            }
        }
    }

    /// The next batch to export; when the queue is empty afterwards the flush waiters are handed
    /// back too (every span queued before they asked has been taken), and `finished` is set once
    /// the processor is closed and empty.
    private func takeBatch() -> (batch: PendingSpans.Batch?, flushed: [CheckedContinuation<Void, Never>], finished: Bool) {
        state.withLock { state in
            let draining = state.closed || state.timerDue || !state.flushWaiters.isEmpty
            let batch = state.queue.takeBatch(all: draining)
            guard state.queue.count == 0, batch == nil else { return (batch, [], false) }
            state.timerDue = false
            let flushed = state.flushWaiters
            state.flushWaiters = []
            if state.closed { state.finished = true }
            return (nil, flushed, state.closed)
        }
    }

    private func waitForWork() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if state.closed || state.timerDue || !state.flushWaiters.isEmpty || state.queue.hasFullBatch {
                    return true
                }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// Finished spans waiting for export, in the form the exporter takes: `Span` values, or OTLP
/// protobuf bytes cut into batches as they arrive (so taking a batch moves one buffer).
struct PendingSpans {
    /// One export's worth of spans.
    enum Batch {
        case spans([Span])
        case encoded(EncodedSpans)

        var count: Int {
            switch self {
            case .spans(let spans): spans.count
            case .encoded(let encoded): encoded.count
            }
        }
    }

    let encoded: Bool
    let batchSize: Int
    /// Spans queued, in either form.
    private(set) var count = 0
    private var spans: [Span] = []
    /// Complete encoded batches, oldest first, and the one being filled.
    private var full: [EncodedSpans] = []
    private var current = EncodedSpans(bytes: [], count: 0)
    private var lastFullBatchBytes = 0
    /// An exported batch's buffer, emptied, kept for the next batch.
    private var spare: [UInt8] = []

    init(encoded: Bool, batchSize: Int) {
        self.encoded = encoded
        self.batchSize = batchSize
        if !encoded { spans.reserveCapacity(batchSize) }
    }

    /// Whether a whole batch is waiting.
    var hasFullBatch: Bool { encoded ? !full.isEmpty : spans.count >= batchSize }

    mutating func append(_ span: Span) {
        spans.append(span)
        count += 1
    }

    /// Appends one encoded `ScopeSpans.spans` field.
    mutating func append(encoded bytes: UnsafeRawBufferPointer) {
        // A new batch buffer is sized like the last full one (spans of one service vary little),
        // so filling it copies nothing, and an idle trickle of spans does not reserve a full batch.
        if current.bytes.isEmpty {
            let wanted = max(4096, lastFullBatchBytes + lastFullBatchBytes / 8)
            if spare.capacity >= wanted {
                swap(&current.bytes, &spare)
            } else {
                current.bytes.reserveCapacity(wanted)
            }
        }
        current.bytes.append(contentsOf: bytes)
        current.count += 1
        count += 1
        if current.count >= batchSize {
            lastFullBatchBytes = current.bytes.count
            full.append(current)
            current = EncodedSpans(bytes: [], count: 0)
        }
    }

    /// Keeps an exported batch's emptied buffer for the next batch, when it holds more than the
    /// one kept already.
    mutating func recycle(_ buffer: inout [UInt8]) {
        guard buffer.isEmpty, buffer.capacity > spare.capacity else { return }
        swap(&spare, &buffer)
    }

    /// A full batch, or with `all` whatever is queued; nil when there is none.
    mutating func takeBatch(all: Bool) -> Batch? {
        if encoded {
            if !full.isEmpty {
                let batch = full.removeFirst()
                count -= batch.count
                return .encoded(batch)
            }
            guard all, current.count > 0 else { return nil }
            let batch = current
            current = EncodedSpans(bytes: [], count: 0)
            count -= batch.count
            return .encoded(batch)
        }
        if spans.count >= batchSize {
            let batch = Array(spans.prefix(batchSize))
            spans.removeFirst(batchSize)
            count -= batch.count
            return .spans(batch)
        }
        guard all, !spans.isEmpty else { return nil }
        let batch = spans
        spans.removeAll(keepingCapacity: true)
        count = 0
        return .spans(batch)
    }
}

/// Counters of a ``Tracer``'s span pipeline.
public struct TracerStats: Sendable, Hashable {
    /// Spans accepted into the export queue.
    public var enqueued: Int
    /// Spans dropped because the queue was full or the tracer was shut down.
    public var dropped: Int
    /// Spans the receiver accepted.
    public var exported: Int
    /// Spans lost because their export failed after all retries.
    public var failed: Int
    /// Spans waiting in the queue now.
    public var queued: Int

    /// Counters from their values.
    public init(enqueued: Int = 0, dropped: Int = 0, exported: Int = 0, failed: Int = 0, queued: Int = 0) {
        self.enqueued = enqueued
        self.dropped = dropped
        self.exported = exported
        self.failed = failed
        self.queued = queued
    }
}
