import Testing
@testable import KeelGuardrails

@Suite("Checksums")
struct ChecksumTests {
    @Test("Luhn accepts test card numbers and rejects one-digit changes")
    func luhn() {
        #expect(Checksums.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))
        #expect(!Checksums.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))
    }

    @Test("IBAN mod-97 with and without spaces")
    func iban() {
        let valid = Array("GB82 WEST 1234 5698 7654 32".utf8)
        #expect(Checksums.isValidIBAN(valid, 0..<valid.count))
        let invalid = Array("GB82WEST12345698765433".utf8)
        #expect(!Checksums.isValidIBAN(invalid, 0..<invalid.count))
        let german = Array("DE89370400440532013000".utf8)
        #expect(Checksums.isValidIBAN(german, 0..<german.count))
        #expect(!Checksums.isValidIBAN(german, 0..<(german.count - 1)))
    }

    @Test("SSN issued ranges")
    func ssn() {
        #expect(Checksums.isValidSSN(area: 536, group: 90, serial: 4399))
        #expect(!Checksums.isValidSSN(area: 0, group: 12, serial: 3456))
        #expect(!Checksums.isValidSSN(area: 666, group: 12, serial: 3456))
        #expect(!Checksums.isValidSSN(area: 912, group: 12, serial: 3456))
        #expect(!Checksums.isValidSSN(area: 536, group: 0, serial: 3456))
        #expect(!Checksums.isValidSSN(area: 536, group: 12, serial: 0))
        #expect(!Checksums.isValidSSN(area: 78, group: 5, serial: 1120))
    }

    @Test("NHS mod-11 and IP address forms")
    func nhsAndIP() {
        #expect(Checksums.isValidNHS([9, 4, 3, 4, 7, 6, 5, 9, 1, 9]))
        #expect(!Checksums.isValidNHS([9, 4, 3, 4, 7, 6, 5, 9, 1, 8]))
        for address in ["2001:db8::1", "::1", "fe80::1ff:fe23:4567:890a", "2001:0db8:0000:0000:0000:ff00:0042:8329", "::ffff:192.0.2.128"] {
            #expect(Checksums.isValidIPv6(Array(address.utf8), 0..<address.utf8.count), "\(address)")
        }
        for notAddress in ["12:30:45", "1::2::3", "abcde::1", "a:b:c"] {
            #expect(!Checksums.isValidIPv6(Array(notAddress.utf8), 0..<notAddress.utf8.count), "\(notAddress)")
        }
    }
}
