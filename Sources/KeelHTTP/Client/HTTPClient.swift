import Synchronization
/// An HTTP/1.1 and HTTP/2 client for upstream calls, built on libcurl's multi interface.
///
/// The client runs on an ``EventLoopGroup``: each loop owns one libcurl multi handle driven by its
/// own thread (never a thread of the Swift concurrency pool). A request is sent on the calling
/// thread's loop when it runs on one (a server handler: the whole exchange then stays on one
/// thread), otherwise on the loops in turn. Connections are kept and reused per host and loop,
/// HTTPS upgrades to HTTP/2 when the server offers it (concurrent requests then share one
/// connection), and plain `http://` uses HTTP/1.1. Create one client per process (or per upstream
/// class) and reuse it.
///
/// ``execute(_:)`` returns as soon as the response head has arrived; the body then streams as
/// ``HTTPClientResponse/Body`` with back-pressure: at most
/// ``HTTPClientConfiguration/maxBufferedBodyBytes`` are buffered before the client stops reading
/// from the network until the consumer catches up. Cancelling the calling task, or dropping the
/// response before reading its body to the end, aborts the transfer (closing its connection).
///
/// Proxies: unless ``HTTPClientConfiguration/proxy`` says otherwise, the standard environment
/// variables `http_proxy`, `https_proxy`, `all_proxy` and `no_proxy` (and their upper-case forms,
/// except `HTTP_PROXY`) are honoured, as libcurl interprets them.
///
/// Call ``shutdown()`` to stop the client; dropping the last reference does the same.
public final class HTTPClient: Sendable {
    private let group: EventLoopGroup
    private let ownsGroup: Bool
    private let closed = Atomic<Bool>(false)

    /// The settings this client was created with (for a shared group: the group's).
    public let configuration: HTTPClientConfiguration

    /// Creates a client with its own single event loop (one I/O thread, named `threadName`).
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration(), threadName: String = "keel-http-client") {
        self.configuration = configuration
        group = EventLoopGroup(threads: 1, clientConfiguration: configuration, name: threadName)
        ownsGroup = true
    }

    /// Creates a client on a shared group, whose loops' libcurl handles were configured when the
    /// group was created. The group's owner shuts it down.
    public init(group: EventLoopGroup) {
        self.group = group
        configuration = group.loops[0].engine.configuration
        ownsGroup = false
    }

    deinit {
        if ownsGroup { group.shutdown() }
    }

    /// Sends `request` and returns once the response status and headers have arrived.
    ///
    /// For a response known to have no body (`HEAD`, 204, 304, `Content-Length: 0`) it returns when
    /// the exchange is complete. Non-2xx statuses are responses, not errors. A failure after this
    /// method has returned (timeout, reset, size limit) is thrown by the body iterator.
    ///
    /// - Throws: ``HTTPClientError``: `.invalidRequest`, `.connectFailed`, `.connectTimeout`,
    ///   `.firstByteTimeout`, `.totalTimeout`, `.connectionLost`, `.protocolError`,
    ///   `.responseTooLarge`, `.cancelled` (the task was cancelled) or `.shutdown`.
    public func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        try await execute(request, wholeBody: false)
    }

    /// Sends `request` and returns once the whole response has arrived, with its body.
    ///
    /// For answers that are read whole anyway (a non-streamed completion): the caller is woken once,
    /// at the end of the exchange, instead of once for the head and again for each chunk, which
    /// saves a thread hand-over or more per request. The body is limited to `maxBytes` (and to the
    /// request's own ``HTTPClientRequest/maxResponseBytes``); it is buffered without back-pressure.
    ///
    /// - Throws: what ``execute(_:)`` and the body iterator throw, `.responseTooLarge` included.
    public func fetch(_ request: HTTPClientRequest, upTo maxBytes: Int) async throws -> (response: HTTPClientResponse, body: [UInt8]) {
        var request = request
        request.maxResponseBytes = min(request.maxResponseBytes ?? maxBytes, maxBytes)
        let response = try await execute(request, wholeBody: true)
        // Every chunk is buffered already: this loop does not suspend.
        return (response, try await response.collect(upTo: maxBytes))
    }

    private func execute(_ request: HTTPClientRequest, wholeBody: Bool) async throws -> HTTPClientResponse {
        try request.validate()
        if closed.load(ordering: .acquiring) {
            throw HTTPClientError(.shutdown, "the HTTP client was shut down")
        }
        let engine = group.next().engine
        let transfer = HTTPClientTransfer(
            id: engine.makeTransferID(),
            bufferLimit: wholeBody ? Int.max : engine.configuration.maxBufferedBodyBytes,
            deliversWholeResponse: wholeBody
        )
        // Owns the consumer side from here on: if this call throws or the response is dropped
        // before the end of its body, its deinit aborts the transfer.
        let storage = HTTPClientBodyStorage(transfer: transfer, engine: engine)
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard transfer.installHeadWaiter(continuation) else { return }
                if !engine.submit(.add(transfer, request)) {
                    transfer.finish(HTTPClientError(.shutdown, "the HTTP client was shut down"))
                }
            }
        } onCancel: {
            storage.abort(HTTPClientError(.cancelled, "the request was cancelled"))
        }
        return HTTPClientResponse(head: head, body: HTTPClientResponse.Body(storage: storage))
    }

    /// Later requests fail with ``HTTPClientError/Code-swift.struct/shutdown``. A client with its
    /// own loop also aborts every transfer in flight (their callers get `.shutdown`), stops the
    /// loop and waits for its thread to exit; on a shared group, the group's ``EventLoopGroup/shutdown()``
    /// does that.
    ///
    /// Idempotent. It blocks the calling thread only until the loop has finished its current
    /// iteration.
    public func shutdown() {
        closed.store(true, ordering: .releasing)
        if ownsGroup { group.shutdown() }
    }

    /// Current transfer counters, summed over the loops; cheap (a few relaxed atomic loads).
    public var stats: HTTPClientStats {
        var stats = HTTPClientStats(transfersStarted: 0, transfersCompleted: 0, transfersFailed: 0, transfersCancelled: 0, activeTransfers: 0)
        for loop in group.loops {
            let counters = loop.engine.counters
            stats.transfersStarted += counters.started.load(ordering: .relaxed)
            stats.transfersCompleted += counters.completed.load(ordering: .relaxed)
            stats.transfersFailed += counters.failed.load(ordering: .relaxed)
            stats.transfersCancelled += counters.cancelled.load(ordering: .relaxed)
            stats.activeTransfers += counters.active.load(ordering: .relaxed)
        }
        return stats
    }
}
