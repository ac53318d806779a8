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
            let isASCII = text.utf8.allSatisfy { $0 < 0x80 }
            let source = isASCII ? text : text.precomposedStringWithCompatibilityMapping
            var out: [UInt32] = []
            out.reserveCapacity(source.utf8.count)
            var tags: [UInt32] = []
            var rtlStart = -1
            for scalar in source.unicodeScalars {
                let cp = scalar.value
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

        static func lowercased(_ cps: [UInt32]) -> [UInt32] {
            if cps.allSatisfy({ $0 < 0x80 }) {
                return cps.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 }
            }
            var view = String.UnicodeScalarView()
            for cp in cps {
                if let scalar = Unicode.Scalar(cp) { view.append(scalar) }
            }
            return String(view).lowercased().unicodeScalars.map(\.value)
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
