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
    private var headerList: UnsafeMutablePointer<curl_slist>?
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
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Returns the handle to its state right after ``init()`` (`curl_easy_reset`: every option
    /// back to its default, the header list and the copied body freed), keeping what libcurl
    /// allocated for it, so the next transfer reuses it instead of a new handle.
    func reset() {
        curl_easy_reset(raw)
        curl_slist_free_all(headerList)
        headerList = nil
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

    /// Sets `CURLOPT_HTTPHEADER` to `lines` (each `Name: value`); the list lives as long as the handle.
    func setHeaderLines(_ lines: [String]) throws(HTTPClientError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw HTTPClientError(.other, "out of memory building the header list")
            }
            list = appended
        }
        curl_slist_free_all(headerList)
        headerList = list
        try check(keel_curl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, list), CURLOPT_HTTPHEADER)
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
