/// Applies an output policy to a streamed response: feed it chunks as they arrive, send what it
/// returns, and call ``finish()`` at the end.
///
/// It holds back only the tail that could still be, or be the start of, a match: the last
/// ``lookBack`` bytes (moved back to a whitespace so a token is never cut), the whole trailing token
/// if it is longer (a JWT, a key), an unterminated `-----BEGIN … PRIVATE KEY-----` block, and any
/// finding that reaches into the tail. Everything before is scanned, redacted and released, at
/// least ``releaseStep`` bytes at a time. So a
/// value split across chunks is still caught, and no part of a redacted value reaches the client.
/// The last ``lookBack`` bytes already released stay as left context for context words ("born on").
///
/// Findings are reported with offsets into the whole (unredacted) stream. A `block` finding stops
/// the stream: nothing more is released and ``Output/blocked`` is true. Detectors that need the
/// whole text (`json_schema`) run in ``finish()``.
public struct StreamRedactor: Sendable {
    /// What one call released.
    public struct Output: Sendable {
        /// The text safe to send now (possibly empty).
        public var text: String
        /// Findings in the released part.
        public var findings: [Finding]
        /// Whether the stream was blocked (now or earlier); nothing more will be released.
        public var blocked: Bool
    }

    /// The placeholders handed out so far (shared with the request's input redaction).
    public private(set) var redaction: Redaction
    /// Every finding so far.
    public private(set) var findings: [Finding] = []
    /// The most severe action so far.
    public private(set) var action: GuardrailAction = .allow
    /// How many bytes of released text are kept as scanning context and held back, at least. Default 64.
    public let lookBack: Int
    /// The most held back for one token or private-key block before it is released anyway. Default 8192.
    public let maxHold: Int
    /// The least that is released at once, in bytes (before the end of the stream): scanning has a
    /// fixed cost per call, so releasing token by token would scan the same bytes many times. Default 32.
    public let releaseStep: Int

    private let entries: [PolicyEntry]
    private let restorable: Redaction?
    private let onFindings: (@Sendable ([Finding]) -> Void)?
    private var pending: [UInt8] = []
    private var context: [UInt8] = []
    private var whole: [UInt8] = []
    private let keepsWhole: Bool
    private var reportedPairs: [String] = []
    private var releasedBytes = 0
    private var releasedCodePoints = 0

    /// Creates a redactor for `entries` (an output policy's).
    ///
    /// - Parameters:
    ///   - redaction: Placeholders already handed out for this request (the input's).
    ///   - restore: Whether placeholders from `redaction` in the response are replaced by the
    ///     original values (de-anonymisation); values first seen in the response stay redacted.
    ///   - onFindings: Told about findings the first time their detector and action occur in the
    ///     stream (for metrics: one count per entry and response, however many chunks).
    public init(
        entries: [PolicyEntry], redaction: Redaction = Redaction(), restore: Bool = false,
        lookBack: Int = 64, maxHold: Int = 8192, releaseStep: Int = 32, onFindings: (@Sendable ([Finding]) -> Void)? = nil
    ) {
        self.entries = entries
        self.redaction = redaction
        self.restorable = restore ? redaction : nil
        self.lookBack = max(16, lookBack, redaction.longestPlaceholder)
        self.maxHold = max(maxHold, self.lookBack)
        self.releaseStep = max(1, releaseStep)
        self.onFindings = onFindings
        self.keepsWhole = entries.contains { $0.needsWholeText }
    }

    /// Whether the stream was blocked.
    public var isBlocked: Bool { action == .block }

    /// Adds `chunk` and returns what is now safe to send.
    public mutating func feed(_ chunk: String) -> Output {
        guard !isBlocked else { return Output(text: "", findings: [], blocked: true) }
        pending += chunk.utf8
        if keepsWhole { whole += chunk.utf8 }
        if entries.isEmpty { return release(upTo: pending.count, acted: [], base: 0, scan: nil) }
        return process(final: false)
    }

    /// Releases everything still held back, and runs the whole-text detectors.
    public mutating func finish() -> Output {
        guard !isBlocked else { return Output(text: "", findings: [], blocked: true) }
        var output = entries.isEmpty ? release(upTo: pending.count, acted: [], base: 0, scan: nil) : process(final: true)
        guard keepsWhole, !isBlocked else { return output }
        let scan = ScanText(String(decoding: whole, as: UTF8.self))
        let acted = PolicyEvaluation.scan(scan, entries: entries.filter(\.needsWholeText))
        let late = acted.map(\.finding)
        if !late.isEmpty {
            findings += late
            action = max(action, late.map(\.action).max() ?? .allow)
            report(late)
            output.findings += late
            output.blocked = isBlocked
        }
        return output
    }

    private mutating func process(final: Bool) -> Output {
        let base = context.count
        let bytes = context + pending
        let end = bytes.count
        var cut = end
        if !final {
            cut = holdPoint(bytes, base: base)
            // Too little can be released yet (or a long token is still arriving): scan later.
            if cut - base < releaseStep { return Output(text: "", findings: [], blocked: false) }
        }
        let scan = ScanText(String(decoding: bytes, as: UTF8.self))
        let (acted, candidates) = PolicyEvaluation.scanWithCandidates(scan, entries: entries)
        if !final {
            // Never cut through a finding, nor through a candidate that lost to an overlapping one:
            // once more text arrives, the winner may change (a JWT that a still-open private-key
            // block outscores now may be what the whole text redacts). Hold back from its start.
            var moved = true
            while moved {
                moved = false
                for range in candidates where range.lowerBound >= base && range.lowerBound < cut && range.upperBound > cut {
                    cut = range.lowerBound
                    moved = true
                }
            }
        }
        return release(upTo: cut - base, acted: acted, base: base, scan: scan)
    }

    /// Passes on findings whose detector and action were not reported yet.
    private mutating func report(_ findings: [Finding]) {
        guard let onFindings else { return }
        var fresh: [Finding] = []
        for finding in findings {
            let pair = finding.detector + "/" + finding.action.rawValue
            if !reportedPairs.contains(pair) {
                reportedPairs.append(pair)
                fresh.append(finding)
            }
        }
        if !fresh.isEmpty { onFindings(fresh) }
    }

    /// Where the held-back tail starts, in `bytes` (context + pending).
    private func holdPoint(_ bytes: [UInt8], base: Int) -> Int {
        let end = bytes.count
        var cut = max(base, end - lookBack)
        if cut > base {
            var index = cut - 1
            while index >= base, !Self.isSpace(bytes[index]) { index -= 1 }
            if index >= base {
                cut = index + 1
            } else if end - base <= maxHold {
                cut = base
            }
        }
        // An unterminated private-key block is held whole.
        let begin = Array("-----BEGIN".utf8)
        var index = max(base, end - maxHold)
        while index + begin.count <= end {
            if bytes[index] == 0x2D, bytes[index..<(index + begin.count)].elementsEqual(begin) {
                let rest = bytes[(index + begin.count)..<end]
                if !Self.endsBlock(rest) { cut = min(cut, index) }
            }
            index += 1
        }
        while cut > base, cut < end, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        var index = haystack.startIndex
        while index + needle.count <= haystack.endIndex {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    /// Whether the END line after a BEGIN is complete (its closing dashes arrived).
    private static func endsBlock(_ rest: ArraySlice<UInt8>) -> Bool {
        let marker = Array("-----END".utf8)
        var index = rest.startIndex
        while index + marker.count <= rest.endIndex {
            if rest[index..<(index + marker.count)].elementsEqual(marker) {
                return contains(rest[(index + marker.count)...], Array("-----".utf8))
            }
            index += 1
        }
        return false
    }

    /// Releases `pending[..<count]`, acting on the findings that lie entirely inside it.
    private mutating func release(upTo count: Int, acted: [PolicyEvaluation.Acted], base: Int, scan: ScanText?) -> Output {
        guard count > 0 else { return Output(text: "", findings: [], blocked: false) }
        let segmentBytes = Array(pending[..<count])
        let inside = acted.filter { $0.finding.range.lowerBound >= base && $0.finding.range.upperBound <= base + count }
        let contextCodePoints = scan.map { $0.codePointOffset(ofByte: base) } ?? 0
        var released: [Finding] = []
        var local: [PolicyEvaluation.Acted] = []
        for var item in inside {
            var finding = item.finding
            finding.range = (finding.range.lowerBound - base)..<(finding.range.upperBound - base)
            item.finding = finding
            local.append(item)
            var global = finding
            global.range = (releasedBytes + finding.range.lowerBound)..<(releasedBytes + finding.range.upperBound)
            let shift = releasedCodePoints - contextCodePoints
            global.codePointRange = (item.finding.codePointRange.lowerBound + shift)..<(item.finding.codePointRange.upperBound + shift)
            released.append(global)
        }
        if !released.isEmpty {
            findings += released
            action = max(action, released.map(\.action).max() ?? .allow)
            report(released)
        }
        if isBlocked {
            pending.removeAll()
            return Output(text: "", findings: released, blocked: true)
        }
        let segment = ScanText(String(decoding: segmentBytes, as: UTF8.self))
        var text = PolicyEvaluation.redact(segment, local, redaction: &redaction)
        if let restorable { text = restorable.restore(text) }
        // Keep the tail of the released raw text as context for the next scan.
        context = Array((context + segmentBytes).suffix(lookBack))
        while let first = context.first, first & 0xC0 == 0x80 { context.removeFirst() }
        releasedBytes += count
        releasedCodePoints += segment.codePointCount
        pending.removeFirst(count)
        return Output(text: text, findings: released, blocked: false)
    }
}
