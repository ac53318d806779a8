internal import CYAML

/// One libyaml parsing event, copied into Swift values.
enum YAMLEvent {
    case streamStart
    case streamEnd
    case documentStart(SourceMark)
    case documentEnd
    case alias(anchor: String, SourceMark)
    case scalar(String, style: YAMLNode.ScalarStyle, anchor: String?, tag: String?, SourceMark)
    case sequenceStart(anchor: String?, tag: String?, SourceMark)
    case sequenceEnd
    case mappingStart(anchor: String?, tag: String?, SourceMark)
    case mappingEnd
}

/// A libyaml parser over an in-memory UTF-8 text, handing out events one by one.
///
/// Owns the `yaml_parser_t` and a private copy of the input (libyaml keeps a pointer to it),
/// and frees both in `deinit`.
final class YAMLEventParser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let fileName: String

    init(bytes: some Collection<UInt8>, fileName: String) {
        self.fileName = fileName
        input = .allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        parser = .allocate(capacity: 1)
        // Only fails when out of memory.
        precondition(yaml_parser_initialize(parser) != 0, "libyaml could not allocate a parser")
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    /// The next event; a syntax error becomes a `ConfigError` naming the position and libyaml's explanation.
    func next() throws(ConfigError) -> YAMLEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) != 0 else { throw syntaxError() }
        defer { yaml_event_delete(&event) }

        let mark = Self.mark(event.start_mark)
        switch event.type {
        case YAML_STREAM_START_EVENT:
            return .streamStart
        case YAML_STREAM_END_EVENT, YAML_NO_EVENT:
            return .streamEnd
        case YAML_DOCUMENT_START_EVENT:
            return .documentStart(mark)
        case YAML_DOCUMENT_END_EVENT:
            return .documentEnd
        case YAML_ALIAS_EVENT:
            return .alias(anchor: Self.string(event.data.alias.anchor) ?? "", mark)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let value = scalar.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self)
            } ?? ""
            let style: YAMLNode.ScalarStyle
            switch scalar.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            return .scalar(value, style: style, anchor: Self.string(scalar.anchor), tag: Self.string(scalar.tag), mark)
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            return .sequenceStart(anchor: Self.string(start.anchor), tag: Self.string(start.tag), mark)
        case YAML_SEQUENCE_END_EVENT:
            return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            return .mappingStart(anchor: Self.string(start.anchor), tag: Self.string(start.tag), mark)
        case YAML_MAPPING_END_EVENT:
            return .mappingEnd
        default:
            return .streamEnd
        }
    }

    /// Turns libyaml's error state into a diagnostic such as
    /// `keel.yaml:4:3: could not find expected ':' (while scanning a simple key at line 3, column 1)`.
    private func syntaxError() -> ConfigError {
        let state = parser.pointee
        var message = state.problem.map { String(cString: $0) } ?? "invalid YAML"
        let position: SourceMark
        if state.error == YAML_READER_ERROR {
            // Reader errors (bad encoding, control characters) only know the byte offset.
            position = Self.position(ofByte: state.problem_offset, in: UnsafeBufferPointer(input))
            if state.problem_value != -1 {
                message += " (byte 0x" + String(UInt32(bitPattern: state.problem_value), radix: 16) + ")"
            }
        } else {
            position = Self.mark(state.problem_mark)
            let index = Int(state.problem_mark.index)
            if index < input.count, input[index] == UInt8(ascii: "\t") {
                message += " (a tab; YAML indentation must use spaces)"
            }
            if let context = state.context.map({ String(cString: $0) }) {
                let at = Self.mark(state.context_mark)
                message += " (\(context) at line \(at.line), column \(at.column))"
            }
        }
        if state.error == YAML_MEMORY_ERROR { message = "out of memory while parsing" }
        return ConfigError([ConfigDiagnostic(
            file: fileName, line: position.line, column: position.column,
            keyPath: "", message: message, code: .syntax
        )])
    }

    private static func mark(_ mark: yaml_mark_t) -> SourceMark {
        SourceMark(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func position(ofByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> SourceMark {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SourceMark(line: line, column: column)
    }
}
