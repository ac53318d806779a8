/// Removes credentials that URLs carry from text that may be shown or logged: error messages,
/// `description`s of requests, proxies and storage URLs.
///
/// URLs carry credentials in their user information (`http://user:password@`, proxy and database
/// URLs) and in query parameters (`?key=…`, as some providers take API keys); both are masked.
public enum URLRedaction {
    /// The replacement for a removed credential.
    public static let mask = "***"

    /// `text` with the user information of every URL-like word replaced by ``mask``.
    ///
    /// A word is a run of characters between spaces, quotes, brackets or commas; its user
    /// information is everything before its last `@` (after `scheme://`, if present). This also
    /// catches scheme-less proxy strings such as `user:password@proxy:3128`, which libcurl quotes
    /// verbatim in some of its messages.
    public static func userInfo(in text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "@")) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var wordStart = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if isWordDelimiter(character) {
                out += redactingUserInfo(ofWord: text[wordStart..<index])
                out.append(character)
                wordStart = text.index(after: index)
            }
            index = text.index(after: index)
        }
        out += redactingUserInfo(ofWord: text[wordStart...])
        return out
    }

    /// `url` with its user information replaced by ``mask`` and every query parameter's value
    /// (or a parameter without `=` as a whole) replaced by ``mask``; the fragment is dropped.
    ///
    /// `https://user:pw@host/v1/models?key=abc&alt=sse` becomes
    /// `https://***@host/v1/models?key=***&alt=***`.
    public static func url(_ url: String) -> String {
        var base = Substring(url)
        if let hash = base.firstIndex(of: "#") { base = base[..<hash] }
        var query: Substring?
        if let question = base.firstIndex(of: "?") {
            query = base[base.index(after: question)...]
            base = base[..<question]
        }
        var out = redactingUserInfo(ofWord: base)
        if let query {
            out += "?"
            out += query.split(separator: "&", omittingEmptySubsequences: false).map { parameter in
                guard let equals = parameter.firstIndex(of: "=") else { return parameter.isEmpty ? "" : mask }
                return parameter[..<equals] + "=" + mask
            }.joined(separator: "&")
        }
        return out
    }

    private static func isWordDelimiter(_ character: Character) -> Bool {
        switch character {
        case " ", "\t", "\n", "\r", "'", "\"", "`", "(", ")", "<", ">", "[", "]", "{", "}", ",", ";":
            return true
        default:
            return false
        }
    }

    private static func redactingUserInfo(ofWord word: Substring) -> String {
        guard let at = word.lastIndex(of: "@") else { return String(word) }
        var start = word.startIndex
        if let scheme = word[..<at].firstRange(of: "://") { start = scheme.upperBound }
        guard start < at else { return String(word) }
        return String(word[..<start]) + mask + String(word[at...])
    }
}
