import Foundation

/// Reads how long an upstream asked to be left alone: `retry-after-ms` (milliseconds, as OpenAI and
/// Azure send it) first, then `retry-after` (whole or fractional seconds, or an HTTP date).
public enum RetryAfter {
    /// The longest wait Keel believes; anything above is read as this (a broken header must not
    /// take a route out for a day).
    public static let maximum: Duration = .seconds(3600)

    /// The delay the headers ask for, or nil when they ask for none or cannot be read.
    /// `now` is the time an HTTP date is measured from.
    public static func parse(retryAfterMs: String?, retryAfter: String?, now: Date = Date()) -> Duration? {
        if let text = retryAfterMs?.trimmingCharacters(in: .whitespaces), let ms = Double(text), ms.isFinite, ms >= 0 {
            return clamp(.milliseconds(ms))
        }
        guard let text = retryAfter?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Double(text) {
            guard seconds.isFinite, seconds >= 0 else { return nil }
            return clamp(.milliseconds(seconds * 1000))
        }
        guard let date = httpDate(text) else { return nil }
        return clamp(.milliseconds(max(0, date.timeIntervalSince(now)) * 1000))
    }

    /// The delay asked for by a header lookup (case-insensitive names, as `HTTPHeaders` offers).
    public static func parse(_ header: (String) -> String?, now: Date = Date()) -> Duration? {
        parse(retryAfterMs: header("retry-after-ms"), retryAfter: header("retry-after"), now: now)
    }

    private static func clamp(_ d: Duration) -> Duration { min(d, maximum) }

    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only format RFC 9110 lets senders use.
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
