import Foundation
@testable import KeelGateway
import KeelTestSupport
import Testing

/// The event stream framing of Bedrock ConverseStream: CRC-32, encoder, incremental decoder.
@Suite("AWS event stream")
struct AWSEventStreamTests {
    // MARK: - CRC-32

    /// Bit-at-a-time CRC-32, the definition the table-driven version must agree with.
    static func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    @Test func crc32OfKnownStrings() {
        #expect(CRC32.checksum("123456789") == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum("The quick brown fox jumps over the lazy dog") == 0x414F_A339)
        #expect(CRC32.checksum("a") == 0xE8B7_BE43)
    }

    @Test func crc32MatchesTheBitwiseDefinitionAndIsIncremental() {
        var generator = SeededGenerator(seed: 7)
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4099] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let whole = CRC32.checksum(bytes)
            #expect(whole == Self.referenceCRC32(bytes), "length \(length)")
            let cut = length / 3
            #expect(CRC32.update(CRC32.checksum(bytes[..<cut]), with: bytes[cut...]) == whole, "length \(length)")
            // A non-contiguous collection takes the copying path.
            #expect(CRC32.checksum(bytes.lazy.map { $0 }) == whole)
        }
    }

    // MARK: - Known frames

    /// The `empty_message` and `payload_no_headers` encoding vectors (prelude and message CRCs also
    /// checked against zlib).
    @Test func knownFrames() throws {
        let empty: [UInt8] = [0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x05, 0xC2, 0x48, 0xEB, 0x7D, 0x98, 0xC8, 0xFF]
        #expect(try AWSEventStreamEncoder.encode(headers: [:], payload: []) == empty)
        let payload = Array("{'foo':'bar'}".utf8)
        let framed: [UInt8] = [0x00, 0x00, 0x00, 0x1D, 0x00, 0x00, 0x00, 0x00, 0xFD, 0x52, 0x8C, 0x5A] + payload + [0xC3, 0x65, 0x39, 0x36]
        #expect(try AWSEventStreamEncoder.encode(headers: [:], payload: payload) == framed)

        var decoder = AWSEventStreamDecoder()
        let messages = try decoder.feed(empty + framed)
        #expect(messages == [AWSEventStreamMessage(), AWSEventStreamMessage(payload: payload)])
        try decoder.finish()
    }

    @Test func headerWireEncoding() throws {
        let bytes = try AWSEventStreamEncoder.encode(orderedHeaders: [
            ("t", .bool(true)), ("f", .bool(false)), ("b", .byte(-2)), ("s", .int16(0x0102)),
            ("i", .int32(-1)), ("l", .int64(0x0102_0304_0506_0708)), ("a", .byteArray([0xAA])),
            ("x", .string("hi")), ("d", .timestamp(1)),
        ], payload: [])
        let expectedHeaders: [UInt8] = [
            1, 0x74, 0,
            1, 0x66, 1,
            1, 0x62, 2, 0xFE,
            1, 0x73, 3, 0x01, 0x02,
            1, 0x69, 4, 0xFF, 0xFF, 0xFF, 0xFF,
            1, 0x6C, 5, 1, 2, 3, 4, 5, 6, 7, 8,
            1, 0x61, 6, 0, 1, 0xAA,
            1, 0x78, 7, 0, 2, 0x68, 0x69,
            1, 0x64, 8, 0, 0, 0, 0, 0, 0, 0, 1,
        ]
        #expect(Array(bytes[12..<(12 + expectedHeaders.count)]) == expectedHeaders)
        #expect(bytes.count == 16 + expectedHeaders.count)
        #expect(Array(bytes[4..<8]) == [0, 0, 0, UInt8(expectedHeaders.count)])
    }

    // MARK: - Round trips

    static let everyHeaderType: [String: AWSEventStreamHeaderValue] = [
        "true": .bool(true),
        "false": .bool(false),
        "byte": .byte(-128),
        "int16": .int16(-12345),
        "int32": .int32(Int32.min),
        "int64": .int64(Int64.max),
        "bytes": .byteArray([0, 1, 2, 0xFF]),
        "empty-bytes": .byteArray([]),
        "string": .string("héllo ✓"),
        "empty-string": .string(""),
        "timestamp": .timestamp(1_720_000_000_123),
        "negative-timestamp": .timestamp(-1),
        "uuid": .uuid(UUID(uuidString: "D1B6E1C2-5A4B-4C3D-9E8F-0123456789AB")!),
    ]

    @Test func roundTripEveryHeaderType() throws {
        for (name, value) in Self.everyHeaderType {
            let headers = [name: value]
            let frame = try AWSEventStreamEncoder.encode(headers: headers, payload: Array("p".utf8))
            var decoder = AWSEventStreamDecoder()
            let messages = try decoder.feed(frame)
            #expect(messages.count == 1)
            #expect(messages.first?.headers == headers, "header \(name)")
            #expect(messages.first?.payload == Array("p".utf8))
        }
        let all = try AWSEventStreamEncoder.encode(headers: Self.everyHeaderType, payload: [])
        var decoder = AWSEventStreamDecoder()
        #expect(try decoder.feed(all) == [AWSEventStreamMessage(headers: Self.everyHeaderType, payload: [])])
    }

    static func sampleStream() throws -> (bytes: [UInt8], messages: [AWSEventStreamMessage]) {
        var generator = SeededGenerator(seed: 42)
        var messages: [AWSEventStreamMessage] = []
        for i in 0..<40 {
            let payloadLength = [0, 1, 17, 300, 5000][i % 5]
            let payload = (0..<payloadLength).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var headers: [String: AWSEventStreamHeaderValue] = [":message-type": .string("event"), "seq": .int32(Int32(i))]
            if i % 3 == 0 { headers["uuid"] = .uuid(UUID()) }
            messages.append(AWSEventStreamMessage(headers: headers, payload: payload))
        }
        var bytes: [UInt8] = []
        for m in messages { bytes += try AWSEventStreamEncoder.encode(headers: m.headers, payload: m.payload) }
        return (bytes, messages)
    }

    @Test func oneByteAtATime() throws {
        let (bytes, expected) = try Self.sampleStream()
        var decoder = AWSEventStreamDecoder()
        var decoded: [AWSEventStreamMessage] = []
        for byte in bytes {
            decoder.append(CollectionOfOne(byte))
            while let message = try decoder.next() { decoded.append(message) }
        }
        try decoder.finish()
        #expect(decoded == expected)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func randomSplits() throws {
        let (bytes, expected) = try Self.sampleStream()
        var generator = SeededGenerator(seed: 1)
        for round in 0..<50 {
            var decoder = AWSEventStreamDecoder()
            var decoded: [AWSEventStreamMessage] = []
            var offset = 0
            while offset < bytes.count {
                let maxChunk = [3, 40, 700, 20_000][round % 4]
                let size = min(bytes.count - offset, Int(generator.next() % UInt64(maxChunk)) + 1)
                decoded += try decoder.feed(bytes[offset..<(offset + size)])
                offset += size
            }
            try decoder.finish()
            #expect(decoded == expected, "round \(round)")
        }
        var whole = AWSEventStreamDecoder()
        #expect(try whole.feed(bytes) == expected)
    }

    // MARK: - Errors

    static func frame(_ text: String = "hello") throws -> [UInt8] {
        try AWSEventStreamEncoder.encode(headers: [":event-type": .string("x")], payload: Array(text.utf8))
    }

    static func decodeError(_ bytes: [UInt8], chunk: Int = .max) -> AWSEventStreamError? {
        var decoder = AWSEventStreamDecoder()
        do {
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                _ = try decoder.feed(bytes[offset..<end])
                offset = end
            }
            try decoder.finish()
            return nil
        } catch {
            return error
        }
    }

    @Test func corruptPreludeCRCIsDetected() throws {
        var bytes = try Self.frame()
        bytes[9] ^= 0x01
        #expect(Self.decodeError(bytes)?.code == .preludeCRCMismatch)
        // A corrupt length is caught by the prelude CRC before its bytes are awaited.
        var decoder = AWSEventStreamDecoder()
        var lengthCorrupt = try Self.frame()
        lengthCorrupt[2] ^= 0x40
        #expect(throws: AWSEventStreamError.self) { try decoder.feed(lengthCorrupt.prefix(12)) }
    }

    @Test func corruptMessageCRCIsDetected() throws {
        for index in [12, 20, -1] {
            var bytes = try Self.frame()
            bytes[index < 0 ? bytes.count - 1 : index] ^= 0x80
            #expect(Self.decodeError(bytes)?.code == .messageCRCMismatch, "byte \(index)")
            #expect(Self.decodeError(bytes, chunk: 1)?.code == .messageCRCMismatch, "byte \(index)")
        }
    }

    /// A prelude with a valid CRC around the given lengths.
    static func prelude(total: UInt32, headers: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        for v in [total, headers] { bytes += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let crc = CRC32.checksum(bytes)
        return bytes + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }

    @Test func outOfBoundsLengthsAreRejected() {
        for (total, headers) in [(UInt32(15), UInt32(0)), (0, 0), (16 * 1024 * 1024 + 1, 0), (UInt32.max, 0), (100, 85), (16, 1), (300_000, 200_000)] {
            #expect(Self.decodeError(Self.prelude(total: total, headers: headers))?.code == .invalidLength, "total \(total), headers \(headers)")
        }
        // At the bounds: a 16-byte message and headers filling the whole message are accepted by
        // the prelude check (they then wait for their bytes).
        #expect(Self.decodeError(Self.prelude(total: 100, headers: 84))?.code == .truncated)
        #expect(Self.decodeError(Self.prelude(total: 16 * 1024 * 1024, headers: 0))?.code == .truncated)
        // A lower configured maximum applies.
        var small = AWSEventStreamDecoder(maximumMessageLength: 64)
        #expect(throws: AWSEventStreamError.self) { try small.feed(Self.prelude(total: 65, headers: 0)) }
    }

    @Test func malformedHeadersAreRejected() {
        func message(headers: [UInt8]) -> [UInt8] {
            var bytes = Self.prelude(total: UInt32(16 + headers.count), headers: UInt32(headers.count)) + headers
            let crc = CRC32.checksum(bytes)
            bytes += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
            return bytes
        }
        let cases: [[UInt8]] = [
            [0, 0],                  // empty name
            [5, 0x61],               // name past the end
            [1, 0x61],               // no type
            [1, 0x61, 10],           // unknown type
            [1, 0x61, 4, 0, 0],      // int32 cut short
            [1, 0x61, 7, 0, 5, 0x62],  // string cut short
            [1, 0x61, 7, 0, 1, 0xFF],  // string not UTF-8
            [1, 0x61, 9, 1, 2, 3],   // uuid cut short
        ]
        for headers in cases {
            #expect(Self.decodeError(message(headers: headers))?.code == .invalidHeader, "\(headers)")
        }
        #expect(Self.decodeError(message(headers: [1, 0x61, 7, 0, 1, 0x62])) == nil)
    }

    @Test func truncatedStreamIsDetectedByFinish() throws {
        let first = try Self.frame()
        let bytes = try first + Self.frame("second")
        for cut in [1, 11, 12, 13, bytes.count - first.count + 1, bytes.count - 1] {
            var decoder = AWSEventStreamDecoder()
            let kept = bytes.count - cut
            let messages = try decoder.feed(bytes.prefix(kept))
            #expect(messages.count == (kept >= first.count ? 1 : 0))
            #expect(decoder.bufferedByteCount == (kept >= first.count ? kept - first.count : kept))
            do {
                try decoder.finish()
                Issue.record("finish accepted a stream cut \(cut) bytes short")
            } catch {
                #expect(error.code == .truncated)
            }
        }
        var complete = AWSEventStreamDecoder()
        #expect(try complete.feed(bytes).count == 2)
        try complete.finish()
    }

    @Test func decoderStaysFailed() throws {
        var bytes = try Self.frame()
        bytes[bytes.count - 1] ^= 1
        var decoder = AWSEventStreamDecoder()
        #expect(throws: AWSEventStreamError.self) { try decoder.feed(bytes) }
        // Even a valid frame afterwards fails with the same error.
        let good = try Self.frame()
        do {
            _ = try decoder.feed(good)
            Issue.record("a failed decoder accepted more input")
        } catch {
            #expect(error.code == .messageCRCMismatch)
        }
        #expect(throws: AWSEventStreamError.self) { try decoder.next() }
        #expect(throws: AWSEventStreamError.self) { try decoder.finish() }
    }

    @Test func encoderRejectsInvalidHeaders() {
        #expect(throws: AWSEventStreamError.self) { try AWSEventStreamEncoder.encode(headers: ["": .bool(true)], payload: []) }
        #expect(throws: AWSEventStreamError.self) {
            try AWSEventStreamEncoder.encode(headers: [String(repeating: "n", count: 256): .bool(true)], payload: [])
        }
        #expect(throws: AWSEventStreamError.self) {
            try AWSEventStreamEncoder.encode(headers: ["s": .string(String(repeating: "v", count: 65536))], payload: [])
        }
        #expect(throws: AWSEventStreamError.self) {
            try AWSEventStreamEncoder.encode(headers: [:], payload: [UInt8](repeating: 0, count: 16 * 1024 * 1024))
        }
        #expect(throws: Never.self) {
            try AWSEventStreamEncoder.encode(headers: [String(repeating: "n", count: 255): .string(String(repeating: "v", count: 65535))], payload: [])
        }
    }

    // MARK: - Bedrock ConverseStream

    static func event(_ type: String, _ json: String) -> (headers: [String: AWSEventStreamHeaderValue], payload: [UInt8]) {
        ([":message-type": .string("event"), ":event-type": .string(type), ":content-type": .string("application/json")], Array(json.utf8))
    }

    @Test func converseStreamSequence() throws {
        let events = [
            Self.event("messageStart", #"{"p":"abcdefghij","role":"assistant"}"#),
            Self.event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abc"}"#),
            Self.event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":", wörld ✓"},"p":"abcdef"}"#),
            Self.event("contentBlockStop", #"{"contentBlockIndex":0,"p":"ab"}"#),
            Self.event("messageStop", #"{"p":"abcd","stopReason":"end_turn"}"#),
            Self.event("metadata", #"{"metrics":{"latencyMs":321},"p":"a","usage":{"inputTokens":12,"outputTokens":4,"totalTokens":16}}"#),
        ]
        var stream: [UInt8] = []
        for e in events { stream += try AWSEventStreamEncoder.encode(headers: e.headers, payload: e.payload) }

        var decoder = AWSEventStreamDecoder()
        var decoded: [AWSEventStreamMessage] = []
        var offset = 0
        while offset < stream.count {  // network-like 37-byte chunks
            let end = min(stream.count, offset + 37)
            decoded += try decoder.feed(stream[offset..<end])
            offset = end
        }
        try decoder.finish()

        #expect(decoded.map(\.eventType) == ["messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"])
        #expect(decoded.allSatisfy { $0.messageType == "event" && $0.contentType == "application/json" && $0.exceptionType == nil })
        #expect(decoded.map(\.payload) == events.map(\.payload))

        struct Delta: Decodable { struct Inner: Decodable { var text: String }; var contentBlockIndex: Int; var delta: Inner }
        let text = try decoded.filter { $0.eventType == "contentBlockDelta" }
            .map { try JSONDecoder().decode(Delta.self, from: Data($0.payload)).delta.text }
            .joined()
        #expect(text == "Hello, wörld ✓")

        struct Metadata: Decodable {
            struct Usage: Decodable { var inputTokens: Int; var outputTokens: Int; var totalTokens: Int }
            var usage: Usage
        }
        let usage = try JSONDecoder().decode(Metadata.self, from: Data(try #require(decoded.last).payload)).usage
        #expect(usage.inputTokens == 12 && usage.outputTokens == 4 && usage.totalTokens == 16)
    }

    @Test func exceptionAndErrorConveniences() throws {
        let exception = try AWSEventStreamEncoder.encode(
            headers: [":message-type": .string("exception"), ":exception-type": .string("throttlingException"), ":content-type": .string("application/json")],
            payload: Array(#"{"message":"Too many requests"}"#.utf8)
        )
        let error = try AWSEventStreamEncoder.encode(
            headers: [":message-type": .string("error"), ":error-code": .string("InternalFailure"), ":error-message": .string("boom")],
            payload: []
        )
        var decoder = AWSEventStreamDecoder()
        let messages = try decoder.feed(exception + error)
        #expect(messages.count == 2)
        #expect(messages[0].messageType == "exception")
        #expect(messages[0].exceptionType == "throttlingException")
        #expect(messages[0].eventType == nil)
        #expect(messages[1].messageType == "error")
        #expect(messages[1].errorCode == "InternalFailure")
        #expect(messages[1].errorMessage == "boom")
        #expect(messages[1].contentType == nil)
        // A non-string header is not a string.
        #expect(AWSEventStreamMessage(headers: [":message-type": .int32(1)]).messageType == nil)
    }
}
