/// RFC 3986 percent-encoding: every byte except the unreserved characters `A–Z a–z 0–9 - . _ ~`
/// becomes `%XX` (upper-case hex), as URL path segments, query values and AWS SigV4 require.
public enum PercentEncoding {
    /// Encodes `bytes`; with `keepingSlash`, `/` is left as it is (for whole paths).
    public static func encode(_ bytes: some Sequence<UInt8>, keepingSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount)
        for b in bytes {
            let unreserved = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
            if unreserved || (b == 0x2F && keepingSlash) {
                out.append(b)
            } else {
                out.append(0x25)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes the UTF-8 bytes of `string`.
    public static func encode(_ string: String, keepingSlash: Bool = false) -> String {
        encode(string.utf8, keepingSlash: keepingSlash)
    }
}
