/// How a ``RequestLogContent`` maps to a row of the `request_content` table (migration 7), keyed by
/// the request id and deleted with its `requests` row (`ON DELETE CASCADE`).
enum RequestLogContentRow {
    /// Inserts (or replaces) the content of one request.
    static let insertSQL = """
        INSERT OR REPLACE INTO request_content (request_id, input, output, input_truncated, output_truncated, redaction)
        VALUES (?, ?, ?, ?, ?, ?)
        """

    /// Reads the content of one request.
    static let selectSQL = "SELECT input, output, input_truncated, output_truncated, redaction FROM request_content WHERE request_id = ?"

    /// Binds `content` of the request `id` to a statement prepared from ``insertSQL``.
    static func bind(_ content: RequestLogContent, id: String, to stmt: SQLiteStatement) throws {
        try stmt.bind(id, at: 1)
        try stmt.bind(content.input, at: 2)
        try stmt.bind(content.output, at: 3)
        try stmt.bind(content.inputTruncated, at: 4)
        try stmt.bind(content.outputTruncated, at: 5)
        try stmt.bind(content.redaction, at: 6)
    }

    /// Decodes the current row of a statement prepared from ``selectSQL``.
    static func read(_ stmt: SQLiteStatement) -> RequestLogContent {
        RequestLogContent(
            input: stmt.columnTextOrNil(0),
            output: stmt.columnTextOrNil(1),
            inputTruncated: stmt.columnInt64(2) != 0,
            outputTruncated: stmt.columnInt64(3) != 0,
            redaction: stmt.columnText(4)
        )
    }
}
