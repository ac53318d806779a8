/// One static file of the web console, compiled into the binary.
///
/// The editable sources live in `console/` at the repository root; `scripts/generate-console-assets`
/// turns them into ``ConsoleAssets/all`` (a test checks that the generated file is current).
struct ConsoleAsset: Sendable {
    /// The file name under `/ui/`, e.g. `app.js`.
    let name: String
    /// The `content-type` it is served with.
    let contentType: String
    /// A strong validator: the first 16 hex digits of the content's SHA-256, quoted.
    let etag: String
    /// The file's bytes.
    let bytes: [UInt8]

    init(name: String, contentType: String, etag: String, text: String) {
        self.name = name
        self.contentType = contentType
        self.etag = etag
        self.bytes = Array(text.utf8)
    }
}
