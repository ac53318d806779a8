import Foundation
import KeelCore

// The AWS event stream binary framing (`application/vnd.amazon.eventstream`), as used by Bedrock
// ConverseStream, Transcribe streaming and S3 Select. Every message is:
//
//     total length     UInt32, big endian — the whole message, these 4 bytes and the CRC included
//     headers length   UInt32, big endian — the bytes of the headers section
//     prelude CRC      UInt32, big endian — CRC-32 of the 8 bytes above
//     headers          headers-length bytes
//     payload          total − headers − 16 bytes
//     message CRC      UInt32, big endian — CRC-32 of everything before it, prelude CRC included
//
// Each header is a 1-byte name length, the name (UTF-8), a 1-byte type and a value whose encoding
// the type decides (see ``AWSEventStreamHeaderValue``). Integers are big endian.

/// The value of an event stream message header, by wire type.
public enum AWSEventStreamHeaderValue: Sendable, Hashable {
    /// Type 0 (true) or 1 (false); no value bytes.
    case bool(Bool)
    /// Type 2: one signed byte.
    case byte(Int8)
    /// Type 3: a 2-byte signed integer.
    case int16(Int16)
    /// Type 4: a 4-byte signed integer.
    case int32(Int32)
    /// Type 5: an 8-byte signed integer.
    case int64(Int64)
    /// Type 6: bytes, after a 2-byte length.
    case byteArray([UInt8])
    /// Type 7: a UTF-8 string, after a 2-byte length.
    case string(String)
    /// Type 8: a time as milliseconds since 1970-01-01T00:00:00Z, 8 bytes.
    case timestamp(Int64)
    /// Type 9: a UUID, 16 bytes.
    case uuid(UUID)

    /// The string, when this is a ``string(_:)`` value.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

/// One event stream message: its headers and its payload.
public struct AWSEventStreamMessage: Sendable, Hashable {
    /// The headers by name. When a name repeats in a message, the last value wins.
    public var headers: [String: AWSEventStreamHeaderValue]
    /// The payload bytes (JSON for Bedrock).
    public var payload: [UInt8]

    /// A message with `headers` and `payload`.
    public init(headers: [String: AWSEventStreamHeaderValue] = [:], payload: [UInt8] = []) {
        self.headers = headers
        self.payload = payload
    }

    /// The string value of header `name`, or nil when it is absent or not a string.
    public func string(_ name: String) -> String? { headers[name]?.stringValue }

    /// `:message-type`: `event`, `exception` (a modeled service error) or `error`.
    public var messageType: String? { string(":message-type") }
    /// `:event-type` of an event, such as `contentBlockDelta`.
    public var eventType: String? { string(":event-type") }
    /// `:exception-type` of an exception, such as `throttlingException`.
    public var exceptionType: String? { string(":exception-type") }
    /// `:error-code` of an error message.
    public var errorCode: String? { string(":error-code") }
    /// `:error-message` of an error message.
    public var errorMessage: String? { string(":error-message") }
    /// `:content-type` of the payload, such as `application/json`.
    public var contentType: String? { string(":content-type") }
}

/// An error raised while decoding or encoding an event stream. Messages describe the framing only,
/// never payload contents.
public struct AWSEventStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The CRC-32 of the 8-byte prelude does not match the prelude CRC.
        public static let preludeCRCMismatch = Code("preludeCRCMismatch")
        /// The CRC-32 of the message does not match the message CRC.
        public static let messageCRCMismatch = Code("messageCRCMismatch")
        /// The total or headers length is out of bounds.
        public static let invalidLength = Code("invalidLength")
        /// A header is malformed: empty or overlong name, unknown type, value past the end of the
        /// headers section, string not UTF-8.
        public static let invalidHeader = Code("invalidHeader")
        /// The stream ended in the middle of a message.
        public static let truncated = Code("truncated")

        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// Human-readable details, safe to log.
    public var message: String

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "AWSEventStreamError(\(code)): \(message)" }
}

/// Limits of the event stream framing.
public enum AWSEventStreamLimits {
    /// The size of the prelude: total length, headers length, prelude CRC.
    public static let preludeLength = 12
    /// The smallest message: a prelude and a message CRC, no headers, no payload.
    public static let minimumMessageLength = 16
    /// The largest message accepted: 16 MiB.
    public static let maximumMessageLength = 16 * 1024 * 1024
    /// The largest headers section accepted: 128 KiB, the AWS limit.
    public static let maximumHeadersLength = 128 * 1024
}

/// An incremental event stream decoder: feed it byte chunks split anywhere, take complete messages.
///
/// ```swift
/// var decoder = AWSEventStreamDecoder()
/// for try await chunk in body {
///     for message in try decoder.feed(chunk) { handle(message) }
/// }
/// try decoder.finish()
/// ```
///
/// The prelude is checked as soon as its 12 bytes arrive, so a corrupt length fails before its
/// claimed size is buffered. Bytes are copied once into an internal buffer whose consumed prefix is
/// dropped as messages are taken. After any error the decoder stays failed: ``next()``, ``feed(_:)``
/// and ``finish()`` throw the same error again and ``append(_:)`` discards its input.
public struct AWSEventStreamDecoder: Sendable {
    private enum State: Sendable {
        /// Waiting for the 12-byte prelude of the next message.
        case prelude
        /// The prelude at `start` is valid; waiting for all `totalLength` bytes.
        case body(totalLength: Int, headersLength: Int)
        case failed(AWSEventStreamError)
    }

    private var state: State = .prelude
    private var buffer: [UInt8] = []
    /// Where the next unconsumed message starts in `buffer`.
    private var start = 0
    private let maximumMessageLength: Int

    /// A decoder accepting messages up to `maximumMessageLength` bytes (default and upper bound
    /// ``AWSEventStreamLimits/maximumMessageLength``, 16 MiB).
    public init(maximumMessageLength: Int = AWSEventStreamLimits.maximumMessageLength) {
        self.maximumMessageLength = min(max(maximumMessageLength, AWSEventStreamLimits.minimumMessageLength), AWSEventStreamLimits.maximumMessageLength)
    }

    /// The number of bytes received and not yet returned as messages.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes; take the messages they complete with ``next()``.
    public mutating func append<C: Collection<UInt8>>(_ bytes: C) {
        if case .failed = state { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil when more bytes are needed.
    public mutating func next() throws(AWSEventStreamError) -> AWSEventStreamMessage? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .prelude:
                guard bufferedByteCount >= AWSEventStreamLimits.preludeLength else { return nil }
                let total = Int(readUInt32(at: start))
                let headers = Int(readUInt32(at: start + 4))
                let expected = readUInt32(at: start + 8)
                let actual = buffer.withUnsafeBytes { CRC32.update(0, UnsafeRawBufferPointer(rebasing: $0[start..<start + 8])) }
                guard actual == expected else {
                    throw failure(.preludeCRCMismatch, "prelude CRC \(hex(actual)) does not match \(hex(expected))")
                }
                guard total >= AWSEventStreamLimits.minimumMessageLength, total <= maximumMessageLength else {
                    throw failure(.invalidLength, "message length \(total) is outside \(AWSEventStreamLimits.minimumMessageLength)...\(maximumMessageLength)")
                }
                guard headers <= total - AWSEventStreamLimits.minimumMessageLength, headers <= AWSEventStreamLimits.maximumHeadersLength else {
                    throw failure(.invalidLength, "headers length \(headers) does not fit a message of \(total) bytes")
                }
                compact()
                buffer.reserveCapacity(start + total)
                state = .body(totalLength: total, headersLength: headers)
            case .body(let total, let headersLength):
                guard bufferedByteCount >= total else { return nil }
                let message = try decodeMessage(total: total, headersLength: headersLength)
                start += total
                state = .prelude
                return message
            }
        }
    }

    /// Adds received bytes and returns every message they complete, in order.
    public mutating func feed<C: Collection<UInt8>>(_ bytes: C) throws(AWSEventStreamError) -> [AWSEventStreamMessage] {
        if case .failed(let error) = state { throw error }
        append(bytes)
        var messages: [AWSEventStreamMessage] = []
        while let message = try next() { messages.append(message) }
        return messages
    }

    /// Declares the end of the stream: throws ``AWSEventStreamError/Code-swift.struct/truncated``
    /// when bytes of an unfinished message remain. Take every complete message (``feed(_:)`` returns
    /// them all; with ``next()``, call it until nil) before finishing.
    public mutating func finish() throws(AWSEventStreamError) {
        if case .failed(let error) = state { throw error }
        if bufferedByteCount > 0 {
            throw failure(.truncated, "the stream ended inside a message (\(bufferedByteCount) bytes left)")
        }
    }

    // MARK: - Decoding one message

    /// Enters the failed state for good and returns the error to throw.
    private mutating func failure(_ code: AWSEventStreamError.Code, _ message: String) -> AWSEventStreamError {
        let error = AWSEventStreamError(code, message)
        state = .failed(error)
        buffer = []
        start = 0
        return error
    }

    private mutating func decodeMessage(total: Int, headersLength: Int) throws(AWSEventStreamError) -> AWSEventStreamMessage {
        let crcOffset = start + total - 4
        let expected = readUInt32(at: crcOffset)
        let from = start
        let actual = buffer.withUnsafeBytes { CRC32.update(0, UnsafeRawBufferPointer(rebasing: $0[from..<crcOffset])) }
        guard actual == expected else {
            throw failure(.messageCRCMismatch, "message CRC \(hex(actual)) does not match \(hex(expected))")
        }
        let headersStart = start + AWSEventStreamLimits.preludeLength
        let payloadStart = headersStart + headersLength
        let decoded = buffer.withUnsafeBytes { raw in
            Result { () throws(AWSEventStreamError) in
                try Self.decodeHeaders(UnsafeRawBufferPointer(rebasing: raw[headersStart..<payloadStart]))
            }
        }
        let headers: [String: AWSEventStreamHeaderValue]
        switch decoded {
        case .success(let value): headers = value
        case .failure(let error): throw failure(error.code, error.message)
        }
        return AWSEventStreamMessage(headers: headers, payload: Array(buffer[payloadStart..<crcOffset]))
    }

    static func decodeHeaders(_ raw: UnsafeRawBufferPointer) throws(AWSEventStreamError) -> [String: AWSEventStreamHeaderValue] {
        var headers: [String: AWSEventStreamHeaderValue] = [:]
        var i = 0
        let n = raw.count
        func need(_ count: Int, _ what: String) throws(AWSEventStreamError) {
            guard n - i >= count else {
                throw AWSEventStreamError(.invalidHeader, "\(what) runs past the end of the headers")
            }
        }
        func integer(_ width: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<width { v = v << 8 | UInt64(raw[i + k]) }
            i += width
            return v
        }
        while i < n {
            let nameLength = Int(raw[i])
            i += 1
            guard nameLength > 0 else { throw AWSEventStreamError(.invalidHeader, "a header has an empty name") }
            try need(nameLength + 1, "a header name")
            guard let name = String(validating: UnsafeRawBufferPointer(rebasing: raw[i..<i + nameLength]), as: UTF8.self) else {
                throw AWSEventStreamError(.invalidHeader, "a header name is not UTF-8")
            }
            i += nameLength
            let type = raw[i]
            i += 1
            let value: AWSEventStreamHeaderValue
            switch type {
            case 0: value = .bool(true)
            case 1: value = .bool(false)
            case 2:
                try need(1, "header \(name)")
                value = .byte(Int8(bitPattern: UInt8(integer(1))))
            case 3:
                try need(2, "header \(name)")
                value = .int16(Int16(bitPattern: UInt16(integer(2))))
            case 4:
                try need(4, "header \(name)")
                value = .int32(Int32(bitPattern: UInt32(integer(4))))
            case 5:
                try need(8, "header \(name)")
                value = .int64(Int64(bitPattern: integer(8)))
            case 6, 7:
                try need(2, "header \(name)")
                let length = Int(integer(2))
                try need(length, "header \(name)")
                let bytes = UnsafeRawBufferPointer(rebasing: raw[i..<i + length])
                i += length
                if type == 6 {
                    value = .byteArray(Array(bytes))
                } else {
                    guard let s = String(validating: bytes, as: UTF8.self) else {
                        throw AWSEventStreamError(.invalidHeader, "header \(name) is not UTF-8")
                    }
                    value = .string(s)
                }
            case 8:
                try need(8, "header \(name)")
                value = .timestamp(Int64(bitPattern: integer(8)))
            case 9:
                try need(16, "header \(name)")
                let b = Array(UnsafeRawBufferPointer(rebasing: raw[i..<i + 16]))
                i += 16
                value = .uuid(UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])))
            default:
                throw AWSEventStreamError(.invalidHeader, "header \(name) has unknown type \(type)")
            }
            headers[name] = value
        }
        return headers
    }

    // MARK: - Buffer

    private func readUInt32(at offset: Int) -> UInt32 {
        UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16 | UInt32(buffer[offset + 2]) << 8 | UInt32(buffer[offset + 3])
    }

    /// Drops consumed bytes: all of them for free when everything was consumed, otherwise when the
    /// consumed prefix is large enough that moving the rest is cheap by comparison.
    private mutating func compact() {
        guard start > 0 else { return }
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 4096 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    private func hex(_ value: UInt32) -> String {
        "0x" + Digest.hex(withUnsafeBytes(of: value.bigEndian) { Array($0) })
    }
}

/// Encodes event stream messages: the counterpart of ``AWSEventStreamDecoder``.
public enum AWSEventStreamEncoder {
    /// One framed message with `headers` (written sorted by name) and `payload`.
    ///
    /// Throws ``AWSEventStreamError/Code-swift.struct/invalidHeader`` for an empty name or one
    /// longer than 255 bytes, or a string or byte array longer than 65535 bytes, and
    /// ``AWSEventStreamError/Code-swift.struct/invalidLength`` when the message would exceed the
    /// limits of ``AWSEventStreamLimits``.
    public static func encode(headers: [String: AWSEventStreamHeaderValue], payload: [UInt8]) throws(AWSEventStreamError) -> [UInt8] {
        try encode(orderedHeaders: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, payload: payload)
    }

    /// One framed message with `headers` written in the given order.
    public static func encode(orderedHeaders: [(String, AWSEventStreamHeaderValue)], payload: [UInt8]) throws(AWSEventStreamError) -> [UInt8] {
        var headerBytes: [UInt8] = []
        for (name, value) in orderedHeaders {
            let nameBytes = Array(name.utf8)
            guard !nameBytes.isEmpty, nameBytes.count <= 255 else {
                throw AWSEventStreamError(.invalidHeader, "a header name must be 1 to 255 bytes")
            }
            headerBytes.append(UInt8(nameBytes.count))
            headerBytes.append(contentsOf: nameBytes)
            switch value {
            case .bool(let b): headerBytes.append(b ? 0 : 1)
            case .byte(let v):
                headerBytes.append(2)
                headerBytes.append(UInt8(bitPattern: v))
            case .int16(let v):
                headerBytes.append(3)
                appendBigEndian(UInt64(UInt16(bitPattern: v)), width: 2, to: &headerBytes)
            case .int32(let v):
                headerBytes.append(4)
                appendBigEndian(UInt64(UInt32(bitPattern: v)), width: 4, to: &headerBytes)
            case .int64(let v):
                headerBytes.append(5)
                appendBigEndian(UInt64(bitPattern: v), width: 8, to: &headerBytes)
            case .byteArray(let bytes):
                try appendVariable(type: 6, bytes, name: name, to: &headerBytes)
            case .string(let s):
                try appendVariable(type: 7, Array(s.utf8), name: name, to: &headerBytes)
            case .timestamp(let ms):
                headerBytes.append(8)
                appendBigEndian(UInt64(bitPattern: ms), width: 8, to: &headerBytes)
            case .uuid(let id):
                headerBytes.append(9)
                withUnsafeBytes(of: id.uuid) { headerBytes.append(contentsOf: $0) }
            }
        }
        guard headerBytes.count <= AWSEventStreamLimits.maximumHeadersLength else {
            throw AWSEventStreamError(.invalidLength, "the headers take \(headerBytes.count) bytes, more than \(AWSEventStreamLimits.maximumHeadersLength)")
        }
        let total = AWSEventStreamLimits.minimumMessageLength + headerBytes.count + payload.count
        guard total <= AWSEventStreamLimits.maximumMessageLength else {
            throw AWSEventStreamError(.invalidLength, "the message would take \(total) bytes, more than \(AWSEventStreamLimits.maximumMessageLength)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(total)
        appendBigEndian(UInt64(total), width: 4, to: &out)
        appendBigEndian(UInt64(headerBytes.count), width: 4, to: &out)
        appendBigEndian(UInt64(CRC32.checksum(out)), width: 4, to: &out)
        out.append(contentsOf: headerBytes)
        out.append(contentsOf: payload)
        appendBigEndian(UInt64(CRC32.checksum(out)), width: 4, to: &out)
        return out
    }

    private static func appendVariable(type: UInt8, _ bytes: [UInt8], name: String, to out: inout [UInt8]) throws(AWSEventStreamError) {
        guard bytes.count <= Int(UInt16.max) else {
            throw AWSEventStreamError(.invalidHeader, "the value of header \(name) is longer than 65535 bytes")
        }
        out.append(type)
        appendBigEndian(UInt64(bytes.count), width: 2, to: &out)
        out.append(contentsOf: bytes)
    }

    private static func appendBigEndian(_ value: UInt64, width: Int, to out: inout [UInt8]) {
        for k in stride(from: width - 1, through: 0, by: -1) {
            out.append(UInt8(truncatingIfNeeded: value >> (UInt64(k) * 8)))
        }
    }
}
