import Dispatch
import Foundation
import Synchronization
internal import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// The I/O side of ``HTTPClient`` on one ``EventLoop``: a libcurl multi handle driven by the loop's
/// thread.
///
/// Other threads never touch libcurl directly; they append a ``Command`` to a locked queue and
/// call `curl_multi_wakeup`, which interrupts the loop's `curl_multi_poll`. The loop then applies
/// the commands, runs `curl_multi_perform`, completes finished transfers, enforces the deadlines
/// libcurl does not know about (first byte, and total while paused) and polls again with a timeout
/// no later than the nearest deadline, so it never spins. Commands submitted on the loop's own
/// thread (a handler running there) need no wakeup: the loop applies them before it polls.
///
/// `@unchecked Sendable` invariant: `active` and `pollDescriptors` are read and written only on
/// the loop's thread; every other stored property is immutable, a `Mutex`, an `Atomic`, or (the
/// multi handle) used from other threads only through `curl_multi_wakeup`, which libcurl allows,
/// and only by a submitter that saw the queue open and counted itself in `wakeupsInFlight` (or by
/// the loop, which counts its own remote wakeups): the loop cleans the handle up only after the
/// queue is closed and those counts have dropped to zero.
final class HTTPClientEngine: @unchecked Sendable {
    enum Command {
        case add(HTTPClientTransfer, HTTPClientRequest)
        case cancel(UInt64)
        case unpause(UInt64)
    }

    private struct CommandQueue {
        var commands: [Command] = []
        var closed = false
    }

    /// Lock-free counters behind ``HTTPClient/stats``.
    final class Counters: Sendable {
        let started = Atomic<Int>(0)
        let completed = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let cancelled = Atomic<Int>(0)
        let active = Atomic<Int>(0)
    }

    let configuration: HTTPClientConfiguration
    let counters = Counters()
    private let multi: HTTPClientMultiHandle
    private let queue = Mutex(CommandQueue())
    private let nextTransferID = Atomic<UInt64>(1)
    /// Submitters between deciding to wake the loop (under the queue lock) and having done it
    /// (outside the lock, so the woken thread never blocks on a lock its waker still holds).
    private let wakeupsInFlight = Atomic<Int>(0)
    /// The `pthread_t` of the loop driving this engine; set once, on that thread, before it runs.
    private let loopThread = Atomic<UInt>(0)
    /// Loop thread only: extra descriptors `curl_multi_poll` watches (the loop's sources).
    var pollDescriptors: [Int32] = [] {
        didSet { waitDescriptors = pollDescriptors.map { curl_waitfd(fd: $0, events: Int16(CURL_WAIT_POLLIN), revents: 0) } }
    }
    /// ``pollDescriptors`` as `curl_multi_poll` takes them, kept so a poll allocates nothing.
    private var waitDescriptors: [curl_waitfd] = []
    /// Loop thread only: an empty command array that ``drive()`` swaps with the queue's.
    private var spareCommands: [Command] = []
    /// Loop thread only: easy handles of ended transfers, reset, for the next transfers.
    private var idleHandles: [HTTPClientEasyHandle] = []
    /// The most idle easy handles kept.
    static let idleHandleLimit = 64
    /// Loop thread only.
    private var active: [UInt64: HTTPClientActiveTransfer] = [:]

    init(configuration: HTTPClientConfiguration) {
        self.configuration = configuration
        multi = HTTPClientMultiHandle()
        multi.set(CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        multi.set(CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        multi.set(CURLMOPT_MAXCONNECTS, configuration.maxIdleConnections)
    }

    /// Binds the engine to the calling thread, the loop's, before the loop runs.
    func attachToCurrentThread() {
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
    }

    /// Whether the calling thread is the loop's.
    var onLoopThread: Bool {
        let id = loopThread.load(ordering: .acquiring)
        return id != 0 && pthread_equal(pthread_t(id), pthread_self()) != 0
    }

    func makeTransferID() -> UInt64 {
        nextTransferID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Queues a command for the loop. Returns false (and does nothing) after shutdown.
    ///
    /// The wakeup is sent after the queue lock is released: the loop, woken on the same core,
    /// would otherwise run straight into the lock its waker still holds and sleep again. A
    /// submitter that saw the queue open counts itself in `wakeupsInFlight` until its wakeup is
    /// sent, and the loop waits for that count to reach zero before cleaning up the handle. On the
    /// loop's own thread no wakeup is needed.
    @discardableResult
    func submit(_ command: Command) -> Bool {
        let onLoop = onLoopThread
        let wake: Bool? = queue.withLock { queue in
            guard !queue.closed else { return nil }
            queue.commands.append(command)
            // A non-empty queue means a wakeup is already pending for the earlier commands.
            guard !onLoop, queue.commands.count == 1 else { return false }
            wakeupsInFlight.add(1, ordering: .acquiringAndReleasing)
            return true
        }
        guard let wake else { return false }
        if wake {
            multi.wakeup()
            wakeupsInFlight.subtract(1, ordering: .acquiringAndReleasing)
        }
        return true
    }

    /// Interrupts the loop's poll (for work queued on the loop itself). Any thread; the caller
    /// keeps the handle alive by counting itself in the loop's own wakeup count.
    func wakeUpPoll() {
        multi.wakeup()
    }

    /// Closes the queue: later submissions fail, and the loop ends every transfer with
    /// ``HTTPClientError/Code-swift.struct/shutdown`` and stops. Idempotent; any thread.
    func shutdown() {
        queue.withLock { queue in
            guard !queue.closed else { return }
            queue.closed = true
            multi.wakeup()
        }
    }

    // MARK: The loop's thread

    /// Commands submitted and not yet applied.
    var hasPendingCommands: Bool {
        queue.withLock { !$0.commands.isEmpty }
    }

    /// Applies queued commands, lets libcurl do the I/O that is ready, completes finished
    /// transfers and enforces deadlines. False once the queue is closed (the loop then stops).
    func drive() -> Bool {
        // The queue's array and a spare one trade places, so taking the commands allocates nothing.
        var commands = spareCommands
        let closed = queue.withLock { queue in
            swap(&commands, &queue.commands)
            return queue.closed
        }
        if closed {
            for case .add(let transfer, _) in commands {
                transfer.finish(HTTPClientError(.shutdown, "the HTTP client was shut down"))
            }
            return false
        }
        for command in commands { apply(command) }
        commands.removeAll(keepingCapacity: true)
        spareCommands = commands
        var stillRunning: Int32 = 0
        _ = curl_multi_perform(multi.raw, &stillRunning)
        completeFinishedTransfers()
        enforceDeadlines(now: .now)
        return true
    }

    /// Waits for socket activity, the poll descriptors, a wakeup or the timeout; whether a
    /// descriptor had activity.
    @discardableResult
    func poll(timeoutMilliseconds timeout: Int32) -> Bool {
        var ready: Int32 = 0
        if pollDescriptors.isEmpty {
            _ = curl_multi_poll(multi.raw, nil, 0, timeout, &ready)
            return ready > 0
        }
        _ = waitDescriptors.withUnsafeMutableBufferPointer { buffer in
            curl_multi_poll(multi.raw, buffer.baseAddress, UInt32(buffer.count), timeout, &ready)
        }
        return ready > 0
    }

    /// Ends the transfers still active and frees the multi handle, once no wakeup is in flight.
    func finishShutdown() {
        let leftover = queue.withLock { queue in
            defer { queue.commands.removeAll() }
            return queue.commands
        }
        for case .add(let transfer, _) in leftover {
            transfer.finish(HTTPClientError(.shutdown, "the HTTP client was shut down"))
        }
        for (_, transfer) in active {
            end(transfer, HTTPClientError(.shutdown, "the HTTP client was shut down"))
        }
        // The queue is closed: no new wakeups start; let those already started finish.
        while wakeupsInFlight.load(ordering: .acquiring) > 0 { sched_yield() }
        idleHandles.removeAll()
        multi.cleanup()  // closes the idle connections too
        loopThread.store(0, ordering: .releasing)
    }

    private func apply(_ command: Command) {
        switch command {
        case .add(let transfer, let request):
            add(transfer, request)
        case .cancel(let id):
            guard let transfer = active[id] else { return }
            end(transfer, HTTPClientError(.cancelled, "the request was cancelled"))
        case .unpause(let id):
            guard let transfer = active[id] else { return }
            transfer.transfer.willUnpause()
            // May call the write callback right here with data libcurl held back while paused.
            let code = keel_curl_easy_unpause(transfer.easy.raw)
            if code != CURLE_OK || transfer.failure != nil {
                end(transfer, transfer.failure ?? error(for: code, transfer))
            }
        }
    }

    private func add(_ transfer: HTTPClientTransfer, _ request: HTTPClientRequest) {
        guard !transfer.hasEnded else { return }  // cancelled before the I/O thread got to it
        counters.started.add(1, ordering: .relaxed)
        do throws(HTTPClientError) {
            let easy: HTTPClientEasyHandle
            if let idle = idleHandles.popLast() { easy = idle } else { easy = try HTTPClientEasyHandle() }
            let activeTransfer = HTTPClientActiveTransfer(transfer: transfer, easy: easy, request: request, now: .now)
            try configure(easy, for: request, context: Unmanaged.passUnretained(activeTransfer).toOpaque())
            let code = curl_multi_add_handle(multi.raw, easy.raw)
            guard code == CURLM_OK else {
                throw HTTPClientError(.other, "curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(code)))")
            }
            active[transfer.id] = activeTransfer
            counters.active.add(1, ordering: .relaxed)
        } catch {
            counters.failed.add(1, ordering: .relaxed)
            transfer.finish(error)
        }
    }

    private func configure(_ easy: HTTPClientEasyHandle, for request: HTTPClientRequest, context: UnsafeMutableRawPointer) throws(HTTPClientError) {
        try easy.set(CURLOPT_URL, request.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_NOSIGNAL, 1)
        // HTTP/2 when the server offers it over TLS (ALPN); HTTP/1.1 for plain http.
        try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        // Over TLS, prefer waiting for a connection that can multiplex (HTTP/2) over opening
        // another one. Plain http is HTTP/1.1, one exchange per connection: waiting for a
        // connection still being set up would only delay a concurrent request (a hedge).
        if request.url.lowercased().hasPrefix("https:") {
            try easy.set(CURLOPT_PIPEWAIT, 1)
        }
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1)
        // A proxy's answer to CONNECT is not the response.
        try easy.set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        switch configuration.proxy {
        case .environment: break  // libcurl reads http_proxy, https_proxy, all_proxy, no_proxy
        case .disabled: try easy.set(CURLOPT_PROXY, "")
        case .url(let url): try easy.set(CURLOPT_PROXY, url)
        }
        if let path = configuration.caCertificatesPath {
            try easy.set(CURLOPT_CAINFO, path)
        }

        if let connect = request.timeouts.connect {
            try easy.set(CURLOPT_CONNECTTIMEOUT_MS, connect.curlMilliseconds)
        }
        if let total = request.timeouts.total {
            try easy.set(CURLOPT_TIMEOUT_MS, total.curlMilliseconds)
        }

        // Fields libcurl would add on its own unless told not to.
        var removed: HTTPClientEasyHandle.DefaultFields = []
        if !request.headers.contains("expect") { removed.insert(.expect) }

        switch (request.method, request.body) {
        case ("GET", nil):
            try easy.set(CURLOPT_HTTPGET, 1)
        case ("HEAD", nil):
            try easy.set(CURLOPT_NOBODY, 1)
        case (let method, let body):
            if let body = body ?? (method == "POST" ? [] : nil) {
                if !request.headers.contains("content-type") { removed.insert(.contentType) }
                try easy.setBody(body)
            }
            if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
        }
        try easy.setHeaders(request.headers, removing: removed)

        try easy.set(CURLOPT_WRITEFUNCTION, callback: httpClientWriteCallback)
        try easy.set(CURLOPT_WRITEDATA, pointer: context)
        try easy.set(CURLOPT_HEADERFUNCTION, callback: httpClientHeaderCallback)
        try easy.set(CURLOPT_HEADERDATA, pointer: context)
        try easy.set(CURLOPT_PRIVATE, pointer: context)
    }

    private func completeFinishedTransfers() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi.raw, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let code = keel_curl_msg_result(message)  // read before the handle is removed
            var context: UnsafeMutableRawPointer?
            _ = keel_curl_easy_getinfo_ptr(handle, CURLINFO_PRIVATE, &context)
            guard let context else { continue }
            let transfer = Unmanaged<HTTPClientActiveTransfer>.fromOpaque(context).takeUnretainedValue()
            if code == CURLE_OK && transfer.failure == nil && transfer.headComplete {
                end(transfer, nil)
            } else if code == CURLE_OK && transfer.failure == nil {
                end(transfer, HTTPClientError(.protocolError, "the response ended before its head was complete"))
            } else {
                end(transfer, transfer.failure ?? error(for: code, transfer))
            }
        }
    }

    private func enforceDeadlines(now: ContinuousClock.Instant) {
        var expired: [(HTTPClientActiveTransfer, HTTPClientError)] = []
        for (_, transfer) in active {
            guard let (deadline, code) = transfer.nextDeadline, deadline <= now else { continue }
            let limit = deadline - transfer.startedAt
            let message = code == .firstByteTimeout
                ? "the response head did not arrive within \(limit)"
                : "the exchange did not complete within \(limit)"
            expired.append((transfer, HTTPClientError(code, message)))
        }
        for (transfer, error) in expired {
            end(transfer, error)
        }
    }

    /// Milliseconds until the nearest deadline (rounded up, so the loop never wakes early and
    /// spins); `curl_multi_poll` shortens it further to libcurl's own next timer.
    func pollTimeoutMilliseconds() -> Int32 {
        let now = ContinuousClock.now
        var timeout = Duration.seconds(30)
        for (_, transfer) in active {
            if let (deadline, _) = transfer.nextDeadline { timeout = min(timeout, deadline - now) }
        }
        return Int32(timeout.curlMilliseconds)
    }

    /// Takes the transfer out of the multi handle (which closes its connection if the response
    /// was unfinished) and hands the outcome to the consumer: the held-back head and the end of
    /// the body on success, the error otherwise. The counters change first, so anyone who observes
    /// the effects of the removal also sees them.
    private func end(_ transfer: HTTPClientActiveTransfer, _ error: HTTPClientError?) {
        switch error?.code {
        case nil: counters.completed.add(1, ordering: .relaxed)
        case .cancelled?, .shutdown?: counters.cancelled.add(1, ordering: .relaxed)
        default: counters.failed.add(1, ordering: .relaxed)
        }
        counters.active.subtract(1, ordering: .relaxed)
        _ = curl_multi_remove_handle(multi.raw, transfer.easy.raw)
        active[transfer.transfer.id] = nil
        // Nothing reaches the handle through the ended transfer any more: keep it for the next one.
        // Only after a complete exchange: a handle whose transfer was aborted is freed, so nothing of
        // the abandoned connection can outlive it.
        if error == nil, idleHandles.count < Self.idleHandleLimit {
            transfer.easy.reset()
            idleHandles.append(transfer.easy)
        }
        // A held-back head is handed over together with the end, so its caller finds the body
        // complete and need not wait again.
        transfer.transfer.finish(error, deferredHead: error == nil ? transfer.deferredHead : nil)
    }

    /// Maps a libcurl result to an error. The message is libcurl's: it names hosts and ports, never
    /// header values, and may quote a proxy URL, whose credentials `HTTPClientError` redacts.
    private func error(for code: CURLcode, _ transfer: HTTPClientActiveTransfer) -> HTTPClientError {
        let message = transfer.easy.failureMessage(code)
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            // libcurl reports both of its timeouts with this code; tell them apart by the clock.
            if let total = transfer.totalDeadline, ContinuousClock.now + .milliseconds(50) >= total {
                return HTTPClientError(.totalTimeout, message)
            }
            return HTTPClientError(transfer.headComplete ? .totalTimeout : .connectTimeout, message)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
            CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE, CURLE_USE_SSL_FAILED:
            return HTTPClientError(.connectFailed, message)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2_STREAM:
            return HTTPClientError(.connectionLost, message)
        case CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_BAD_CONTENT_ENCODING, CURLE_TOO_MANY_REDIRECTS:
            return HTTPClientError(.protocolError, message)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPClientError(.invalidRequest, message)
        case CURLE_FILESIZE_EXCEEDED:
            return HTTPClientError(.responseTooLarge, message)
        default:
            return HTTPClientError(.other, message)
        }
    }
}
