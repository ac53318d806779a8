internal import CCrypto

/// Hashing, HMAC and constant-time comparison on OpenSSL's libcrypto.
///
/// Inputs with contiguous storage (`[UInt8]`, `ArraySlice`, `String.UTF8View` of a native string,
/// buffer pointers) are read in place; other collections are copied once into an array.
public enum Digest {
    /// SHA-256 of `data` (32 bytes).
    public static func sha256<D: Collection<UInt8>>(_ data: D) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        withBytes(data) { input in
            out.withUnsafeMutableBufferPointer { output in
                if let md = sha256Algorithm {
                    _ = EVP_Digest(input.baseAddress, input.count, output.baseAddress, nil, md, nil)
                } else {
                    _ = SHA256(input.baseAddress, input.count, output.baseAddress)
                }
            }
        }
        return out
    }

    /// SHA-256 fetched once from the default provider: `SHA256()` looks the algorithm up by name on
    /// every call (API keys are hashed on every request). A fetched algorithm is immutable and
    /// may be used from any thread.
    nonisolated(unsafe) private static let sha256Algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// SHA-256 of the UTF-8 bytes of `string`.
    public static func sha256(_ string: String) -> [UInt8] { sha256(string.utf8) }

    /// HMAC-SHA256 of `data` under `key` (32 bytes).
    public static func hmacSHA256<K: Collection<UInt8>, D: Collection<UInt8>>(key: K, data: D) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        withBytes(key) { kp in
            withBytes(data) { dp in
                out.withUnsafeMutableBufferPointer { op in
                    _ = HMAC(EVP_sha256(), kp.baseAddress, Int32(kp.count), dp.baseAddress, dp.count, op.baseAddress, &length)
                }
            }
        }
        out.removeLast(out.count - Int(length))
        return out
    }

    /// Compares two byte strings in time that depends only on their lengths, never on their contents.
    public static func constantTimeEquals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return withBytes(a) { xp in
            withBytes(b) { yp in CRYPTO_memcmp(xp.baseAddress, yp.baseAddress, xp.count) == 0 }
        }
    }

    /// `count` cryptographically secure random bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        if ok != 1 {
            var g = SystemRandomNumberGenerator()
            for i in 0..<count { out[i] = g.next() }
        }
        return out
    }

    /// Lower-case hexadecimal encoding.
    public static func hex<D: Collection<UInt8>>(_ data: D) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: data.count * 2) { buffer in
            var index = 0
            for byte in data {
                buffer[index] = digits.utf8Start[Int(byte >> 4)]
                buffer[index + 1] = digits.utf8Start[Int(byte & 0x0f)]
                index += 2
            }
            return index
        }
    }

    /// Calls `body` with the bytes of `data`, in place when its storage is contiguous.
    private static func withBytes<D: Collection<UInt8>, R>(_ data: D, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = data.withContiguousStorageIfAvailable(body) { return result }
        return Array(data).withUnsafeBufferPointer(body)
    }
}
