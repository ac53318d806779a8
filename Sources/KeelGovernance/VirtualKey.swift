import KeelCore

/// Virtual API keys: `sk-keel-` followed by 43 base62 characters (256 bits of randomness).
///
/// Only the SHA-256 of a key is stored, beside a visible prefix (`sk-keel-AbC1…`) to recognise it in
/// listings; the key itself is shown once, when it is created or rotated.
public enum VirtualKey {
    /// What every virtual key starts with.
    public static let scheme = "sk-keel-"
    /// How many characters of a key are kept visible.
    public static let visiblePrefixLength = 12

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new random key.
    public static func generate() -> String {
        var out = scheme
        // Rejection sampling keeps every character uniform: bytes >= 248 (4 × 62) are redrawn.
        var count = 0
        while count < 43 {
            for byte in Digest.randomBytes(64) where byte < 248 && count < 43 {
                out.unicodeScalars.append(Unicode.Scalar(alphabet[Int(byte % 62)]))
                count += 1
            }
        }
        return out
    }

    /// The stored form of `key`: lower-case hex SHA-256.
    public static func hash(_ key: String) -> String {
        Digest.hex(Digest.sha256(key))
    }

    /// The visible part of `key`, e.g. `sk-keel-AbC1…`.
    public static func prefix(_ key: String) -> String {
        String(key.prefix(visiblePrefixLength)) + "…"
    }

    /// A random identifier such as `key_3f9a2c…` (16 hex digits after the prefix).
    static func identifier(_ prefix: String) -> String {
        prefix + "_" + Digest.hex(Digest.randomBytes(8))
    }
}
