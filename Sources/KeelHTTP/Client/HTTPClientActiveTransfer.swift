internal import CCurl

/// A transfer while its easy handle is in the multi handle: the I/O thread's side of it.
///
/// Only the I/O thread touches this object; libcurl's callbacks, which run on that thread inside
/// `curl_multi_perform` and `curl_easy_pause`, reach it through an unretained pointer that stays
/// valid because the engine keeps the object alive until the easy handle has been removed.
final class HTTPClientActiveTransfer {
    let transfer: HTTPClientTransfer
    let easy: HTTPClientEasyHandle
    let isHead: Bool
    let maxResponseBytes: Int?
    let startedAt: ContinuousClock.Instant
    /// Cleared once the response head is complete.
    var firstByteDeadline: ContinuousClock.Instant?
    let totalDeadline: ContinuousClock.Instant?
    /// Set by a callback that aborted the transfer; takes precedence over libcurl's result code.
    var failure: HTTPClientError?
    /// A head held back until completion because the response has no body.
    var deferredHead: HTTPClientResponseHead?
    private(set) var headComplete = false
    private var bodyBytes = 0

    // The head being parsed.
    private var status = 0
    private var version = ""
    private var headers = HTTPHeaders()
    private var lastName: String?
    private var lastValue = ""

    init(transfer: HTTPClientTransfer, easy: HTTPClientEasyHandle, request: HTTPClientRequest, now: ContinuousClock.Instant) {
        self.transfer = transfer
        self.easy = easy
        self.isHead = request.method == "HEAD"
        self.maxResponseBytes = request.maxResponseBytes
        self.startedAt = now
        self.firstByteDeadline = request.timeouts.firstByte.map { now + $0 }
        self.totalDeadline = request.timeouts.total.map { now + $0 }
    }

    /// The earliest deadline the I/O thread has to enforce for this transfer.
    var nextDeadline: (ContinuousClock.Instant, HTTPClientError.Code)? {
        switch (firstByteDeadline, totalDeadline) {
        case let (first?, total?): return first < total ? (first, .firstByteTimeout) : (total, .totalTimeout)
        case let (first?, nil): return (first, .firstByteTimeout)
        case let (nil, total?): return (total, .totalTimeout)
        case (nil, nil): return nil
        }
    }

    // MARK: Callbacks

    /// `CURLOPT_WRITEFUNCTION`: body bytes. May run re-entrantly from `curl_easy_pause`.
    func receiveBody(_ data: UnsafeRawBufferPointer) -> Int {
        if data.isEmpty { return 0 }
        if let maxResponseBytes, bodyBytes + data.count > maxResponseBytes {
            failure = HTTPClientError(.responseTooLarge, "the response body exceeds \(maxResponseBytes) bytes")
            return 0  // any count other than data.count aborts the transfer
        }
        guard transfer.receivedBody(data) else { return Int(keel_curl_writefunc_pause()) }
        bodyBytes += data.count
        return data.count
    }

    /// `CURLOPT_HEADERFUNCTION`: one header line at a time, CRLF included.
    func receiveHeaderLine(_ data: UnsafeRawBufferPointer) -> Int {
        if headComplete { return data.count }  // trailers of a chunked body are ignored
        let bytes = data.assumingMemoryBound(to: UInt8.self)
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }

        if end == 0 {
            guard endOfHead() else { return 0 }  // returning a short count aborts the transfer
        } else if end >= 5, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"), bytes[2] == UInt8(ascii: "T"),
            bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "/")
        {
            // A new status line: after a 1xx interim response, or a proxy's answer to CONNECT.
            beginHead(statusLine: UnsafeBufferPointer(rebasing: bytes[..<end]))
        } else if bytes[0] == UInt8(ascii: " ") || bytes[0] == UInt8(ascii: "\t") {
            // Obsolete line folding: continues the previous field's value.
            if lastName != nil { lastValue += " " + Self.trimmed(bytes, 0, end) }
        } else if let colon = bytes[..<end].firstIndex(of: UInt8(ascii: ":")) {
            flushField()
            lastName = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<colon]), as: UTF8.self)
            lastValue = Self.trimmed(bytes, colon + 1, end)
        } else {
            failure = HTTPClientError(.protocolError, "the response contains a malformed header line")
            return 0
        }
        return data.count
    }

    /// The text of `bytes[start..<end]` without leading and trailing spaces and tabs.
    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        var start = start, end = end
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// Starts a head block at its status line, `HTTP/1.1 200 OK`: the version after `HTTP/`, then
    /// the status code (0 when unreadable: libcurl's response code is used instead).
    private func beginHead(statusLine line: UnsafeBufferPointer<UInt8>) {
        let space = UInt8(ascii: " ")
        let versionEnd = line.firstIndex(of: space) ?? line.endIndex
        version = String(decoding: UnsafeBufferPointer(rebasing: line[min(5, versionEnd)..<versionEnd]), as: UTF8.self)
        var i = versionEnd
        while i < line.endIndex, line[i] == space { i += 1 }
        var code = 0
        var digits = 0
        while i < line.endIndex, line[i] != space, digits < 4 {
            guard line[i] >= UInt8(ascii: "0"), line[i] <= UInt8(ascii: "9") else { digits = 0; break }
            code = code * 10 + Int(line[i] - UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        status = digits > 0 && digits <= 3 ? code : 0
        headers = HTTPHeaders()
        lastName = nil
        lastValue = ""
    }

    private func flushField() {
        if let name = lastName { headers.add(name: name, value: lastValue) }
        lastName = nil
        lastValue = ""
    }

    /// Finishes a head block; returns false if the transfer must be aborted.
    private func endOfHead() -> Bool {
        flushField()
        if status == 0 { status = easy.info(CURLINFO_RESPONSE_CODE) }
        // Interim responses (100 Continue, 103 Early Hints) are followed by the real one.
        if status >= 100 && status < 200 && status != 101 { return true }
        headComplete = true
        firstByteDeadline = nil
        let head = HTTPClientResponseHead(status: status, version: version, headers: headers)
        if let maxResponseBytes, let length = headers.first("content-length").flatMap({ Int($0) }), length > maxResponseBytes {
            failure = HTTPClientError(.responseTooLarge, "the response body (\(length) bytes) exceeds \(maxResponseBytes) bytes")
            return false
        }
        // A response known to have no body is returned at completion, so the connection is back in
        // the pool before the caller can drop the response (dropping an unfinished body aborts it).
        // So is every response of a transfer that delivers the whole response at once.
        if transfer.deliversWholeResponse || isHead || status == 204 || status == 304 || headers.first("content-length") == "0" {
            deferredHead = head
        } else {
            transfer.receivedHead(head)
        }
        return true
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String { self[...].trimmingCharacters(in: set) }
}

/// `CURLOPT_WRITEFUNCTION` trampoline; `userdata` is the unretained ``HTTPClientActiveTransfer``.
let httpClientWriteCallback: curl_write_callback = { buffer, size, count, userdata in
    guard let userdata else { return 0 }
    let active = Unmanaged<HTTPClientActiveTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return active.receiveBody(UnsafeRawBufferPointer(start: buffer, count: size * count))
}

/// `CURLOPT_HEADERFUNCTION` trampoline; `userdata` is the unretained ``HTTPClientActiveTransfer``.
let httpClientHeaderCallback: curl_write_callback = { buffer, size, count, userdata in
    guard let userdata else { return 0 }
    let active = Unmanaged<HTTPClientActiveTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return active.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: size * count))
}
