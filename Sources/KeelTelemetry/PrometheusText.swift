/// Formatting rules of the Prometheus text exposition format, version 0.0.4.
///
/// Shared by every metric family when it renders itself. Numbers are written the same way
/// everywhere (sample values and `le` bucket bounds), so the output is stable and parseable.
enum PrometheusText {
    /// Formats a sample value or bucket bound.
    ///
    /// Whole numbers below 2^53 in magnitude are written without a fractional part (`3`, `-1`,
    /// `1048576`); other finite values use Swift's shortest round-trip form (`0.005`, `1.5e-07`,
    /// `1e+20`), which Prometheus parses; infinities and NaN use Prometheus' spellings.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(.towardZero), value.magnitude < 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        return value.description
    }

    /// Escapes a label value: backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return value
        }
        var out = ""
        out.reserveCapacity(value.utf8.count + 8)
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Escapes `# HELP` text: backslash and line feed.
    static func escapeHelp(_ help: String) -> String {
        guard help.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") }) else {
            return help
        }
        var out = ""
        out.reserveCapacity(help.utf8.count + 8)
        for character in help.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Appends the `# HELP` (when `help` is not empty) and `# TYPE` lines of a family.
    static func writeHeader(name: String, help: String, type: String, into out: inout String) {
        if !help.isEmpty {
            out += "# HELP "
            out += name
            out += " "
            out += escapeHelp(help)
            out += "\n"
        }
        out += "# TYPE "
        out += name
        out += " "
        out += type
        out += "\n"
    }

    /// Appends one sample line: `name{a="x",b="y"} value`.
    ///
    /// `extraLabel` is appended after the family's labels (used for a histogram's `le`).
    static func writeSample(
        name: String,
        labelNames: [String],
        labelValues: [String],
        extraLabel: (name: String, value: String)? = nil,
        value: String,
        into out: inout String
    ) {
        out += name
        if !labelNames.isEmpty || extraLabel != nil {
            out += "{"
            var first = true
            for (labelName, labelValue) in zip(labelNames, labelValues) {
                if !first { out += "," }
                first = false
                out += labelName
                out += "=\""
                out += escapeLabelValue(labelValue)
                out += "\""
            }
            if let extraLabel {
                if !first { out += "," }
                out += extraLabel.name
                out += "=\""
                out += escapeLabelValue(extraLabel.value)
                out += "\""
            }
            out += "}"
        }
        out += " "
        out += value
        out += "\n"
    }

    /// Orders label-value tuples lexicographically, for stable output.
    static func labelsPrecede(_ lhs: [String], _ rhs: [String]) -> Bool {
        lhs.lexicographicallyPrecedes(rhs)
    }
}
