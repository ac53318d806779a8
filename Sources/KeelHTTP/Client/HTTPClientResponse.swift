/// A response from ``HTTPClient/execute(_:)``: the head, and the body still streaming.
public struct HTTPClientResponse: Sendable {
    /// The status code, such as 200.
    public var status: Int
    /// The HTTP version of the response: `"1.1"`, `"1.0"` or `"2"`.
    public var version: String
    /// The response header fields, in the order received.
    public var headers: HTTPHeaders
    /// The body, as it arrives. Read it to the end (or drop the response to abort the transfer).
    public let body: Body

    init(head: HTTPClientResponseHead, body: Body) {
        status = head.status
        version = head.version
        headers = head.headers
        self.body = body
    }

    /// Reads the whole body into memory.
    ///
    /// - Throws: ``HTTPClientError`` with code `.responseTooLarge` (and aborts the transfer) if the
    ///   body exceeds `maxBytes`, or any error the body iterator throws.
    public func collect(upTo maxBytes: Int) async throws -> [UInt8] {
        var collected: [UInt8] = []
        // (A HEAD or 304 response may declare a length without having a body; the check is on bytes.)
        // The declared length comes from the server: reserve at most 1 MiB up front on its word.
        if let length = headers.first("content-length").flatMap({ Int($0) }), length > 0, length <= maxBytes {
            collected.reserveCapacity(min(length, 1 << 20))
        }
        for try await chunk in body {
            guard collected.count + chunk.count <= maxBytes else {
                let tooLarge = HTTPClientError(.responseTooLarge, "the response body exceeds \(maxBytes) bytes")
                body.storage.abort(tooLarge)
                throw tooLarge
            }
            collected.append(contentsOf: chunk)
        }
        return collected
    }

    /// The response body: an `AsyncSequence` of byte chunks in the order received.
    ///
    /// Iterate it once. Chunks are handed over as the network delivers them (typically up to 16 KiB
    /// each), so a streamed response (server-sent events, chunked output) is seen incrementally.
    /// The iterator returns nil at the end of the body and throws ``HTTPClientError`` if the
    /// transfer fails midway. Cancelling the iterating task aborts the transfer.
    public struct Body: AsyncSequence, Sendable {
        /// A chunk of body bytes.
        public typealias Element = [UInt8]

        let storage: HTTPClientBodyStorage

        /// Returns the iterator; the body is single-pass, so make one iterator per body.
        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(storage: storage)
        }

        /// Bytes received but not yet taken by the consumer (for tests and diagnostics).
        var bufferedByteCount: Int { storage.transfer.bufferedBytes }

        /// Whether reading from the network is paused until the consumer drains the buffer.
        var isPaused: Bool { storage.transfer.isPaused }

        /// Iterates the chunks of a ``HTTPClientResponse/Body``.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let storage: HTTPClientBodyStorage

            /// The next chunk, or nil at the end of the body.
            public mutating func next() async throws -> [UInt8]? {
                try await storage.next()
            }
        }
    }
}

/// The consumer's handle on a transfer. When the last response, body or iterator referring to it
/// goes away before the body has ended, `deinit` aborts the transfer.
final class HTTPClientBodyStorage: Sendable {
    let transfer: HTTPClientTransfer
    private let engine: HTTPClientEngine

    init(transfer: HTTPClientTransfer, engine: HTTPClientEngine) {
        self.transfer = transfer
        self.engine = engine
    }

    deinit {
        abort(HTTPClientError(.cancelled, "the response body was abandoned before its end"))
    }

    /// Ends the transfer with `error` if it is still running, and tells the I/O thread to abort it.
    func abort(_ error: HTTPClientError) {
        if transfer.cancel(error) { engine.submit(.cancel(transfer.id)) }
    }

    func next() async throws -> [UInt8]? {
        if Task.isCancelled {
            abort(HTTPClientError(.cancelled, "the request was cancelled"))
        }
        switch transfer.poll() {
        case .chunk(let chunk, let unpause):
            if unpause { engine.submit(.unpause(transfer.id)) }
            return chunk
        case .end:
            return nil
        case .failed(let error):
            throw error
        case .empty:
            break
        }
        let transfer = self.transfer
        let engine = self.engine
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if transfer.waitForChunk(continuation) { engine.submit(.unpause(transfer.id)) }
            }
        } onCancel: {
            self.abort(HTTPClientError(.cancelled, "the request was cancelled"))
        }
    }
}
