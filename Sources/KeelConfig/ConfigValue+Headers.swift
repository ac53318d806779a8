extension ConfigValue {
    /// A mapping of HTTP header names to values (provider `headers:`, OTLP `headers:`): names must
    /// be valid tokens and unique ignoring case, values single-line strings. Nil when not a mapping.
    static func httpHeaders(_ value: ConfigValue) -> [String: String]? {
        guard var reader = value.mapping() else { return nil }
        var headers: [String: String] = [:]
        var seen: Set<String> = []
        for (name, keyMark, headerValue) in reader.takeAll() {
            let validName = !name.isEmpty && name.unicodeScalars.allSatisfy {
                $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && !"()<>@,;:\\\"/[]?={}".unicodeScalars.contains($0)
            }
            guard validName else {
                value.context.report("\(quoted(name)) is not a valid HTTP header name", at: keyMark, path: value.path, code: .invalidValue)
                continue
            }
            guard seen.insert(name.lowercased()).inserted else {
                value.context.report("header \(quoted(name)) is given twice (header names ignore case)", at: keyMark, path: value.path, code: .duplicateKey)
                continue
            }
            guard let text = headerValue.text(expected: "a string") else { continue }
            if text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                headerValue.report("header values may not contain line breaks")
                continue
            }
            headers[name] = text
        }
        return headers
    }
}
