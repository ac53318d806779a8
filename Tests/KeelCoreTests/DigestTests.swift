import Testing
@testable import KeelCore

@Suite("Digest")
struct DigestTests {
    @Test("SHA-256 matches the FIPS 180-2 vectors, whatever the input collection")
    func sha256() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(Digest.hex(Digest.sha256("abc")) == abc)
        #expect(Digest.hex(Digest.sha256(Array("abc".utf8))) == abc)
        #expect(Digest.hex(Digest.sha256(Array("xabcx".utf8)[1..<4])) == abc)
        // Not contiguous: read through the copying fallback.
        #expect(Digest.hex(Digest.sha256("abc".utf8.lazy.map { $0 })) == abc)
        #expect(Digest.hex(Digest.sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("HMAC-SHA256 matches RFC 4231, including an empty key and message")
    func hmac() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), data: "what do ya want for nothing?".utf8)
        #expect(mac.count == 32)
        #expect(Digest.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let empty = Digest.hmacSHA256(key: [UInt8](), data: [UInt8]())
        #expect(Digest.hex(empty) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test("constant-time comparison compares contents and lengths")
    func constantTimeEquals() {
        #expect(Digest.constantTimeEquals(Array("secret".utf8), "secret".utf8))
        #expect(!Digest.constantTimeEquals(Array("secret".utf8), "secreT".utf8))
        #expect(!Digest.constantTimeEquals(Array("secret".utf8), "secrets".utf8))
        #expect(Digest.constantTimeEquals([UInt8](), [UInt8]()))
        #expect(!Digest.constantTimeEquals([UInt8](), [0]))
        #expect(Digest.constantTimeEquals("ab".utf8.lazy.map { $0 }, [0x61, 0x62]))
    }

    @Test("hex encodes every byte as two lower-case digits")
    func hex() {
        #expect(Digest.hex([UInt8]()) == "")
        #expect(Digest.hex([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
    }

    @Test("random bytes have the requested length and differ between calls")
    func randomBytes() {
        #expect(Digest.randomBytes(0).isEmpty)
        let a = Digest.randomBytes(32), b = Digest.randomBytes(32)
        #expect(a.count == 32)
        #expect(a != b)
    }
}
