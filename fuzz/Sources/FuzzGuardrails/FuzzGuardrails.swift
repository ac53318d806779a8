import FuzzSupport
import KeelGuardrails

/// Applies every input detector to arbitrary text and checks what the engine promises:
/// - findings lie inside the text, on whole Unicode scalars, with code-point offsets that match
///   their byte offsets, in the text they name;
/// - applying the same policy twice gives the same result;
/// - with placeholders only (the `reversible` policy), restoring the redacted text gives back the
///   original, so no value is lost or half-replaced, whatever overlaps.
func fuzzGuardrails(_ bytes: UnsafeBufferPointer<UInt8>) {
    let text = String(decoding: bytes, as: UTF8.self)
    let engine = FuzzEngine.shared
    let scan = ScanText(text)
    for policy in [engine.everything, engine.reversible] {
        let outcome = engine.guardrails.apply([text, "x " + text], source: .input, policy: policy)
        let again = engine.guardrails.apply([text, "x " + text], source: .input, policy: policy)
        require(outcome.texts == again.texts && outcome.findings == again.findings, """
            applying twice differs (policy \(policy.name))
            first:  \(outcome.texts.map(\.debugDescription)) \(outcome.findings.map { "\($0.type)@\($0.range)" })
            second: \(again.texts.map(\.debugDescription)) \(again.findings.map { "\($0.type)@\($0.range)" })
            """)
        for finding in outcome.findings {
            let bytes = finding.textIndex == 0 ? scan : ScanText("x " + text)
            require(finding.textIndex == 0 || finding.textIndex == 1, "finding in text \(finding.textIndex) of 2")
            checkBounds(finding, in: bytes)
        }
    }
    let reversible = engine.guardrails.apply([text], source: .input, policy: engine.reversible)
    if !text.contains("[") {
        let restored = reversible.redaction.restore(reversible.texts[0])
        require(restored == text, "restoring the redacted text does not give back the original:\n\(reversible.texts[0])")
    }
}

func checkBounds(_ finding: Finding, in scan: ScanText) {
    let range = finding.range
    require(range.lowerBound >= 0 && range.upperBound <= scan.bytes.count, "finding \(finding) outside the text (\(scan.bytes.count) bytes)")
    require(range.lowerBound == scan.bytes.count || scan.bytes[range.lowerBound] & 0xC0 != 0x80, "finding \(finding) starts inside a scalar")
    require(range.upperBound == scan.bytes.count || scan.bytes[range.upperBound] & 0xC0 != 0x80, "finding \(finding) ends inside a scalar")
    let codePoints = scan.codePointOffset(ofByte: range.lowerBound)..<scan.codePointOffset(ofByte: range.upperBound)
    require(finding.codePointRange == codePoints, "finding \(finding) has code points \(finding.codePointRange), not \(codePoints)")
    require((0...1).contains(finding.score), "finding \(finding) scores outside 0...1")
}
