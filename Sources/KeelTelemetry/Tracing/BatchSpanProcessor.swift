import Synchronization

/// Queues finished spans and exports them in batches from a background task.
///
/// ``enqueue(_:)`` is what the request path pays: one short lock and an array append. When the
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
        var queue: [Span] = []
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
    private let resource: TelemetryResource
    private let scope: InstrumentationScope
    private let onResult: @Sendable (Int, SpanExportResult) -> Void
    private let state: Mutex<State>
    private let counters = Counters()
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
        self.resource = resource
        self.scope = scope
        self.configuration = configuration
        self.onResult = onResult
        var initial = State()
        initial.queue.reserveCapacity(configuration.maxExportBatchSize)
        self.state = Mutex(initial)
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
    @discardableResult
    public func enqueue(_ span: Span) -> Bool {
        let batchSize = configuration.maxExportBatchSize
        let capacity = configuration.maxQueueSize
        let (accepted, wake): (Bool, CheckedContinuation<Void, Never>?) = state.withLock { state in
            guard !state.closed, state.queue.count < capacity else { return (false, nil) }
            state.queue.append(span)
            if state.queue.count >= batchSize, let waiter = state.waiter {
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
            guard !state.queue.isEmpty else { return nil }
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
                let (batch, flushed, finished) = takeBatch()
                if !batch.isEmpty {
                    let result = await exporter.export(batch, resource: resource, scope: scope)
                    switch result {
                    case .success: counters.exported.wrappingAdd(batch.count, ordering: .relaxed)
                    case .failure: counters.failed.wrappingAdd(batch.count, ordering: .relaxed)
                    }
                    onResult(batch.count, result)
                }
                for waiter in flushed { waiter.resume() }
                if finished { return }
                if batch.isEmpty { break }
            }
        }
    }

    /// The next batch to export; when the queue is empty afterwards the flush waiters are handed
    /// back too (every span queued before they asked has been taken), and `finished` is set once
    /// the processor is closed and empty.
    private func takeBatch() -> (batch: [Span], flushed: [CheckedContinuation<Void, Never>], finished: Bool) {
        let batchSize = configuration.maxExportBatchSize
        return state.withLock { state in
            let draining = state.closed || state.timerDue || !state.flushWaiters.isEmpty
            var batch: [Span] = []
            if state.queue.count >= batchSize {
                batch = Array(state.queue.prefix(batchSize))
                state.queue.removeFirst(batchSize)
            } else if draining, !state.queue.isEmpty {
                batch = state.queue
                state.queue.removeAll(keepingCapacity: true)
            }
            guard state.queue.isEmpty, batch.isEmpty else { return (batch, [], false) }
            state.timerDue = false
            let flushed = state.flushWaiters
            state.flushWaiters = []
            if state.closed { state.finished = true }
            return ([], flushed, state.closed)
        }
    }

    private func waitForWork() async {
        let batchSize = configuration.maxExportBatchSize
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if state.closed || state.timerDue || !state.flushWaiters.isEmpty || state.queue.count >= batchSize {
                    return true
                }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
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
