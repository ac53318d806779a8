import FuzzSupport
import KeelCore

/// Parses arbitrary bytes as JSON. What is accepted must survive a round trip through the writer
/// (compact, pretty-printed and with sorted keys) unchanged; what is rejected must be rejected
/// with an error, never a crash.
func fuzzJSON(_ bytes: UnsafeBufferPointer<UInt8>) {
    let bytes = Array(bytes)
    let parser = JSONParser(maxDepth: 64)
    guard let value = try? parser.parse(bytes) else { return }
    for options: JSONWriter.Options in [[], .prettyPrinted, .sortedKeys] {
        let written = value.serialized(options: options)
        guard let again = try? parser.parse(written) else {
            fatalError("the writer produced JSON its parser rejects: \(String(decoding: written, as: UTF8.self))")
        }
        if options != .sortedKeys, again != value {
            fatalError("round trip changed the value: \(String(decoding: written, as: UTF8.self))")
        }
    }
    if let text = String(validating: bytes, as: UTF8.self), (try? parser.parse(text)) != value {
        fatalError("parsing the same text as String and as bytes disagrees")
    }
}
