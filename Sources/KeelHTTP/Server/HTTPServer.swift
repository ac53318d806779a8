internal import CMicroHTTPD
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KeelCore
import Synchronization

/// The HTTP/1.1 server engine, on libmicrohttpd.
///
/// libmicrohttpd runs an epoll event loop on a pool of worker threads (one per core by default).
/// Handlers are `async` Swift functions: each request starts a task that runs synchronously until
/// its first suspension; if it has not answered by then, the engine suspends the connection (no
/// worker thread waits) and resumes it when the response is ready. Streamed bodies flow through a
/// bounded buffer: the producer suspends while the client reads slowly, and the connection is
/// suspended while the producer has nothing to send. A client that disconnects cancels the
/// handler's task, including while its connection is suspended.
public final class HTTPServer: Sendable {
    /// Engine settings. Every field has a default.
    public struct Configuration: Sendable {
        /// Address to bind: an IPv4/IPv6 literal or a resolvable name. Default `127.0.0.1`.
        public var host: String
        /// Port to bind; 0 picks a free port (read it back from ``HTTPServer/port``). Default 4000.
        public var port: Int
        /// Worker threads; 0 means one per CPU core. Default 0.
        public var threads: Int
        /// Most open connections at once; further connections are refused. Default 1024.
        public var maxConnections: Int
        /// Seconds an idle keep-alive or stalled connection is kept; 0 disables. Default 60.
        public var idleTimeoutSeconds: Int
        /// Largest accepted request body; larger ones get 413. Default 16 MiB.
        public var maxBodyBytes: Int
        /// Per-connection memory for the request head and send buffer. Default 64 KiB.
        public var connectionMemoryLimit: Int
        /// Bytes a streamed response may buffer before its producer is suspended. Default 64 KiB.
        public var streamBufferBytes: Int
        /// The error shape for answers the engine gives before any route is matched (413), by path.
        public var errorFormat: @Sendable (String) -> ErrorFormat

        public init(
            host: String = "127.0.0.1",
            port: Int = 4000,
            threads: Int = 0,
            maxConnections: Int = 1024,
            idleTimeoutSeconds: Int = 60,
            maxBodyBytes: Int = 16 * 1024 * 1024,
            connectionMemoryLimit: Int = 64 * 1024,
            streamBufferBytes: Int = 64 * 1024,
            errorFormat: @escaping @Sendable (String) -> ErrorFormat = { _ in .openAI }
        ) {
            self.host = host
            self.port = port
            self.threads = threads
            self.maxConnections = maxConnections
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.maxBodyBytes = maxBodyBytes
            self.connectionMemoryLimit = connectionMemoryLimit
            self.streamBufferBytes = streamBufferBytes
            self.errorFormat = errorFormat
        }
    }

    /// Why the server could not start.
    public struct StartError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    private let core: ServerCore

    public init(configuration: Configuration, responder: any HTTPResponder, logger: Logger) {
        core = ServerCore(configuration: configuration, responder: responder, logger: logger)
    }

    /// Binds and starts serving. Throws when the address cannot be bound.
    public func start() throws(StartError) {
        try core.start()
    }

    /// The bound port (useful when the configuration asked for port 0).
    public var port: Int { core.boundPort.load(ordering: .relaxed) }

    /// Requests received and not yet completed.
    public var activeRequests: Int { core.activeCount() }

    /// Whether the server is draining for shutdown.
    public var isDraining: Bool { core.draining.load(ordering: .relaxed) }

    /// Graceful shutdown: stops accepting connections, lets requests in flight (streams included)
    /// finish for up to `gracePeriod`, then cancels what remains and stops the worker threads.
    public func shutdown(gracePeriod: Duration) async {
        await core.shutdown(gracePeriod: gracePeriod)
    }
}

/// The engine's shared state, reachable from libmicrohttpd's C callbacks through an unretained pointer.
/// The `HTTPServer` keeps it alive; the daemon is stopped before it is released.
final class ServerCore: Sendable {
    let configuration: HTTPServer.Configuration
    let responder: any HTTPResponder
    let logger: Logger
    let watcher = DisconnectWatcher()
    let boundPort = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)
    private let nextID = Atomic<UInt64>(1)
    /// Requests in progress, and whether the daemon is being stopped (then no new one is admitted:
    /// a request suspended after the final sweep would be left suspended when the daemon stops).
    private let exchanges = Mutex<(map: [UInt64: Exchange], stopping: Bool)>(([:], false))
    /// The daemon pointer (as an integer so it can live in an atomic), 0 before start and after stop.
    private let daemon = Atomic<Int>(0)
    private let listenFD = Atomic<Int32>(-1)
    private let stopped = Atomic<Bool>(false)

    init(configuration: HTTPServer.Configuration, responder: any HTTPResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
    }

    deinit {
        if daemon.load(ordering: .acquiring) != 0 {
            // Not shut down explicitly: stop without draining.
            stopDaemonNow()
        }
        watcher.stop()
    }

    func start() throws(HTTPServer.StartError) {
        let threads = configuration.threads > 0 ? configuration.threads : ProcessInfo.processInfo.activeProcessorCount
        guard (0...65535).contains(configuration.port) else {
            throw HTTPServer.StartError(message: "port \(configuration.port) is out of range")
        }
        let flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_ITC.rawValue
            | MHD_USE_ERROR_LOG.rawValue | MHD_USE_TURBO.rawValue
        let cls = Unmanaged.passUnretained(self).toOpaque()
        let d = keel_mhd_start_daemon(
            UInt32(flags), configuration.host, UInt16(configuration.port),
            keelAccessHandler, cls,
            keelRequestCompleted, cls,
            keelLog, cls,
            UInt32(threads), UInt32(configuration.maxConnections),
            UInt32(configuration.idleTimeoutSeconds), configuration.connectionMemoryLimit
        )
        guard let d else {
            throw HTTPServer.StartError(message: "cannot listen on \(configuration.host):\(configuration.port) (address in use, not local, or not resolvable)")
        }
        daemon.store(Int(bitPattern: UnsafeMutableRawPointer(d)), ordering: .releasing)
        boundPort.store(Int(keel_mhd_bound_port(d)), ordering: .relaxed)
        logger.info("listening", ["address": "\(configuration.host):\(boundPort.load(ordering: .relaxed))", "threads": String(threads)])
    }

    private var daemonPointer: OpaquePointer? {
        let raw = daemon.load(ordering: .acquiring)
        return raw == 0 ? nil : OpaquePointer(bitPattern: raw)
    }

    func activeCount() -> Int { exchanges.withLock { $0.map.count } }

    // MARK: Callbacks (worker threads)

    func access(
        _ connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
        uploadData: UnsafePointer<CChar>?, uploadDataSize: UnsafeMutablePointer<Int>,
        requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        if let existing = requestState.pointee {
            let exchange = Unmanaged<Exchange>.fromOpaque(existing).takeUnretainedValue()
            let size = uploadDataSize.pointee
            if size > 0 {
                if !exchange.bodyTooLarge {
                    if exchange.body.count + size > configuration.maxBodyBytes {
                        exchange.bodyTooLarge = true
                        exchange.body = []
                    } else if let uploadData {
                        UnsafeRawPointer(uploadData).withMemoryRebound(to: UInt8.self, capacity: size) { p in
                            exchange.body.append(contentsOf: UnsafeBufferPointer(start: p, count: size))
                        }
                    }
                }
                uploadDataSize.pointee = 0
                return KEEL_MHD_YES
            }
            return exchange.proceed()
        }
        // First call: the request head is complete.
        let exchange = Exchange(
            id: nextID.add(1, ordering: .relaxed).oldValue, server: self, connection: connection,
            method: method.map { String(cString: $0) } ?? "GET", path: url.map { String(cString: $0) } ?? "/"
        )
        let admitted = exchanges.withLock { state -> Bool in
            if state.stopping { return false }
            state.map[exchange.id] = exchange
            return true
        }
        guard admitted else { return KEEL_MHD_NO }
        let box = Unmanaged.passUnretained(exchange).toOpaque()
        _ = MHD_get_connection_values(connection, KEEL_MHD_HEADER_KIND, keelCollectHeader, box)
        _ = MHD_get_connection_values(connection, KEEL_MHD_GET_ARGUMENT_KIND, keelCollectQuery, box)
        requestState.pointee = Unmanaged.passRetained(exchange).toOpaque()
        if let length = exchange.headers.first("content-length"), let n = Int(length), n > configuration.maxBodyBytes {
            // Refuse before reading the body; libmicrohttpd closes the connection after this answer.
            exchange.bodyTooLarge = true
            exchange.started = true
            return queue(tooLarge(path: exchange.path), on: connection, exchange: exchange)
        }
        return KEEL_MHD_YES
    }

    /// Builds a libmicrohttpd response and queues it. Worker thread only.
    func queue(_ response: Response, on connection: OpaquePointer, exchange: Exchange) -> MHD_Result {
        var response = response
        if response.headers.first("x-request-id") == nil {
            // An answer the engine gave itself, before any handler ran.
            let id = exchange.headers.first("x-request-id").flatMap { RequestID.isAcceptable($0) ? $0 : nil } ?? RequestID.generate()
            response.headers.add(name: "x-request-id", value: id)
        }
        let mhdResponse: OpaquePointer?
        switch response.body {
        case .bytes(let bytes):
            mhdResponse = bytes.withUnsafeBytes { raw in
                MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), KEEL_MHD_RESPMEM_MUST_COPY)
            }
        case .stream where exchange.method == "HEAD":
            // No body goes with an answer to HEAD; a streamed one would still get its last-chunk marker.
            mhdResponse = MHD_create_response_from_buffer(0, nil, KEEL_MHD_RESPMEM_MUST_COPY)
        case .stream:
            let cls = Unmanaged.passRetained(exchange).toOpaque()
            mhdResponse = MHD_create_response_from_callback(UInt64.max, 16 * 1024, keelContentReader, cls, keelContentReaderFree)
            if mhdResponse == nil { Unmanaged<Exchange>.fromOpaque(cls).release() }
        }
        guard let mhdResponse else { return KEEL_MHD_NO }
        defer { MHD_destroy_response(mhdResponse) }
        for field in response.headers {
            let lower = field.name.lowercased()
            if lower == "content-length" || lower == "transfer-encoding" || lower == "connection" { continue }
            _ = MHD_add_response_header(mhdResponse, field.name, field.value)
        }
        if draining.load(ordering: .relaxed) {
            _ = MHD_add_response_header(mhdResponse, "connection", "close")
        }
        return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    /// The 413 for a body over the limit, in the error shape of the request's path.
    func tooLarge(path: String) -> Response {
        HTTPError(413, "Request body is larger than the limit of \(configuration.maxBodyBytes) bytes.", code: "request_too_large")
            .response(format: configuration.errorFormat(path))
    }

    func exchangeFinished(_ exchange: Exchange) {
        exchanges.withLock { _ = $0.map.removeValue(forKey: exchange.id) }
    }

    // MARK: Shutdown

    func shutdown(gracePeriod: Duration) async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard let d = daemonPointer else { return }
        draining.store(true, ordering: .releasing)
        let fd = MHD_quiesce_daemon(d)
        if fd >= 0 {
            // New connections are refused at once instead of waiting in the backlog.
            Glibc.shutdown(fd, Int32(SHUT_RDWR))
            listenFD.store(fd, ordering: .relaxed)
        }
        let inFlight = activeCount()
        logger.info("draining", ["in_flight": String(inFlight), "grace_seconds": String(gracePeriod.components.seconds)])
        let deadline = ContinuousClock.now + gracePeriod
        while activeCount() > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let remaining = exchanges.withLock { Array($0.map.values) }
        if !remaining.isEmpty {
            logger.warning("grace period over; cancelling requests in flight", ["count": String(remaining.count)])
            for exchange in remaining { exchange.abort(error: CancellationError()) }
            let hardDeadline = ContinuousClock.now + .seconds(2)
            while activeCount() > 0, ContinuousClock.now < hardDeadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let t = Thread { [self] in
                self.stopDaemonNow()
                continuation.resume()
            }
            t.name = "keel-http-stop"
            t.start()
        }
        watcher.stop()
        logger.info("stopped")
    }

    private func stopDaemonNow() {
        let raw = daemon.exchange(0, ordering: .acquiringAndReleasing)
        guard raw != 0, let d = OpaquePointer(bitPattern: raw) else { return }
        // libmicrohttpd must not be stopped with suspended connections: resume them all first.
        let last = exchanges.withLock { state -> [Exchange] in
            state.stopping = true
            return Array(state.map.values)
        }
        for exchange in last { exchange.abort(error: CancellationError()) }
        MHD_stop_daemon(d)
        let fd = listenFD.exchange(-1, ordering: .relaxed)
        if fd >= 0 { close(fd) }
    }

    // MARK: Logging

    func log(_ message: String) {
        logger.debug("libmicrohttpd", ["detail": message.trimmingCharacters(in: .whitespacesAndNewlines)])
    }
}

// MARK: - C callbacks (file scope, capture-free)

private let keelAccessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadDataSize, requestState in
    guard let cls, let connection, let uploadDataSize, let requestState else { return KEEL_MHD_NO }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    return core.access(connection, url: url, method: method, uploadData: uploadData, uploadDataSize: uploadDataSize, requestState: requestState)
}

private let keelRequestCompleted: MHD_RequestCompletedCallback = { _, _, requestState, termination in
    guard let requestState, let raw = requestState.pointee else { return }
    requestState.pointee = nil
    let exchange = Unmanaged<Exchange>.fromOpaque(raw).takeRetainedValue()
    exchange.completed(termination)
}

private let keelContentReader: MHD_ContentReaderCallback = { cls, _, buffer, max in
    guard let cls, let buffer else { return Int(MHD_CONTENT_READER_END_WITH_ERROR) }
    let exchange = Unmanaged<Exchange>.fromOpaque(cls).takeUnretainedValue()
    return exchange.read(into: buffer, max: max)
}

private let keelContentReaderFree: MHD_ContentReaderFreeCallback = { cls in
    guard let cls else { return }
    Unmanaged<Exchange>.fromOpaque(cls).release()
}

private let keelCollectHeader: MHD_KeyValueIterator = { cls, _, key, value in
    guard let cls, let key else { return KEEL_MHD_YES }
    let exchange = Unmanaged<Exchange>.fromOpaque(cls).takeUnretainedValue()
    exchange.headers.add(name: String(cString: key), value: value.map { String(cString: $0) } ?? "")
    return KEEL_MHD_YES
}

private let keelCollectQuery: MHD_KeyValueIterator = { cls, _, key, value in
    guard let cls, let key else { return KEEL_MHD_YES }
    let exchange = Unmanaged<Exchange>.fromOpaque(cls).takeUnretainedValue()
    exchange.query.append((name: String(cString: key), value: value.map { String(cString: $0) } ?? ""))
    return KEEL_MHD_YES
}

private let keelLog: MHD_LogCallback = { cls, format, args in
    guard let cls, let format, let args else { return }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    var buffer = [CChar](repeating: 0, count: 512)
    _ = keel_vformat(&buffer, buffer.count, format, args)
    core.log(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
}
