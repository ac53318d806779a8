import KeelCore
import Synchronization

/// Request ids: the client's `x-request-id` when it is sane, otherwise `req_` and 24 hex digits
/// (a random per-process prefix and a counter, so ids are unique across replicas and cheap to make).
enum RequestID {
    private static let prefix: String = Digest.hex(Digest.randomBytes(6))
    private static let counter = Atomic<UInt64>(0)

    static func generate() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue & 0xFFFF_FFFF_FFFF
        let hex = String(n, radix: 16)
        return "req_" + prefix + String(repeating: "0", count: 12 - hex.utf8.count) + hex
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
