internal import CMicroHTTPD
#if canImport(Glibc)
import Glibc
#endif
import KeelCore
import Synchronization

/// Thrown by a ``ResponseBodyWriter`` once the client has gone.
public struct ClientDisconnectedError: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "the client disconnected" }
}

/// A libmicrohttpd connection pointer handed to the connection's own loop.
struct UnsafeSendableConnection: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// One request/response exchange on a libmicrohttpd connection.
///
/// Threading: the fields outside `state` (`head`, `body`, `started`, …) are touched only by the
/// event loop thread that drives the connection, before the handler's task starts or from
/// that thread's callbacks. Everything shared with the handler's task, the disconnect watcher and
/// shutdown lives in `state`, under its mutex. `connection` stays valid until `completed(_:)`;
/// after that `state.closed` is true and nothing calls into libmicrohttpd with it.
/// That is the invariant behind `@unchecked Sendable`.
final class Exchange: @unchecked Sendable, ResponseBodyWriter {
    struct State {
        /// The connection is suspended in libmicrohttpd and must be resumed exactly once.
        var suspended = false
        /// libmicrohttpd has finished with the connection; its pointer is no longer valid.
        var closed = false
        /// The client is gone or the server is stopping: answer nothing more.
        var aborted = false
        /// A response head ready to be queued by the loop thread.
        var ready: Response?
        var task: Task<Void, Never>?
        // Streamed body.
        var chunks: [[UInt8]] = []
        var head = 0
        var offset = 0
        var buffered = 0
        var finished = false
        var failed = false
        var writerWaiting: CheckedContinuation<Void, any Error>?
    }

    let id: UInt64
    let server: ServerCore
    /// The loop that drives the connection; the handler's task prefers it as its executor.
    let loop: EventLoop
    let connection: OpaquePointer
    let state = Mutex(State())

    // Worker-thread-only fields.
    var method: String
    var path: String
    var headers = HTTPHeaders()
    var query: [(name: String, value: String)] = []
    var body: [UInt8] = []
    var bodyTooLarge = false
    var started = false

    init(id: UInt64, server: ServerCore, loop: EventLoop, connection: OpaquePointer, method: String, path: String) {
        self.id = id
        self.server = server
        self.loop = loop
        self.connection = connection
        self.method = method
        self.path = path
    }

    /// Where the exchange stands, for diagnostics. The loop-thread fields are read racily.
    var stateDescription: String {
        let s = state.withLock { s in
            "suspended=\(s.suspended) closed=\(s.closed) aborted=\(s.aborted) ready=\(s.ready != nil) task=\(s.task != nil) "
                + "finished=\(s.finished) failed=\(s.failed) buffered=\(s.buffered) writerWaiting=\(s.writerWaiting != nil)"
        } + " watcher=" + server.watcher.registration(of: id)
        return "#\(id) \(method) \(path) started=\(started) bodyTooLarge=\(bodyTooLarge) \(s)"
    }

    // MARK: Loop thread

    /// Called by the access handler once the whole request has arrived (and again after each resume).
    func proceed() -> MHD_Result {
        if !started {
            started = true
            if bodyTooLarge {
                return server.queue(server.tooLarge(path: path), on: connection, exchange: self)
            }
            let requestID = headers.first("x-request-id").flatMap { RequestID.isAcceptable($0) ? $0 : nil } ?? RequestID.generate()
            let request = Request(method: method, path: path, query: query, headers: headers, body: body)
            body = []
            let context = RequestContext(requestID: requestID, logger: server.logger.with("request_id", requestID))
            // Runs synchronously on this thread until the handler first suspends, so handlers that
            // never wait (health checks, errors, cached answers) are answered without a thread hop;
            // after a suspension it resumes on this loop too.
            let task = Task.immediate(executorPreference: loop) { [self] in
                await self.run(request, context)
            }
            state.withLock { s in
                if !s.closed { s.task = task }
                // Aborted (shutdown, disconnect) before the task could be stored: cancel it now.
                if s.aborted { task.cancel() }
            }
        }
        enum Next { case queue(Response), close, wait }
        let next: Next = state.withLock { s in
            if s.aborted { return .close }
            if let r = s.ready {
                s.ready = nil
                return .queue(r)
            }
            s.suspended = true
            MHD_suspend_connection(connection)
            server.watcher.watch(self, fd: keel_mhd_connection_fd(connection))
            return .wait
        }
        switch next {
        case .queue(let response):
            return server.queue(response, on: connection, exchange: self)
        case .close:
            return KEEL_MHD_NO
        case .wait:
            return KEEL_MHD_YES
        }
    }

    /// Fills `buffer` with streamed body bytes (libmicrohttpd's content reader). Suspends the
    /// connection when nothing is buffered yet, so no thread spins waiting for the producer.
    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        var wake: CheckedContinuation<Void, any Error>?
        let n: Int = state.withLock { s in
            if s.aborted { return Int(MHD_CONTENT_READER_END_WITH_ERROR) }
            if s.buffered > 0 {
                var copied = 0
                while copied < max, s.head < s.chunks.count {
                    let chunk = s.chunks[s.head]
                    let take = min(max - copied, chunk.count - s.offset)
                    chunk.withUnsafeBytes { src in
                        UnsafeMutableRawPointer(buffer + copied).copyMemory(from: src.baseAddress! + s.offset, byteCount: take)
                    }
                    copied += take
                    s.offset += take
                    if s.offset == chunk.count {
                        s.chunks[s.head] = []
                        s.head += 1
                        s.offset = 0
                    }
                }
                if s.head == s.chunks.count {
                    s.chunks.removeAll(keepingCapacity: true)
                    s.head = 0
                } else if s.head > 64 {
                    s.chunks.removeFirst(s.head)
                    s.head = 0
                }
                s.buffered -= copied
                if s.buffered <= server.configuration.streamBufferBytes / 2, let w = s.writerWaiting {
                    s.writerWaiting = nil
                    wake = w
                }
                return copied
            }
            if s.finished {
                return Int(s.failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM)
            }
            s.suspended = true
            MHD_suspend_connection(connection)
            server.watcher.watch(self, fd: keel_mhd_connection_fd(connection))
            return 0
        }
        wake?.resume()
        return n
    }

    /// libmicrohttpd is done with the connection (request-completed callback).
    func completed(_ termination: MHD_RequestTerminationCode) {
        let (task, waiting): (Task<Void, Never>?, CheckedContinuation<Void, any Error>?) = state.withLock { s in
            s.closed = true
            s.suspended = false
            let w = s.writerWaiting
            s.writerWaiting = nil
            let t = s.task
            s.task = nil
            return (t, w)
        }
        server.watcher.unwatch(self)
        if termination != KEEL_MHD_TERMINATED_OK {
            task?.cancel()
        }
        waiting?.resume(throwing: ClientDisconnectedError())
        server.exchangeFinished(self)
    }

    // MARK: Any thread

    /// Takes the suspension if there is one; the caller must then resume the connection (outside the lock).
    private func takeSuspension(_ s: inout State) -> Bool {
        guard s.suspended, !s.closed else { return false }
        s.suspended = false
        server.watcher.unwatch(self)
        return true
    }

    /// Resumes the suspended connection (the caller took the suspension), on the connection's
    /// loop: from another thread (the disconnect watcher, shutdown) the resume is handed to the
    /// loop, which then runs its daemon before it sleeps again. libmicrohttpd's own inter-thread
    /// signal is not relied on: in external epoll mode a resume signalled that way can sit
    /// unprocessed until the next network activity. A suspended connection cannot be closed
    /// meanwhile (only a resumed one can), and daemons are stopped by work queued on the same
    /// loop after this, so the pointer stays valid.
    private func resumeConnection() {
        if loop.isCurrent {
            MHD_resume_connection(connection)
            loop.pokeSources()
            return
        }
        let connection = UnsafeSendableConnection(pointer: connection)
        let loop = self.loop
        loop.execute {
            MHD_resume_connection(connection.pointer)
            loop.pokeSources()
        }
    }

    /// The disconnect watcher saw the client hang up while the connection was suspended.
    func clientDisconnected() {
        abort(error: ClientDisconnectedError())
    }

    /// Stops the exchange: cancels its handler and lets libmicrohttpd close the connection.
    func abort(error: any Error) {
        let (resume, task, waiting): (Bool, Task<Void, Never>?, CheckedContinuation<Void, any Error>?) = state.withLock { s in
            guard !s.closed else { return (false, nil, nil) }
            s.aborted = true
            let w = s.writerWaiting
            s.writerWaiting = nil
            return (takeSuspension(&s), s.task, w)
        }
        task?.cancel()
        waiting?.resume(throwing: error)
        if resume { resumeConnection() }
    }

    private func run(_ request: Request, _ context: RequestContext) async {
        var response = await server.responder.respond(to: request, context: context)
        response.headers.replaceOrAdd(name: "x-request-id", value: context.requestID)
        publish(response)
        if case .stream(let producer) = response.body {
            do {
                try await producer(self)
                finish(failed: false)
            } catch {
                if !(error is ClientDisconnectedError), !(error is CancellationError) {
                    context.logger.warning("response stream failed", ["error": String(describing: type(of: error))])
                }
                finish(failed: true)
            }
        }
    }

    private func publish(_ response: Response) {
        let resume: Bool = state.withLock { s in
            guard !s.closed, !s.aborted else { return false }
            s.ready = response
            return takeSuspension(&s)
        }
        if resume { resumeConnection() }
    }

    private func finish(failed: Bool) {
        let resume: Bool = state.withLock { s in
            s.finished = true
            s.failed = failed
            return takeSuspension(&s)
        }
        if resume { resumeConnection() }
    }

    func write(_ bytes: [UInt8]) async throws {
        try Task.checkCancellation()
        if bytes.isEmpty { return }
        let limit = server.configuration.streamBufferBytes
        let (resume, mustWait): (Bool, Bool) = try state.withLock { s in
            if s.closed || s.aborted { throw ClientDisconnectedError() }
            s.chunks.append(bytes)
            s.buffered += bytes.count
            return (takeSuspension(&s), s.buffered > limit)
        }
        if resume { resumeConnection() }
        guard mustWait else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Int = state.withLock { s in
                    if s.closed || s.aborted { return 1 }
                    if s.buffered <= limit / 2 { return 0 }
                    s.writerWaiting = continuation
                    return 2
                }
                switch outcome {
                case 0: continuation.resume()
                case 1: continuation.resume(throwing: ClientDisconnectedError())
                default: break
                }
            }
        } onCancel: {
            let waiting = state.withLock { s in
                let w = s.writerWaiting
                s.writerWaiting = nil
                return w
            }
            waiting?.resume(throwing: CancellationError())
        }
    }
}
