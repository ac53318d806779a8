import KeelCore

/// The response cache's key: SHA-256 of the tenant partition, the inbound API and a canonical
/// serialisation of the request body.
///
/// Canonical means object members sorted by key at every level and numbers kept as written, so
/// two requests that differ only in member order or whitespace share a key. Members that do not
/// change the answer are left out: `stream` and `stream_options` (a streamed request and a
/// non-streamed one get the same answer, replayed as a stream when needed), and `user`,
/// `metadata`, `store` and `service_tier` (bookkeeping). The partition keeps tenants apart: it is
/// empty while Keel has no teams, and a team's id once it has.
public enum CacheKey {
    /// Body members that do not change the answer.
    public static let ignoredMembers: Set<String> = ["stream", "stream_options", "user", "metadata", "store", "service_tier"]

    /// The hex key of `body` sent to `api` (e.g. `openai.chat_completions`) by `partition`.
    public static func make(api: String, body: JSONObject, partition: String) -> String {
        var normalised = body
        for member in ignoredMembers { _ = normalised.removeValue(forKey: member) }
        var input: [UInt8] = []
        for part in ["keel-response-cache-v1", partition, api] {
            input.append(contentsOf: "\(part.utf8.count):".utf8)
            input.append(contentsOf: part.utf8)
        }
        JSONWriter(options: .sortedKeys).write(.object(normalised), into: &input)
        return Digest.hex(Digest.sha256(input))
    }
}
