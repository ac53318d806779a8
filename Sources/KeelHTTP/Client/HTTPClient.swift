/// An HTTP/1.1 and HTTP/2 client for upstream calls, built on libcurl's multi interface.
///
/// One client owns one libcurl multi handle and one dedicated I/O thread (never a thread of the
/// Swift concurrency pool), shared by every request: connections are kept and reused per host,
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
    private let engine: HTTPClientEngine

    /// The settings this client was created with.
    public var configuration: HTTPClientConfiguration { engine.configuration }

    /// Creates a client and starts its I/O thread.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        engine = HTTPClientEngine(configuration: configuration)
        engine.start()
    }

    deinit {
        engine.shutdown()
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
        let transfer = HTTPClientTransfer(
            id: engine.makeTransferID(),
            bufferLimit: wholeBody ? Int.max : engine.configuration.maxBufferedBodyBytes,
            deliversWholeResponse: wholeBody
        )
        // Owns the consumer side from here on: if this call throws or the response is dropped
        // before the end of its body, its deinit aborts the transfer.
        let storage = HTTPClientBodyStorage(transfer: transfer, engine: engine)
        let engine = self.engine
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

    /// Aborts every transfer in flight (their callers get ``HTTPClientError/Code-swift.struct/shutdown``),
    /// stops the I/O thread and waits for it to exit. Later requests fail with `.shutdown`.
    ///
    /// Idempotent. It blocks the calling thread only until the I/O thread has finished its current
    /// loop iteration.
    public func shutdown() {
        engine.shutdown()
    }

    /// Current transfer counters; cheap (a few relaxed atomic loads).
    public var stats: HTTPClientStats {
        let counters = engine.counters
        return HTTPClientStats(
            transfersStarted: counters.started.load(ordering: .relaxed),
            transfersCompleted: counters.completed.load(ordering: .relaxed),
            transfersFailed: counters.failed.load(ordering: .relaxed),
            transfersCancelled: counters.cancelled.load(ordering: .relaxed),
            activeTransfers: counters.active.load(ordering: .relaxed)
        )
    }
}
