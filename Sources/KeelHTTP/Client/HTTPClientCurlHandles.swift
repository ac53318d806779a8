internal import CCurl

/// Owns a libcurl multi handle (`CURLM *`); cleaned up by ``cleanup()`` or in `deinit`.
///
/// Used only by the client's I/O thread, except ``wakeup()``, which libcurl allows from any thread.
/// `@unchecked Sendable` for that one call: the engine calls it only under its queue lock while the
/// queue is open, and the I/O thread calls ``cleanup()`` only after it has seen the queue closed.
final class HTTPClientMultiHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    private var cleanedUp = false

    init() {
        _ = HTTPClientMultiHandle.globalInit
        guard let raw = curl_multi_init() else { fatalError("curl_multi_init failed (out of memory)") }
        self.raw = raw
    }

    deinit { cleanup() }

    /// Frees the handle and closes its connections; remove every easy handle first. Idempotent.
    func cleanup() {
        guard !cleanedUp else { return }
        cleanedUp = true
        curl_multi_cleanup(raw)
    }

    /// `curl_global_init`, run once per process before the first handle is created.
    static let globalInit: Void = {
        let code = keel_curl_global_init_default()
        precondition(code == CURLE_OK, "curl_global_init failed: \(code.rawValue)")
    }()

    func set(_ option: CURLMoption, _ value: Int) {
        _ = keel_curl_multi_setopt_long(raw, option, value)
    }

    /// Interrupts a `curl_multi_poll` in progress (or the next one). Safe from any thread.
    func wakeup() { _ = curl_multi_wakeup(raw) }
}

/// Owns a libcurl easy handle (`CURL *`) and everything it points to (header list, error buffer);
/// removed from nothing and cleaned up in `deinit`, so remove it from the multi handle first.
///
/// Used only by the client's I/O thread.
final class HTTPClientEasyHandle {
    let raw: UnsafeMutableRawPointer
    /// The `CURLOPT_HTTPHEADER` list: `curl_slist` nodes followed by their NUL-terminated lines, in
    /// one block the handle owns and reuses from transfer to transfer (libcurl only reads the list).
    private var headerBlock: UnsafeMutableRawPointer?
    private var headerBlockCapacity = 0
    /// libcurl writes a detailed message here when a transfer fails (`CURLOPT_ERRORBUFFER`).
    let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws(HTTPClientError) {
        _ = HTTPClientMultiHandle.globalInit
        guard let raw = curl_easy_init() else { throw HTTPClientError(.other, "curl_easy_init failed") }
        self.raw = raw
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = keel_curl_easy_setopt_ptr(raw, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    deinit {
        curl_easy_cleanup(raw)
        headerBlock?.deallocate()
        errorBuffer.deallocate()
    }

    /// Returns the handle to its state right after ``init()`` (`curl_easy_reset`: every option
    /// back to its default and the copied body freed), keeping what libcurl allocated for it and
    /// the header block, so the next transfer reuses them instead of a new handle.
    func reset() {
        curl_easy_reset(raw)
        errorBuffer[0] = 0
        _ = keel_curl_easy_setopt_ptr(raw, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(keel_curl_easy_setopt_long(raw, option, value), option)
    }

    func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        try check(value.withCString { keel_curl_easy_setopt_str(raw, option, $0) }, option)
    }

    func set(_ option: CURLoption, largeValue value: Int64) throws(HTTPClientError) {
        try check(keel_curl_easy_setopt_off(raw, option, curl_off_t(value)), option)
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(HTTPClientError) {
        try check(keel_curl_easy_setopt_ptr(raw, option, pointer), option)
    }

    /// Sets the request body: `CURLOPT_POSTFIELDSIZE_LARGE`, then `CURLOPT_COPYPOSTFIELDS` (libcurl copies it).
    func setBody(_ body: [UInt8]) throws(HTTPClientError) {
        try set(CURLOPT_POSTFIELDSIZE_LARGE, largeValue: Int64(body.count))
        if body.isEmpty {
            try set(CURLOPT_COPYPOSTFIELDS, "")
            return
        }
        let code = body.withUnsafeBytes { bytes in
            keel_curl_easy_setopt_ptr(raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
        }
        try check(code, CURLOPT_COPYPOSTFIELDS)
    }

    func set(_ option: CURLoption, callback: curl_write_callback) throws(HTTPClientError) {
        try check(keel_curl_easy_setopt_write_fn(raw, option, callback), option)
    }

    /// Fields libcurl adds to a request on its own.
    struct DefaultFields: OptionSet {
        let rawValue: UInt8
        /// `Expect: 100-continue` before a large body.
        static let expect = DefaultFields(rawValue: 1)
        /// `Content-Type: application/x-www-form-urlencoded` with a POST body.
        static let contentType = DefaultFields(rawValue: 2)

        /// Each field with its `Name:` line, libcurl's syntax for leaving it out.
        static let removalLines: [(field: DefaultFields, line: StaticString)] = [(.expect, "Expect:"), (.contentType, "Content-Type:")]
    }

    /// Sets `CURLOPT_HTTPHEADER`: each field as `Name: value` (`Name;`, libcurl's syntax for an
    /// empty value), then a `Name:` line for each of `removed`. The list lives in the handle's
    /// header block until the next call, so a request costs no allocation once the block is big enough.
    func setHeaders(_ fields: HTTPHeaders, removing removed: DefaultFields) throws(HTTPClientError) {
        let lineCount = fields.count + removed.rawValue.nonzeroBitCount
        guard lineCount > 0 else {
            try check(keel_curl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, nil), CURLOPT_HTTPHEADER)
            return
        }
        let nodeBytes = lineCount * MemoryLayout<curl_slist>.stride
        var byteCount = nodeBytes
        for field in fields { byteCount += field.name.utf8.count + 2 + field.value.utf8.count + 1 }
        for (field, line) in DefaultFields.removalLines where removed.contains(field) { byteCount += line.utf8CodeUnitCount + 1 }
        if byteCount > headerBlockCapacity {
            headerBlock?.deallocate()
            headerBlockCapacity = max(byteCount, 512)
            headerBlock = UnsafeMutableRawPointer.allocate(byteCount: headerBlockCapacity, alignment: MemoryLayout<curl_slist>.alignment)
        }
        let block = headerBlock!
        let nodes = block.bindMemory(to: curl_slist.self, capacity: lineCount)
        var text = (block + nodeBytes).bindMemory(to: UInt8.self, capacity: byteCount - nodeBytes)
        var index = 0
        func addLine(_ write: (inout UnsafeMutablePointer<UInt8>) -> Void) {
            let start = text
            write(&text)
            text.pointee = 0
            text += 1
            (nodes + index).initialize(to: curl_slist(
                data: UnsafeMutableRawPointer(start).assumingMemoryBound(to: CChar.self),
                next: index + 1 < lineCount ? nodes + index + 1 : nil
            ))
            index += 1
        }
        func copy(_ string: String, to out: inout UnsafeMutablePointer<UInt8>) {
            var string = string
            string.withUTF8 { bytes in
                guard let base = bytes.baseAddress else { return }
                out.update(from: base, count: bytes.count)
                out += bytes.count
            }
        }
        for field in fields {
            addLine { out in
                copy(field.name, to: &out)
                if field.value.isEmpty {
                    out.pointee = UInt8(ascii: ";")
                    out += 1
                } else {
                    out.pointee = UInt8(ascii: ":")
                    (out + 1).pointee = UInt8(ascii: " ")
                    out += 2
                    copy(field.value, to: &out)
                }
            }
        }
        for (field, line) in DefaultFields.removalLines where removed.contains(field) {
            addLine { out in
                out.update(from: line.utf8Start, count: line.utf8CodeUnitCount)
                out += line.utf8CodeUnitCount
            }
        }
        try check(keel_curl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, nodes), CURLOPT_HTTPHEADER)
    }

    func info(_ item: CURLINFO) -> Int {
        var value = 0
        _ = keel_curl_easy_getinfo_long(raw, item, &value)
        return value
    }

    /// libcurl's detailed message for the last failure, or its generic text for `code`.
    func failureMessage(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        if !detail.isEmpty { return detail }
        return String(cString: curl_easy_strerror(code))
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            let kind: HTTPClientError.Code = code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT ? .invalidRequest : .other
            throw HTTPClientError(kind, "libcurl rejected option \(option.rawValue): \(String(cString: curl_easy_strerror(code)))")
        }
    }
}
