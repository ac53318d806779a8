extension OpenAIChatCodec {
    /// `chunk` (a `chat.completion.chunk`'s JSON text) without a top-level `"usage": null` member.
    ///
    /// Keel always asks OpenAI-compatible upstreams for usage, and they then put `"usage": null` in
    /// every chunk before the last. A client that did not ask for usage gets the chunks as it would
    /// have without the option. The text is edited in place (no re-serialization), so everything else
    /// stays byte for byte as the upstream sent it; a chunk without the member is returned unchanged.
    static func removingNullUsage(_ chunk: String) -> String {
        var text = chunk
        // Scanned in place; a copy is made only for a chunk that has the member.
        guard let range = text.withUTF8({ nullUsageMember(in: $0) }) else { return chunk }
        var bytes = Array(text.utf8)
        bytes.removeSubrange(range)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The byte range to remove for a top-level `"usage": null` member, with the comma that
    /// separates it from its neighbour.
    static func nullUsageMember(in b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        func skipSpace(_ i: Int) -> Int {
            var i = i
            while i < b.count, isSpace(b[i]) { i += 1 }
            return i
        }
        let key = Array(#""usage""#.utf8), null = Array("null".utf8)
        var depth = 0
        var inString = false
        var i = 0
        // The start of the current top-level member (after `{` or `,`), and the comma before it.
        var lastComma: Int?
        while i < b.count {
            let c = b[i]
            if inString {
                if c == backslash { i += 2; continue }
                if c == quote { inString = false }
                i += 1
                continue
            }
            switch c {
            case quote:
                if depth == 1, b[i...].starts(with: key) {
                    var j = skipSpace(i + key.count)
                    if j < b.count, b[j] == UInt8(ascii: ":") {
                        j = skipSpace(j + 1)
                        if b[j...].starts(with: null) {
                            let end = skipSpace(j + null.count)
                            if end < b.count, b[end] == UInt8(ascii: "}") {
                                // Last member: remove from the comma before it (if any).
                                return (lastComma ?? i)..<(j + null.count)
                            }
                            if end < b.count, b[end] == UInt8(ascii: ",") {
                                // Not the last member: remove it with the comma after it.
                                return i..<skipSpace(end + 1)
                            }
                        }
                    }
                }
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 1 { lastComma = i }
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
