import Foundation
import KeelCore
import KeelHTTP
import KeelTestSupport
import Testing

/// The client against a real nginx over TLS: HTTP/2 negotiation, multiplexing, back-pressure on an
/// HTTP/2 stream, and certificate verification.
@Suite("HTTPClient over TLS (nginx)", .serialized)
struct HTTPClientTLSTests {
    @Test func negotiatesHTTP2OverTLS() async throws {
        let nginx = try TestNginx()
        let client = HTTPClient(configuration: .init(caCertificatesPath: nginx.certificatePath))
        defer { client.shutdown() }
        let response = try await client.execute(HTTPClientRequest(url: nginx.url("/hello")))
        #expect(response.status == 200)
        #expect(response.version == "2")
        #expect(try await response.collect(upTo: 1024) == Array("hello".utf8))
    }

    @Test func concurrentRequestsMultiplexOverHTTP2() async throws {
        let nginx = try TestNginx()
        let client = HTTPClient(configuration: .init(caCertificatesPath: nginx.certificatePath))
        defer { client.shutdown() }
        // Warm up one connection, then fan out; PIPEWAIT makes transfers multiplex on it.
        _ = try await client.execute(HTTPClientRequest(url: nginx.url("/hello"))).collect(upTo: 64)
        let results = try await withThrowingTaskGroup(of: (Int, String, [UInt8]).self) { group in
            for _ in 0..<32 {
                group.addTask {
                    let r = try await client.execute(HTTPClientRequest(url: nginx.url("/hello")))
                    return (r.status, r.version, try await r.collect(upTo: 64))
                }
            }
            var all: [(Int, String, [UInt8])] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 32)
        #expect(results.allSatisfy { $0.0 == 200 && $0.1 == "2" && $0.2 == Array("hello".utf8) })
    }

    @Test func slowConsumerOfAnHTTP2StreamGetsEveryByte() async throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var payload = [UInt8](repeating: 0, count: 6 * 1024 * 1024)
        for i in payload.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            payload[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        let nginx = try TestNginx(files: ["big.bin": payload])
        let client = HTTPClient(configuration: .init(maxBufferedBodyBytes: 64 * 1024, caCertificatesPath: nginx.certificatePath))
        defer { client.shutdown() }
        let response = try await client.execute(HTTPClientRequest(url: nginx.url("/files/big.bin")))
        #expect(response.version == "2")
        var received: [UInt8] = []
        var reads = 0
        for try await chunk in response.body {
            received += chunk
            reads += 1
            if reads % 16 == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
        #expect(received.count == payload.count)
        #expect(Digest.sha256(received) == Digest.sha256(payload))
    }

    @Test func untrustedCertificatesAreRefused() async throws {
        let nginx = try TestNginx()
        let client = HTTPClient()
        defer { client.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPClientRequest(url: nginx.url("/hello")))
        }
        #expect(error?.code == .connectFailed)
    }
}
