/// CRC-32 as in zlib, gzip, PNG and Ethernet (IEEE 802.3): the reflected polynomial `0xEDB88320`,
/// initial value and final XOR `0xFFFFFFFF`. `CRC32.checksum("123456789")` is `0xCBF43926`.
///
/// Computed with slicing-by-8 (eight 256-entry tables, eight bytes per step) and a byte-at-a-time
/// tail.
public enum CRC32 {
    /// The CRC-32 of `bytes`.
    public static func checksum<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        update(0, with: bytes)
    }

    /// The CRC-32 of the UTF-8 bytes of `string`.
    public static func checksum(_ string: String) -> UInt32 {
        update(0, with: string.utf8)
    }

    /// Continues a checksum: `update(checksum(a), with: b) == checksum(a + b)`. Start from 0.
    public static func update<C: Collection<UInt8>>(_ crc: UInt32, with bytes: C) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(crc, UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { update(crc, $0) }
    }

    /// Continues a checksum over raw memory.
    public static func update(_ crc: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        var i = 0
        let n = buffer.count
        tables.withUnsafeBufferPointer { t in
            while n - i >= 8 {
                let lo = c ^ (UInt32(buffer[i]) | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i + 2]) << 16 | UInt32(buffer[i + 3]) << 24)
                let hi = UInt32(buffer[i + 4]) | UInt32(buffer[i + 5]) << 8 | UInt32(buffer[i + 6]) << 16 | UInt32(buffer[i + 7]) << 24
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(buffer[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    /// Table k maps a byte to its CRC contribution k bytes further on; table 0 is the classic
    /// byte-at-a-time table.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = t[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        return t
    }()
}
