import Synchronization

/// The status line and headers of a response, handed from the I/O thread to the caller.
struct HTTPClientResponseHead: Sendable {
    var status: Int
    var version: String
    var headers: HTTPHeaders
}

/// The state one transfer shares between the I/O thread (producer) and its caller (consumer).
///
/// A small state machine under a `Mutex`: each method decides under the lock and returns what to do;
/// continuations are resumed after the lock is released, and each exactly once, because a
/// continuation is always taken out of the state before it is resumed.
final class HTTPClientTransfer: Sendable {
    /// How the transfer ended, once it has.
    enum End: Sendable {
        case finished
        case failed(HTTPClientError)
    }

    /// What the consumer gets from ``nextChunk(_:)``-style calls.
    enum Poll: Sendable {
        /// A chunk; if `unpause` is set, the caller must ask the I/O thread to resume the transfer.
        case chunk([UInt8], unpause: Bool)
        case end
        case failed(HTTPClientError)
        case empty
    }

    private struct State: Sendable {
        var headWaiter: CheckedContinuation<HTTPClientResponseHead, any Error>?
        var headDelivered = false
        /// Buffered chunks; `chunks[chunkStart...]` are pending (a cheap FIFO).
        var chunks: [[UInt8]] = []
        var chunkStart = 0
        var bufferedBytes = 0
        var bodyWaiter: CheckedContinuation<[UInt8]?, any Error>?
        var end: End?
        /// The I/O thread returned `CURL_WRITEFUNC_PAUSE` and has not been told to resume yet.
        var paused = false
        var unpauseRequested = false

        mutating func popChunk() -> [UInt8]? {
            guard chunkStart < chunks.count else { return nil }
            let chunk = chunks[chunkStart]
            chunks[chunkStart] = []
            chunkStart += 1
            if chunkStart == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                chunkStart = 0
            } else if chunkStart >= 64 && chunkStart * 2 >= chunks.count {
                chunks.removeFirst(chunkStart)
                chunkStart = 0
            }
            bufferedBytes -= chunk.count
            return chunk
        }

        mutating func dropChunks() {
            chunks = []
            chunkStart = 0
            bufferedBytes = 0
        }
    }

    let id: UInt64
    /// Bytes buffered before the transfer is paused.
    let bufferLimit: Int
    /// The transfer resumes once the buffer has drained to this many bytes.
    let resumeThreshold: Int
    private let state = Mutex(State())

    /// The head is handed over only when the transfer has ended, with the whole body buffered
    /// (``HTTPClient/fetch(_:upTo:)``).
    let deliversWholeResponse: Bool

    init(id: UInt64, bufferLimit: Int, deliversWholeResponse: Bool = false) {
        self.id = id
        self.bufferLimit = bufferLimit
        self.resumeThreshold = bufferLimit / 2
        self.deliversWholeResponse = deliversWholeResponse
    }

    // MARK: Consumer side

    /// Stores the continuation that receives the head, or resumes it at once if the transfer has
    /// already ended. Returns whether it was stored (and the transfer should be started).
    func installHeadWaiter(_ continuation: CheckedContinuation<HTTPClientResponseHead, any Error>) -> Bool {
        let error: HTTPClientError? = state.withLock { state in
            switch state.end {
            case .failed(let error): return error
            case .finished: return HTTPClientError(.protocolError, "the transfer ended without a response")
            case nil:
                state.headWaiter = continuation
                return nil
            }
        }
        if let error {
            continuation.resume(throwing: error)
            return false
        }
        return true
    }

    /// Takes the next buffered chunk without waiting.
    func poll() -> Poll {
        state.withLock { Self.poll(&$0, resumeThreshold: resumeThreshold) }
    }

    /// Resumes `continuation` at once with a chunk or the end, or stores it until the I/O thread has
    /// something. Returns whether the caller must ask the I/O thread to resume the transfer.
    func waitForChunk(_ continuation: CheckedContinuation<[UInt8]?, any Error>) -> Bool {
        let result: Poll = state.withLock { state in
            let result = Self.poll(&state, resumeThreshold: resumeThreshold)
            if case .empty = result { state.bodyWaiter = continuation }
            return result
        }
        switch result {
        case .chunk(let chunk, let unpause):
            continuation.resume(returning: chunk)
            return unpause
        case .end:
            continuation.resume(returning: nil)
        case .failed(let error):
            continuation.resume(throwing: error)
        case .empty:
            break
        }
        return false
    }

    private static func poll(_ state: inout State, resumeThreshold: Int) -> Poll {
        if case .failed(let error) = state.end, state.chunkStart == state.chunks.count || error.code == .cancelled {
            state.dropChunks()
            return .failed(error)
        }
        if let chunk = state.popChunk() {
            var unpause = false
            if state.paused && !state.unpauseRequested && state.bufferedBytes <= resumeThreshold {
                state.unpauseRequested = true
                unpause = true
            }
            return .chunk(chunk, unpause: unpause)
        }
        switch state.end {
        case .finished: return .end
        case .failed(let error): return .failed(error)
        case nil: return .empty
        }
    }

    /// Ends the transfer from the consumer side (task cancelled, body abandoned, size limit hit):
    /// fails any waiter and drops the buffer. Returns whether the transfer was still running, in
    /// which case the caller must tell the I/O thread to abort it.
    @discardableResult
    func cancel(_ error: HTTPClientError) -> Bool {
        let (wasRunning, head, body) = state.withLock { state in
            guard state.end == nil else {
                return (false, nil as CheckedContinuation<HTTPClientResponseHead, any Error>?, nil as CheckedContinuation<[UInt8]?, any Error>?)
            }
            state.end = .failed(error)
            state.dropChunks()
            let head = state.headWaiter
            let body = state.bodyWaiter
            state.headWaiter = nil
            state.bodyWaiter = nil
            return (true, head, body)
        }
        head?.resume(throwing: error)
        body?.resume(throwing: error)
        return wasRunning
    }

    /// Whether the transfer has ended (from either side).
    var hasEnded: Bool { state.withLock { $0.end != nil } }

    /// Bytes buffered and not yet taken by the consumer.
    var bufferedBytes: Int { state.withLock { $0.bufferedBytes } }

    /// Whether the network side is paused waiting for the consumer.
    var isPaused: Bool { state.withLock { $0.paused } }

    // MARK: I/O thread side

    /// Hands the response head to the waiting caller.
    func receivedHead(_ head: HTTPClientResponseHead) {
        let waiter: CheckedContinuation<HTTPClientResponseHead, any Error>? = state.withLock { state in
            guard state.end == nil, !state.headDelivered else { return nil }
            state.headDelivered = true
            let waiter = state.headWaiter
            state.headWaiter = nil
            return waiter
        }
        waiter?.resume(returning: head)
    }

    /// Offers body bytes from libcurl's write callback. Returns false if the buffer is full: the
    /// bytes were not taken and the transfer is now marked paused.
    func receivedBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        enum Action { case none, pause, resume(CheckedContinuation<[UInt8]?, any Error>) }
        let action: Action = state.withLock { state in
            if state.end != nil { return .none }  // the consumer has gone; the abort is on its way
            if state.bufferedBytes >= bufferLimit {
                state.paused = true
                return .pause
            }
            if let waiter = state.bodyWaiter {
                state.bodyWaiter = nil
                return .resume(waiter)
            }
            state.chunks.append(Array(bytes))
            state.bufferedBytes += bytes.count
            return .none
        }
        switch action {
        case .none: return true
        case .pause: return false
        case .resume(let waiter):
            // The buffer was empty (a waiter exists only then), so this chunk goes straight through.
            waiter.resume(returning: Array(bytes))
            return true
        }
    }

    /// Records that the I/O thread is about to resume the transfer with `curl_easy_pause`.
    func willUnpause() {
        state.withLock { state in
            state.paused = false
            state.unpauseRequested = false
        }
    }

    /// Ends the transfer from the network side: completes waiters with the end of the body or the
    /// error. Buffered chunks are still delivered before an error. Ignored if already ended.
    ///
    /// `deferredHead`, a head held back until the end, is handed to the head waiter in the same
    /// step, so the caller it wakes finds the body already complete.
    func finish(_ error: HTTPClientError?, deferredHead: HTTPClientResponseHead? = nil) {
        let (head, body, result): (CheckedContinuation<HTTPClientResponseHead, any Error>?, CheckedContinuation<[UInt8]?, any Error>?, End?) = state.withLock { state in
            guard state.end == nil else { return (nil, nil, nil) }
            if deferredHead != nil, !state.headDelivered {
                state.headDelivered = true
            }
            let end: End
            if let error {
                end = .failed(error)
            } else if !state.headDelivered {
                end = .failed(HTTPClientError(.protocolError, "the transfer ended without a complete response head"))
            } else {
                end = .finished
            }
            state.end = end
            state.paused = false
            let head = state.headWaiter
            state.headWaiter = nil
            // A body waiter exists only while the buffer is empty.
            let body = state.bodyWaiter
            state.bodyWaiter = nil
            return (head, body, end)
        }
        guard let result else { return }
        switch result {
        case .finished:
            // A head waiter is left only when this call brings the head (see the lock above).
            if let head {
                if let deferredHead {
                    head.resume(returning: deferredHead)
                } else {
                    head.resume(throwing: HTTPClientError(.protocolError, "the transfer ended without a response head"))
                }
            }
            body?.resume(returning: nil)
        case .failed(let error):
            head?.resume(throwing: error)
            body?.resume(throwing: error)
        }
    }
}
