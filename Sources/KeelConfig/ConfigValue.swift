import KeelCore

/// Bounds for an integer setting, with the wording used when a value falls outside them.
enum IntBounds {
    case any
    case atLeast(Int)
    case between(Int, Int)

    func contains(_ value: Int) -> Bool {
        switch self {
        case .any: true
        case .atLeast(let minimum): value >= minimum
        case .between(let minimum, let maximum): value >= minimum && value <= maximum
        }
    }

    var requirement: String {
        switch self {
        case .any: "any integer"
        case .atLeast(1): "greater than 0"
        case .atLeast(let minimum): "at least \(minimum)"
        case .between(let minimum, let maximum): "between \(minimum) and \(maximum)"
        }
    }
}

/// One value of the document at a known key path, with typed accessors that report problems
/// (wrong type, out of range, failed interpolation) and return nil instead of throwing, so that
/// decoding continues and every problem is collected.
///
/// Scalars are interpolated (`${VAR}`) before conversion. A plain `~`/`null`/empty scalar, or a value
/// whose references expand to the empty string, counts as "not set".
struct ConfigValue {
    let node: YAMLNode
    let path: ConfigPath
    let context: DecodingContext

    var mark: SourceMark { node.mark }

    func report(_ message: String, code: ConfigError.Code = .invalidValue) {
        context.report(message, at: node.mark, path: path, code: code)
    }

    /// The interpolated text of a scalar; nil (after reporting) when it is not a scalar or interpolation fails,
    /// nil (silently, unless `required`) when it is not set. A required value may not be empty.
    func text(expected: String, required: Bool = false) -> String? {
        guard case .scalar(let raw, _) = node.content else {
            report("expected \(expected), got \(node.typeDescription)", code: .typeMismatch)
            return nil
        }
        if node.isNull {
            if required { report("missing required value", code: .missingValue) }
            return nil
        }
        let expansion = context.interpolator.expand(raw)
        for problem in expansion.problems { report(problem.description, code: problem.code) }
        guard expansion.problems.isEmpty else { return nil }
        if expansion.containsReference && expansion.text.isEmpty {
            if required { report("missing required value (\(quoted(raw)) expands to nothing)", code: .missingValue) }
            return nil
        }
        if required && expansion.text.isEmpty {
            report("must not be empty", code: .missingValue)
            return nil
        }
        return expansion.text
    }

    /// How a converted value is quoted in an error. A value that came from the environment is shown
    /// as the reference that produced it, never by its contents: a secret put into the wrong field
    /// must not end up in an error message or a log.
    func shown(_ text: String) -> String {
        guard case .scalar(let raw, _) = node.content, raw != text else { return quoted(text) }
        return "\(quoted(raw)) (value from the environment, not shown)"
    }

    func string(required: Bool = false) -> String? {
        text(expected: "a string", required: required)
    }

    func int(_ bounds: IntBounds, required: Bool = false) -> Int? {
        guard let text = text(expected: "an integer", required: required) else { return nil }
        guard let value = Self.parseInt(text) else {
            report("expected an integer, got \(shown(text))", code: .typeMismatch)
            return nil
        }
        guard bounds.contains(value) else {
            report("\(value) is out of range: must be \(bounds.requirement)")
            return nil
        }
        return value
    }

    func number(minimum: Double, required: Bool = false) -> Double? {
        guard let text = text(expected: "a number", required: required) else { return nil }
        guard let value = Self.parseNumber(text) else {
            report("expected a number, got \(shown(text))", code: .typeMismatch)
            return nil
        }
        guard value >= minimum else {
            report("\(text) is out of range: must be at least \(minimum.formatted)")
            return nil
        }
        return value
    }

    /// A credential; an empty one counts as not set.
    func secret(required: Bool = false) -> Secret? {
        guard let text = text(expected: "a string", required: required), !text.isEmpty else { return nil }
        return Secret(text)
    }

    /// One of a fixed set of names, e.g. a strategy or a log level.
    func choice<T>(_ options: KeyValuePairs<String, T>, required: Bool = false) -> T? {
        guard let text = text(expected: "a string", required: required) else { return nil }
        if let match = options.first(where: { $0.key == text }) { return match.value }
        let names = options.map(\.key)
        var message = "expected one of \(names.joined(separator: ", ")), got \(shown(text))"
        if let suggestion = Suggestion.closest(to: text, among: names) { message += " (did you mean \(quoted(suggestion))?)" }
        report(message)
        return nil
    }

    /// The value as a mapping; a null value reads as an empty mapping.
    func mapping() -> MappingReader? {
        switch node.content {
        case .mapping(let entries):
            return MappingReader(entries: entries, mark: node.mark, path: path, context: context)
        case .scalar where node.isNull:
            return MappingReader(entries: [], mark: node.mark, path: path, context: context)
        default:
            report("expected a mapping, got \(node.typeDescription)", code: .typeMismatch)
            return nil
        }
    }

    /// The value as a list of values; a null value reads as an empty list.
    func list() -> [ConfigValue]? {
        switch node.content {
        case .sequence(let items):
            return items.enumerated().map { ConfigValue(node: $1, path: path.appending(index: $0), context: context) }
        case .scalar where node.isNull:
            return []
        default:
            report("expected a list, got \(node.typeDescription)", code: .typeMismatch)
            return nil
        }
    }

    /// Decimal integers with an optional sign; `_` may separate digits (`16_777_216`).
    static func parseInt(_ text: String) -> Int? {
        var digits = Substring(text)
        var sign = ""
        if let first = digits.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            digits = digits.dropFirst()
        }
        guard let first = digits.first, let last = digits.last, first.isASCII, first.isNumber, last.isASCII, last.isNumber,
              digits.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" })
        else { return nil }
        return Int(sign + digits.filter { $0 != "_" })
    }

    /// Decimal numbers such as `0.15`, `3`, `1e-3`; no `inf` or `nan`.
    static func parseNumber(_ text: String) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ "0123456789+-.eE_".contains($0) }),
              let value = Double(text.filter { $0 != "_" }), value.isFinite
        else { return nil }
        return value
    }
}

extension Double {
    /// `0` rather than `0.0` for whole numbers, for error messages.
    fileprivate var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
