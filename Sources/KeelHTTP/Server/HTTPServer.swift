internal import CMicroHTTPD
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KeelCore
import Synchronization

/// The HTTP/1.1 server engine, on libmicrohttpd.
///
/// The server runs on an ``EventLoopGroup`` (one loop per core by default): each loop drives one
/// libmicrohttpd daemon in external epoll mode, all accepting on one listening socket. Handlers
/// are `async` Swift functions: each request starts a task on its connection's loop (the task's
/// executor preference) that runs synchronously until its first suspension; if it has not
/// answered by then, the engine suspends the connection (no thread waits) and resumes it when the
/// response is ready. Upstream calls made through an ``HTTPClient`` on the same group run on the
/// same loop, so a proxied exchange never changes threads. Streamed bodies flow through a
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
        /// Event loops (threads) when the server creates its own group; 0 means one per CPU core.
        /// Ignored when the server is given a group. Default 0.
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

    /// Creates a server on `group`'s loops, or (nil) on a group of its own with
    /// ``Configuration/threads`` loops, which ``shutdown(gracePeriod:)`` stops.
    public init(configuration: Configuration, responder: any HTTPResponder, logger: Logger, group: EventLoopGroup? = nil) {
        core = ServerCore(
            configuration: configuration, responder: responder, logger: logger,
            group: group ?? EventLoopGroup(threads: configuration.threads, name: "keel-http"), ownsGroup: group == nil
        )
    }

    /// Binds and starts serving. Throws when the address cannot be bound.
    public func start() throws(StartError) {
        try core.start()
    }

    /// The bound port (useful when the configuration asked for port 0).
    public var port: Int { core.boundPort.load(ordering: .relaxed) }

    /// Requests received and not yet completed.
    public var activeRequests: Int { core.activeCount() }

    /// One line per request received and not yet completed, describing where it stands (for
    /// diagnostics: a request that never completes shows what it was waiting for).
    public var activeRequestStates: [String] { core.activeStates() }

    /// Whether the server is draining for shutdown.
    public var isDraining: Bool { core.draining.load(ordering: .relaxed) }

    /// Graceful shutdown: stops accepting connections, lets requests in flight (streams included)
    /// finish for up to `gracePeriod`, then cancels what remains and stops the daemons (and the loops, when the server created them).
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
    let group: EventLoopGroup
    let ownsGroup: Bool
    let watcher = DisconnectWatcher()
    let boundPort = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)
    private let nextID = Atomic<UInt64>(1)
    /// Requests in progress, and whether the daemon is being stopped (then no new one is admitted:
    /// a request suspended after the final sweep would be left suspended when the daemon stops).
    private let exchanges = Mutex<(map: [UInt64: Exchange], stopping: Bool)>(([:], false))
    /// One daemon per loop, set by `start()`.
    private let daemons = Mutex<[ServerDaemon]>([])
    private let listenFD = Atomic<Int32>(-1)
    private let stopped = Atomic<Bool>(false)

    init(configuration: HTTPServer.Configuration, responder: any HTTPResponder, logger: Logger, group: EventLoopGroup, ownsGroup: Bool) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.group = group
        self.ownsGroup = ownsGroup
    }

    deinit {
        if !daemons.withLock({ $0.isEmpty }) {
            // Not shut down explicitly: stop without draining.
            stopDaemonsNow()
        }
        watcher.stop()
        if ownsGroup { group.shutdown() }
    }

    func start() throws(HTTPServer.StartError) {
        guard (0...65535).contains(configuration.port) else {
            throw HTTPServer.StartError(message: "port \(configuration.port) is out of range")
        }
        guard daemons.withLock({ $0.isEmpty }) else { return }
        let loops = group.loops
        let flags = MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_ITC.rawValue
            | MHD_USE_ERROR_LOG.rawValue | MHD_USE_TURBO.rawValue
        let perDaemonLimit = max(1, configuration.maxConnections / loops.count)
        var started: [ServerDaemon] = []
        var sharedFD: Int32 = -1
        for loop in loops {
            let daemon = ServerDaemon(core: self, loop: loop)
            let cls = Unmanaged.passUnretained(daemon).toOpaque()
            let d = keel_mhd_start_external_daemon(
                UInt32(flags), configuration.host, UInt16(started.isEmpty ? configuration.port : boundPort.load(ordering: .relaxed)),
                sharedFD,
                keelAccessHandler, cls,
                keelRequestCompleted, cls,
                keelLog, cls,
                UInt32(clamping: perDaemonLimit), UInt32(clamping: max(0, configuration.idleTimeoutSeconds)), configuration.connectionMemoryLimit
            )
            guard let d else {
                for daemon in started { daemon.stopOnLoop() }
                // The started daemons gave the shared socket up when they stopped: close it once.
                if sharedFD >= 0, started.allSatisfy(\.releasedListenSocket) { close(sharedFD) }
                listenFD.store(-1, ordering: .relaxed)
                throw HTTPServer.StartError(message: "cannot listen on \(configuration.host):\(configuration.port) (address in use, not local, or not resolvable)")
            }
            daemon.daemon = d
            daemon.pollDescriptor = keel_mhd_epoll_fd(d)
            if started.isEmpty {
                boundPort.store(Int(keel_mhd_bound_port(d)), ordering: .relaxed)
                sharedFD = keel_mhd_listen_fd(d)
                // The other daemons race for each connection: accepting must never block.
                _ = keel_set_nonblocking(sharedFD)
                listenFD.store(sharedFD, ordering: .relaxed)
            }
            started.append(daemon)
        }
        daemons.withLock { $0 = started }
        for daemon in started {
            daemon.loop.execute { daemon.loop.attach(daemon) }
        }
        logger.info("listening", ["address": "\(configuration.host):\(boundPort.load(ordering: .relaxed))", "threads": String(loops.count)])
    }

    func activeCount() -> Int { exchanges.withLock { $0.map.count } }

    func activeStates() -> [String] {
        exchanges.withLock { Array($0.map.values) }.sorted { $0.id < $1.id }.map(\.stateDescription)
    }

    // MARK: Callbacks (loop threads)

    func access(
        _ connection: OpaquePointer, loop: EventLoop, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
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
            id: nextID.add(1, ordering: .relaxed).oldValue, server: self, loop: loop, connection: connection,
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

    /// Builds a libmicrohttpd response and queues it. Loop thread only.
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
            // libmicrohttpd frames the body and manages the connection itself.
            if HTTPHeaders.equalNames(field.name, "content-length") || HTTPHeaders.equalNames(field.name, "transfer-encoding")
                || HTTPHeaders.equalNames(field.name, "connection") { continue }
            _ = field.name.withCString { name in field.value.withCString { value in MHD_add_response_header(mhdResponse, name, value) } }
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
        let all = daemons.withLock { $0 }
        guard !all.isEmpty else {
            if ownsGroup { group.shutdown() }
            return
        }
        draining.store(true, ordering: .releasing)
        for daemon in all {
            await daemon.loop.submit { daemon.quiesce() }
        }
        let fd = listenFD.load(ordering: .relaxed)
        if fd >= 0 {
            // New connections are refused at once instead of waiting in the backlog.
            Glibc.shutdown(fd, Int32(SHUT_RDWR))
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
        abortRemaining()
        for daemon in all {
            await daemon.loop.submit { daemon.stop() }
        }
        finishStop()
        watcher.stop()
        if ownsGroup {
            let group = self.group
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let t = Thread {
                    group.shutdown()
                    continuation.resume()
                }
                t.name = "keel-http-stop"
                t.start()
            }
        }
        logger.info("stopped")
    }

    /// libmicrohttpd must not be stopped with suspended connections: resume them all first, and
    /// admit no new request.
    private func abortRemaining() {
        let last = exchanges.withLock { state -> [Exchange] in
            state.stopping = true
            return Array(state.map.values)
        }
        for exchange in last { exchange.abort(error: CancellationError()) }
    }

    /// Stops every daemon without draining (deinit without shutdown), on each loop's thread.
    private func stopDaemonsNow() {
        abortRemaining()
        let all = daemons.withLock { $0 }
        for daemon in all { daemon.stopOnLoop() }
        finishStop()
    }

    private func finishStop() {
        let all = daemons.withLock { d -> [ServerDaemon] in
            defer { d = [] }
            return d
        }
        let fd = listenFD.exchange(-1, ordering: .relaxed)
        // A daemon that could not give the socket up has closed it itself when it stopped.
        if fd >= 0, all.allSatisfy(\.releasedListenSocket) { close(fd) }
    }

    // MARK: Logging

    func log(_ message: String) {
        logger.debug("libmicrohttpd", ["detail": message.trimmingCharacters(in: .whitespacesAndNewlines)])
    }
}

/// One libmicrohttpd daemon in external epoll mode, driven by one event loop.
///
/// `@unchecked Sendable` invariant: `daemon` and `pollDescriptor` are set by `ServerCore.start()`
/// before the daemon is handed to its loop, and afterwards the daemon is used only on the loop's
/// thread (`runReady`, `timeoutMilliseconds`, `quiesce`, `stop`).
final class ServerDaemon: EventLoopSource, @unchecked Sendable {
    unowned let core: ServerCore
    let loop: EventLoop
    var daemon: OpaquePointer?
    var pollDescriptor: Int32 = -1
    /// Whether the daemon gave the listening socket up (quiesced), so stopping it leaves the
    /// socket open for the core to close once.
    var releasedListenSocket = false

    init(core: ServerCore, loop: EventLoop) {
        self.core = core
        self.loop = loop
    }

    func runReady() {
        guard let daemon else { return }
        let before = keel_mhd_current_connections(daemon)
        _ = MHD_run(daemon)
        // A run that closed connections may have freed a slot under the connection limit; the
        // daemon only starts watching its listening socket again on its next run.
        if keel_mhd_current_connections(daemon) < before { _ = MHD_run(daemon) }
    }

    func timeoutMilliseconds() -> Int? {
        guard let daemon else { return nil }
        let t = keel_mhd_timeout_ms(daemon)
        return t < 0 ? nil : Int(t)
    }

    /// Stops accepting; the shared listening socket stays open (closed once, by the core).
    func quiesce() {
        guard let daemon, !releasedListenSocket else { return }
        releasedListenSocket = MHD_quiesce_daemon(daemon) >= 0
    }

    /// Detaches from the loop and stops the daemon (closing its connections). Loop thread only.
    func stop() {
        guard let d = daemon else { return }
        loop.detach(self)
        quiesce()
        MHD_stop_daemon(d)
        daemon = nil
    }

    /// ``stop()`` on the loop's thread, waiting for it from any other thread.
    func stopOnLoop() {
        if loop.isCurrent {
            stop()
            return
        }
        let done = DispatchSemaphore(value: 0)
        loop.execute { [self] in
            self.stop()
            done.signal()
        }
        done.wait()
    }
}

// MARK: - C callbacks (file scope, capture-free)

private let keelAccessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadDataSize, requestState in
    guard let cls, let connection, let uploadDataSize, let requestState else { return KEEL_MHD_NO }
    let daemon = Unmanaged<ServerDaemon>.fromOpaque(cls).takeUnretainedValue()
    return daemon.core.access(connection, loop: daemon.loop, url: url, method: method, uploadData: uploadData, uploadDataSize: uploadDataSize, requestState: requestState)
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
    let core = Unmanaged<ServerDaemon>.fromOpaque(cls).takeUnretainedValue().core
    var buffer = [CChar](repeating: 0, count: 512)
    _ = keel_vformat(&buffer, buffer.count, format, args)
    core.log(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
}
