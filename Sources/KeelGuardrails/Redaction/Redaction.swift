/// The placeholders handed out while redacting one request, and the values they stand for.
///
/// Placeholders are numbered per type in order of first appearance, and the same value always
/// gets the same placeholder within the request (`[EMAIL_1]` twice for the same address), so a model
/// can still tell entities apart. Keeping the map lets a response be de-anonymised for the caller;
/// the map holds the raw values, so it lives only as long as the request and is never stored.
public struct Redaction: Sendable {
    private var byValue: [String: String] = [:]
    private var byPlaceholder: [String: String] = [:]
    private var counters: [String: Int] = [:]

    /// An empty map.
    public init() {}

    /// How many distinct values have placeholders.
    public var count: Int { byPlaceholder.count }

    /// Whether no placeholder was handed out.
    public var isEmpty: Bool { byPlaceholder.isEmpty }

    /// The placeholder for `value` of `type`, handing out the next number on first use.
    public mutating func placeholder(type: String, value: String) -> String {
        let key = type + "\u{0}" + value
        if let existing = byValue[key] { return existing }
        let number = (counters[type] ?? 0) + 1
        counters[type] = number
        let placeholder = "[\(type)_\(number)]"
        byValue[key] = placeholder
        byPlaceholder[placeholder] = value
        return placeholder
    }

    /// The original value behind a placeholder.
    public func value(for placeholder: String) -> String? { byPlaceholder[placeholder] }

    /// The longest placeholder handed out, in bytes (how much of a stream's tail might be one).
    var longestPlaceholder: Int { byPlaceholder.keys.map(\.utf8.count).max() ?? 0 }

    /// `text` with every placeholder of this map replaced by its original value; other bracketed
    /// text is left alone.
    public func restore(_ text: String) -> String {
        guard !byPlaceholder.isEmpty, text.utf8.contains(UInt8(ascii: "[")) else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "["),
               let close = bytes[index..<min(bytes.count, index + 64)].firstIndex(of: UInt8(ascii: "]")),
               let value = byPlaceholder[String(decoding: bytes[index...close], as: UTF8.self)] {
                out += value.utf8
                index = close + 1
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
