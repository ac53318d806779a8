/// Expands `${VAR}` references in configuration values, with shell-like rules:
///
/// - `${VAR}` is the variable's value; an unset variable is an error (an empty one is fine).
/// - `${VAR:-default}` uses `default` when `VAR` is unset *or empty*; `${VAR-default}` only when unset.
///   The default may itself contain references: `${A:-${B:-x}}`.
/// - `$$` is a literal `$`. A `$` not followed by `{` or `$` stays as it is.
struct Interpolator: Sendable {
    /// Why a reference could not be expanded.
    enum Problem: Equatable, CustomStringConvertible {
        case undefined(name: String)
        case unterminated
        case invalidReference(String)

        var code: ConfigError.Code {
            switch self {
            case .undefined: .undefinedVariable
            case .unterminated, .invalidReference: .invalidInterpolation
            }
        }

        var description: String {
            switch self {
            case .undefined(let name):
                return "environment variable \(quoted(name)) is not set (write ${\(name):-default} to give it a default)"
            case .unterminated:
                return "unterminated \"${\" (a \"}\" is missing; write \"$$\" for a literal \"$\")"
            case .invalidReference(let text):
                return "invalid variable reference \(quoted(text)) (expected ${NAME} or ${NAME:-default})"
            }
        }
    }

    /// The result of expanding one value.
    struct Expansion: Equatable {
        /// The text with every reference replaced (references that failed expand to nothing).
        var text: String
        /// Whether the value contained at least one `${…}` reference.
        var containsReference: Bool
        /// What went wrong, in order; empty on success.
        var problems: [Problem]
    }

    let environment: [String: String]

    func expand(_ text: String) -> Expansion {
        // Fast path: nothing to do without a `$`.
        guard text.contains("$") else { return Expansion(text: text, containsReference: false, problems: []) }
        var expansion = Expansion(text: "", containsReference: false, problems: [])
        expand(Array(text.unicodeScalars)[...], into: &expansion)
        return expansion
    }

    private func expand(_ scalars: ArraySlice<Unicode.Scalar>, into expansion: inout Expansion) {
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let next = index + 1 < scalars.endIndex ? scalars[index + 1] : nil
            guard scalar == "$", let next, next == "$" || next == "{" else {
                expansion.text.unicodeScalars.append(scalar)
                index += 1
                continue
            }
            if next == "$" {
                expansion.text.append("$")
                index += 2
                continue
            }
            expansion.containsReference = true
            guard let close = matchingBrace(in: scalars, from: index + 2) else {
                expansion.problems.append(.unterminated)
                return
            }
            expandReference(scalars[(index + 2)..<close], into: &expansion)
            index = close + 1
        }
    }

    /// The index of the `}` closing a `${` whose body starts at `start`, allowing nested `${…}`.
    private func matchingBrace(in scalars: ArraySlice<Unicode.Scalar>, from start: Int) -> Int? {
        var depth = 1
        var index = start
        while index < scalars.endIndex {
            if scalars[index] == "$", index + 1 < scalars.endIndex, scalars[index + 1] == "{" {
                depth += 1
                index += 2
                continue
            }
            if scalars[index] == "}" {
                depth -= 1
                if depth == 0 { return index }
            }
            index += 1
        }
        return nil
    }

    /// Expands the body of one `${…}`: `NAME`, `NAME:-default` or `NAME-default`.
    private func expandReference(_ body: ArraySlice<Unicode.Scalar>, into expansion: inout Expansion) {
        var nameEnd = body.startIndex
        while nameEnd < body.endIndex, Self.isNameScalar(body[nameEnd], first: nameEnd == body.startIndex) {
            nameEnd += 1
        }
        let name = String(String.UnicodeScalarView(body[..<nameEnd]))
        let rest = body[nameEnd...]
        guard !name.isEmpty else {
            expansion.problems.append(.invalidReference("${" + String(String.UnicodeScalarView(body)) + "}"))
            return
        }
        let value = environment[name]
        if rest.isEmpty {
            if let value {
                expansion.text += value
            } else {
                expansion.problems.append(.undefined(name: name))
            }
            return
        }
        let useDefault: Bool
        let defaultText: ArraySlice<Unicode.Scalar>
        if rest.starts(with: [":", "-"]) {
            useDefault = value?.isEmpty ?? true
            defaultText = rest.dropFirst(2)
        } else if rest.first == "-" {
            useDefault = value == nil
            defaultText = rest.dropFirst(1)
        } else {
            expansion.problems.append(.invalidReference("${" + String(String.UnicodeScalarView(body)) + "}"))
            return
        }
        if useDefault {
            expand(defaultText, into: &expansion)
        } else if let value {
            expansion.text += value
        }
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
        if scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) { return true }
        return !first && ("0"..."9").contains(scalar)
    }
}
