import Foundation

extension PromptInjectionClassifier {
    /// A normalised text as UTF-8 bytes, with the flags raised while normalising it.
    struct Normalised {
        var bytes: [UInt8]
        /// invisible, tag, decoded, homoglyph, leet — in the order of `Weights.flags`.
        var flags: [Bool]
    }

    /// Undoes disguises so that equivalent texts produce the same features
    /// (the steps of `scripts/guardrails/injection_features.py`, in the same order).
    enum Normaliser {
        static let invisible = 0
        static let tag = 1
        static let decoded = 2
        static let homoglyph = 3
        static let leet = 4

        static func normalise(_ text: String) -> Normalised {
            var flags = [Bool](repeating: false, count: 5)
            let (visible, tags) = clean(text, &flags)
            var parts = [visible]
            if !tags.isEmpty { parts.append(tags) }
            for payload in payloads(visible) {
                flags[decoded] = true
                parts.append(clean(payload, &flags).visible)
            }
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count + 8)
            for part in parts {
                foldTokens(lowercased(part), into: &out, &flags)
            }
            return Normalised(bytes: out, flags: flags)
        }

        // MARK: Cleaning

        /// NFKC, tag decoding, invisible removal (reversing right-to-left overrides), controls to spaces.
        static func clean(_ text: String, _ flags: inout [Bool]) -> (visible: [UInt32], tags: [UInt32]) {
            var out: [UInt32] = []
            out.reserveCapacity(text.utf8.count)
            var tags: [UInt32] = []
            var rtlStart = -1
            for cp in nfkc(text) {
                if cp >= 0xE0020 && cp <= 0xE007E {
                    tags.append(cp - 0xE0000)
                    flags[tag] = true
                } else if isInvisible(cp) {
                    flags[invisible] = true
                    if cp == 0x202E && rtlStart < 0 {
                        rtlStart = out.count
                    } else if (cp == 0x202C || cp == 0x2069) && rtlStart >= 0 {
                        out[rtlStart...].reverse()
                        rtlStart = -1
                    }
                } else if cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) {
                    out.append(0x20)
                } else {
                    out.append(cp)
                }
            }
            if rtlStart >= 0 { out[rtlStart...].reverse() }
            return (out, tags)
        }

        /// NFKC of `text` as scalar values.
        ///
        /// Normalisation is costly, so it is applied only where it can change something: NFKC is the
        /// identity on a run of scalars that are each NFKC-stable, of combining class 0 and never the second
        /// of a canonical composition pair (`nfkcInert`), and ASCII whitespace and tag characters never
        /// interact with their neighbours, so text is normalised one chunk between those at a time and inert
        /// chunks are copied as they are.
        static func nfkc(_ text: String) -> [UInt32] {
            var text = text
            return text.withUTF8 { nfkc(utf8: $0) }
        }

        static func nfkc(utf8 buf: UnsafeBufferPointer<UInt8>) -> [UInt32] {
            var out: [UInt32] = []
            out.reserveCapacity(buf.count)
            var chunkStart = 0  // byte offset of the current chunk in `buf`
            var chunkOut = 0  // where the current chunk starts in `out`
            var inert = true
            func flush(_ end: Int) {
                guard !inert, chunkStart < end else { return }
                out.removeSubrange(chunkOut...)
                let chunk = String(decoding: UnsafeBufferPointer(rebasing: buf[chunkStart..<end]), as: UTF8.self)
                // Foundation's compatibility mapping leaves some sequences uncomposed that NFKC composes
                // (a half-width kana followed by a half-width voicing mark, Hangul jamo): compose those too.
                let mapped = chunk.precomposedStringWithCompatibilityMapping.precomposedStringWithCanonicalMapping
                composeHangul(mapped.unicodeScalars.map(\.value), into: &out)
            }
            var i = 0
            let n = buf.count
            while i < n {
                let b = buf[i]
                if b < 0x80 {
                    if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
                        flush(i)
                        chunkStart = i + 1
                        chunkOut = out.count + 1
                        inert = true
                    }
                    out.append(UInt32(b))
                    i += 1
                    continue
                }
                // `buf` is valid UTF-8 (it comes from a String).
                let cp: UInt32
                if b < 0xE0 {
                    cp = UInt32(b & 0x1F) << 6 | UInt32(buf[i + 1] & 0x3F)
                    i += 2
                } else if b < 0xF0 {
                    cp = UInt32(b & 0x0F) << 12 | UInt32(buf[i + 1] & 0x3F) << 6 | UInt32(buf[i + 2] & 0x3F)
                    i += 3
                } else {
                    cp = UInt32(b & 0x07) << 18 | UInt32(buf[i + 1] & 0x3F) << 12 | UInt32(buf[i + 2] & 0x3F) << 6
                        | UInt32(buf[i + 3] & 0x3F)
                    i += 4
                }
                if cp >= 0xE0000 && cp <= 0xE007F {
                    // Tag characters are stable starters that never compose: a chunk boundary, like whitespace
                    // (Foundation would otherwise move a combining mark that follows one).
                    flush(i - 4)
                    out.append(cp)
                    chunkStart = i
                    chunkOut = out.count
                    inert = true
                    continue
                }
                if inert && !nfkcInert(cp) { inert = false }
                out.append(cp)
            }
            flush(n)
            return out
        }

        /// Appends `cps` to `out`, composing conjoining Hangul jamo into syllables (Unicode §3.12).
        static func composeHangul(_ cps: [UInt32], into out: inout [UInt32]) {
            let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
            let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28, sCount: UInt32 = 11172
            var hasLast = false
            for cp in cps {
                if hasLast, let last = out.last {
                    if last >= lBase, last - lBase < lCount, cp >= vBase, cp - vBase < vCount {
                        out[out.count - 1] = sBase + ((last - lBase) * vCount + (cp - vBase)) * tCount
                        continue
                    }
                    if last >= sBase, last - sBase < sCount, (last - sBase) % tCount == 0,
                        cp > tBase, cp - tBase < tCount
                    {
                        out[out.count - 1] = last + (cp - tBase)
                        continue
                    }
                }
                out.append(cp)
                hasLast = true
            }
        }

        /// Ranges of scalars that NFKC leaves alone in any context (checked against Python's unicodedata by
        /// the training script's companion check): Latin-1 and Latin Extended-A letters, Greek, Cyrillic,
        /// Hebrew and Arabic letters, precomposed Latin, common quotes and dashes, symbols and emoji, kana,
        /// CJK ideographs and Hangul syllables.
        static let nfkcInertRanges: [ClosedRange<UInt32>] = [
            0x00C0...0x00FF, 0x0100...0x0131, 0x0134...0x013E, 0x0141...0x0148, 0x014A...0x017E,
            0x0386...0x0386, 0x0388...0x03CE, 0x0400...0x0482, 0x048A...0x04FF, 0x05D0...0x05EA,
            0x0621...0x064A, 0x1E00...0x1E99, 0x1E9C...0x1EFF, 0x2013...0x2014, 0x2018...0x2019,
            0x201C...0x201D, 0x2022...0x2022, 0x2600...0x27BF, 0x3001...0x3003, 0x3008...0x3011,
            0x3041...0x3096, 0x30A1...0x30FE, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0x1F300...0x1FAFF,
        ]

        @inline(__always)
        static func nfkcInert(_ cp: UInt32) -> Bool {
            for range in nfkcInertRanges where range.contains(cp) { return true }
            return false
        }

        static let invisibleRanges: [ClosedRange<UInt32>] = [
            0x00AD...0x00AD, 0x034F...0x034F, 0x061C...0x061C, 0x115F...0x1160,
            0x17B4...0x17B5, 0x180B...0x180F, 0x200B...0x200F, 0x202A...0x202E,
            0x2060...0x2064, 0x2066...0x206F, 0x3164...0x3164, 0xFE00...0xFE0F,
            0xFEFF...0xFEFF, 0xFFA0...0xFFA0, 0x1D173...0x1D17A, 0xE0000...0xE007F,
            0xE0100...0xE01EF,
        ]

        @inline(__always)
        static func isInvisible(_ cp: UInt32) -> Bool {
            guard cp >= 0xAD else { return false }
            for range in invisibleRanges where range.contains(cp) { return true }
            return false
        }

        // MARK: Encoded payloads

        static let minimumPayload = 16

        @inline(__always)
        static func base64Value(_ c: UInt32) -> UInt32? {
            switch c {
            case 0x41...0x5A: return c - 0x41
            case 0x61...0x7A: return c - 0x61 + 26
            case 0x30...0x39: return c - 0x30 + 52
            case 0x2B: return 62
            case 0x2F: return 63
            default: return nil
            }
        }

        @inline(__always)
        static func hexValue(_ c: UInt32) -> UInt8? {
            switch c {
            case 0x30...0x39: return UInt8(c - 0x30)
            case 0x61...0x66: return UInt8(c - 0x61 + 10)
            case 0x41...0x46: return UInt8(c - 0x41 + 10)
            default: return nil
            }
        }

        /// Base64 and hex runs of 16 or more characters that decode to printable ASCII, decoded.
        static func payloads(_ cps: [UInt32]) -> [String] {
            var found: [String] = []
            var i = 0
            let n = cps.count
            while i < n {
                guard base64Value(cps[i]) != nil else {
                    i += 1
                    continue
                }
                var j = i
                while j < n, base64Value(cps[j]) != nil { j += 1 }
                var k = j
                while k < n, k - j < 2, cps[k] == 0x3D { k += 1 }
                if j - i >= minimumPayload, let decoded = decodeRun(cps[i..<k]) {
                    found.append(String(decoding: decoded, as: UTF8.self))
                }
                i = k
            }
            return found
        }

        static func decodeRun(_ run: ArraySlice<UInt32>) -> [UInt8]? {
            var out: [UInt8] = []
            if run.count % 2 == 0, run.allSatisfy({ hexValue($0) != nil }) {
                out.reserveCapacity(run.count / 2)
                var index = run.startIndex
                while index < run.endIndex {
                    out.append(hexValue(run[index])! << 4 | hexValue(run[index + 1])!)
                    index += 2
                }
            } else {
                var body = run
                while let last = body.last, last == 0x3D { body = body.dropLast() }
                if body.count % 4 == 1 { return nil }
                var acc: UInt32 = 0
                var bits = 0
                for c in body {
                    guard let v = base64Value(c) else { return nil }
                    acc = ((acc << 6) | v) & 0xFF_FFFF
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        out.append(UInt8((acc >> UInt32(bits)) & 0xFF))
                    }
                }
            }
            guard out.count >= 8, out.allSatisfy({ ($0 >= 0x20 && $0 <= 0x7E) || $0 == 9 || $0 == 10 || $0 == 13 })
            else { return nil }
            return out
        }

        // MARK: Case and folding

        /// Full Unicode lower-case mapping, with the final-sigma rule (as Python's `str.lower`).
        static func lowercased(_ cps: [UInt32]) -> [UInt32] {
            var out: [UInt32] = []
            out.reserveCapacity(cps.count)
            for (i, cp) in cps.enumerated() {
                if cp < 0x80 {
                    out.append((cp >= 0x41 && cp <= 0x5A) ? cp + 0x20 : cp)
                    continue
                }
                guard let scalar = Unicode.Scalar(cp), scalar.properties.changesWhenLowercased else {
                    out.append(cp)
                    continue
                }
                if cp == 0x03A3 {
                    out.append(isFinalSigma(cps, at: i) ? 0x03C2 : 0x03C3)
                    continue
                }
                for mapped in scalar.properties.lowercaseMapping.unicodeScalars { out.append(mapped.value) }
            }
            return out
        }

        /// Whether the capital sigma at `index` ends a word: a cased letter (then case-ignorables) before it,
        /// and no case-ignorables followed by a cased letter after it.
        static func isFinalSigma(_ cps: [UInt32], at index: Int) -> Bool {
            func properties(_ cp: UInt32) -> Unicode.Scalar.Properties? { Unicode.Scalar(cp)?.properties }
            var j = index - 1
            while j >= 0, let p = properties(cps[j]), p.isCaseIgnorable { j -= 1 }
            guard j >= 0, let before = properties(cps[j]), before.isCased else { return false }
            var k = index + 1
            while k < cps.count, let p = properties(cps[k]), p.isCaseIgnorable { k += 1 }
            if k < cps.count, let after = properties(cps[k]), after.isCased { return false }
            return true
        }

        @inline(__always)
        static func isSpace(_ cp: UInt32) -> Bool {
            cp <= 0x20 || cp == 0x85 || cp == 0x1680 || cp == 0x2028 || cp == 0x2029
        }

        @inline(__always)
        static func isASCIILetter(_ cp: UInt32) -> Bool {
            (cp >= 0x61 && cp <= 0x7A) || (cp >= 0x41 && cp <= 0x5A)
        }

        static let homoglyphs: [UInt32: UInt32] = {
            let table: [UInt32: Character] = [
                0x0430: "a", 0x0432: "b", 0x0435: "e", 0x0437: "3", 0x043A: "k", 0x043C: "m",
                0x043D: "h", 0x043E: "o", 0x0440: "p", 0x0441: "c", 0x0442: "t", 0x0443: "y",
                0x0445: "x", 0x0455: "s", 0x0456: "i", 0x0457: "i", 0x0458: "j", 0x04BB: "h",
                0x0501: "d", 0x051B: "q", 0x051D: "w", 0x0475: "v", 0x04CF: "l",
                0x03B1: "a", 0x03B2: "b", 0x03B5: "e", 0x03B9: "i", 0x03BA: "k", 0x03BD: "v",
                0x03BF: "o", 0x03C1: "p", 0x03C4: "t", 0x03C5: "u", 0x03C7: "x", 0x03F2: "c",
                0x03F3: "j", 0x0261: "g", 0x0251: "a", 0x0269: "i", 0x026A: "i", 0x0280: "r",
                0x1D00: "a", 0x1D04: "c", 0x1D05: "d", 0x1D07: "e", 0x1D0B: "k", 0x1D0D: "m",
                0x1D0F: "o", 0x1D18: "p", 0x1D1B: "t", 0x1D1C: "u", 0x1D20: "v", 0x1D21: "w",
                0x1D22: "z", 0x0131: "i",
            ]
            return table.mapValues { UInt32($0.asciiValue!) }
        }()

        @inline(__always)
        static func leetValue(_ cp: UInt32) -> UInt32? {
            switch cp {
            case 0x30: return 0x6F  // 0 -> o
            case 0x31: return 0x69  // 1 -> i
            case 0x33: return 0x65  // 3 -> e
            case 0x34: return 0x61  // 4 -> a
            case 0x35: return 0x73  // 5 -> s
            case 0x37: return 0x74  // 7 -> t
            case 0x40: return 0x61  // @ -> a
            case 0x24: return 0x73  // $ -> s
            default: return nil
            }
        }

        /// Splits on whitespace, folds homoglyphs and leetspeak inside Latin tokens, and appends the tokens
        /// to `out` as UTF-8, separated by single spaces.
        static func foldTokens(_ cps: [UInt32], into out: inout [UInt8], _ flags: inout [Bool]) {
            var token: [UInt32] = []
            func flush() {
                guard !token.isEmpty else { return }
                if token.contains(where: isASCIILetter) {
                    if token.contains(where: { $0 >= 0x80 && homoglyphs[$0] != nil }) {
                        flags[homoglyph] = true
                        for i in token.indices where token[i] >= 0x80 {
                            if let folded = homoglyphs[token[i]] { token[i] = folded }
                        }
                    }
                    if token.contains(where: { leetValue($0) != nil }) {
                        flags[leet] = true
                        for i in token.indices {
                            if let folded = leetValue(token[i]) { token[i] = folded }
                        }
                    }
                }
                if !out.isEmpty { out.append(0x20) }
                for cp in token { appendUTF8(cp, to: &out) }
                token.removeAll(keepingCapacity: true)
            }
            for cp in cps {
                if isSpace(cp) {
                    flush()
                } else {
                    token.append(cp)
                }
            }
            flush()
        }

        @inline(__always)
        static func appendUTF8(_ cp: UInt32, to out: inout [UInt8]) {
            switch cp {
            case 0..<0x80:
                out.append(UInt8(cp))
            case 0x80..<0x800:
                out.append(UInt8(0xC0 | (cp >> 6)))
                out.append(UInt8(0x80 | (cp & 0x3F)))
            case 0x800..<0x10000:
                out.append(UInt8(0xE0 | (cp >> 12)))
                out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
                out.append(UInt8(0x80 | (cp & 0x3F)))
            default:
                out.append(UInt8(0xF0 | (cp >> 18)))
                out.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
                out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
                out.append(UInt8(0x80 | (cp & 0x3F)))
            }
        }
    }
}
