import KeelCore
import Synchronization

/// Request ids: the client's `x-request-id` when it is sane, otherwise `req_` and 24 hex digits
/// (a random per-process prefix and a counter, so ids are unique across replicas and cheap to make).
enum RequestID {
    /// 12 random hex digits, fixed for the process.
    private static let prefix: [UInt8] = Array(Digest.hex(Digest.randomBytes(6)).utf8)
    private static let counter = Atomic<UInt64>(0)

    static func generate() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue & 0xFFFF_FFFF_FFFF
        // "req_", the prefix, then the counter as 12 zero-padded hex digits: 28 bytes written in place.
        return String(unsafeUninitializedCapacity: 28) { buffer in
            let digits: StaticString = "0123456789abcdef"
            buffer[0] = UInt8(ascii: "r")
            buffer[1] = UInt8(ascii: "e")
            buffer[2] = UInt8(ascii: "q")
            buffer[3] = UInt8(ascii: "_")
            for (i, byte) in prefix.prefix(12).enumerated() { buffer[4 + i] = byte }
            var rest = n
            for i in stride(from: 27, through: 16, by: -1) {
                buffer[i] = digits.utf8Start[Int(rest & 0xF)]
                rest >>= 4
            }
            return 28
        }
    }

    /// Whether an inbound id may be propagated: 1–128 characters of `[A-Za-z0-9._:-]`.
    static func isAcceptable(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        for c in utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }
}
