import Foundation

/// A small trained classifier that scores how likely a text is a prompt-injection or jailbreak attempt.
///
/// The model is a logistic regression over hashed character 3–5-grams and word uni- and bigrams of a
/// normalised text. Normalisation undoes the usual disguises before any feature is taken: NFKC
/// (full-width and mathematical letters), invisible and bidi-control characters (text behind a
/// right-to-left override is reversed back), Unicode tag characters (decoded and appended),
/// base64 and hex payloads (decoded and appended), Cyrillic and Greek homoglyphs and leetspeak
/// inside Latin words. Its weights are data in the repository, produced from public labelled data by
/// `scripts/guardrails/train_injection_classifier.py`, whose `injection_features.py` is the reference
/// for every step here; the two agree on scores to floating-point rounding.
///
/// Scores are probabilities; the evaluation in `docs/GUARDRAILS.md` uses 0.5 as the decision
/// threshold. Scoring allocates a few buffers the size of the text and takes time linear in its
/// length; it never fails.
public struct PromptInjectionClassifier: Sendable {
    private let model: Model

    /// Creates a classifier with the built-in weights (decoded once per process, on first use).
    public init() {
        model = Model.shared
    }

    /// The probability, between 0 and 1, that `text` is a prompt-injection or jailbreak attempt.
    public func score(_ text: String) -> Double {
        let normalised = Normaliser.normalise(text)
        let z = model.logit(bytes: normalised.bytes, flags: normalised.flags)
        if z >= 0 {
            return 1 / (1 + exp(-z))
        }
        let e = exp(z)
        return e / (1 + e)
    }
}

extension PromptInjectionClassifier {
    /// The decoded model parameters, shared by every classifier value.
    final class Model: Sendable {
        static let shared = Model()

        let buckets: [Int8]
        let mask: UInt32

        private init() {
            let count = 1 << Weights.bits
            mask = UInt32(count - 1)
            if let data = Data(base64Encoded: Weights.buckets), data.count == count {
                buckets = data.withUnsafeBytes { Array($0.bindMemory(to: Int8.self)) }
            } else {
                // The generated source is checked by the tests; an all-zero table scores every text alike.
                buckets = [Int8](repeating: 0, count: count)
            }
        }

        /// The logit of a normalised text given as UTF-8 bytes, and its flags.
        func logit(bytes: [UInt8], flags: [Bool]) -> Double {
            var z = Weights.bias
            let (charSum, charCount) = characterGrams(bytes)
            if charCount > 0 {
                z += Weights.scale * (Double(charSum) / Double(charCount).squareRoot())
            }
            let (wordSum, wordCount) = wordGrams(bytes)
            if wordCount > 0 {
                z += Weights.scale * (Double(wordSum) / Double(wordCount).squareRoot())
            }
            for (flag, weight) in zip(flags, Weights.flags) where flag {
                z += weight
            }
            return z
        }

        /// Sum of the weights of every character 3-, 4- and 5-gram of `" " + text + " "`, and their count.
        private func characterGrams(_ text: [UInt8]) -> (Int, Int) {
            let n = text.count + 2
            guard n >= 3 else { return (0, 0) }
            var sum = 0
            var count = 0
            let mask = self.mask
            buckets.withUnsafeBufferPointer { w in
                var padded = [UInt8](repeating: 0x20, count: n)
                padded.withUnsafeMutableBufferPointer { p in
                    for i in 0..<text.count { p[i + 1] = text[i] }
                    for i in 0..<(n - 2) {
                        var h = FNV.char
                        h = (h ^ UInt32(p[i])) &* FNV.prime
                        h = (h ^ UInt32(p[i + 1])) &* FNV.prime
                        h = (h ^ UInt32(p[i + 2])) &* FNV.prime
                        sum += Int(w[Int(FNV.bucket(h, mask))])
                        count += 1
                        if i + 3 < n {
                            h = (h ^ UInt32(p[i + 3])) &* FNV.prime
                            sum += Int(w[Int(FNV.bucket(h, mask))])
                            count += 1
                            if i + 4 < n {
                                h = (h ^ UInt32(p[i + 4])) &* FNV.prime
                                sum += Int(w[Int(FNV.bucket(h, mask))])
                                count += 1
                            }
                        }
                    }
                }
            }
            return (sum, count)
        }

        /// Sum of the weights of every word unigram and bigram, and their count.
        private func wordGrams(_ text: [UInt8]) -> (Int, Int) {
            var sum = 0
            var count = 0
            var previous: Range<Int>? = nil
            var start = -1
            let mask = self.mask
            func isWord(_ b: UInt8) -> Bool { b >= 0x80 || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
            func emit(_ word: Range<Int>) {
                var h = FNV.unigram
                for i in word { h = (h ^ UInt32(text[i])) &* FNV.prime }
                sum += Int(buckets[Int(FNV.bucket(h, mask))])
                count += 1
                if let previous {
                    var g = FNV.bigram
                    for i in previous { g = (g ^ UInt32(text[i])) &* FNV.prime }
                    g = (g ^ 0x20) &* FNV.prime
                    for i in word { g = (g ^ UInt32(text[i])) &* FNV.prime }
                    sum += Int(buckets[Int(FNV.bucket(g, mask))])
                    count += 1
                }
                previous = word
            }
            for i in 0..<text.count {
                if isWord(text[i]) {
                    if start < 0 { start = i }
                } else if start >= 0 {
                    emit(start..<i)
                    start = -1
                }
            }
            if start >= 0 { emit(start..<text.count) }
            return (sum, count)
        }
    }

    /// 32-bit FNV-1a, seeded per feature namespace.
    enum FNV {
        static let prime: UInt32 = 16_777_619
        static let offset: UInt32 = 2_166_136_261
        /// FNV-1a of "c", "w" and "b": the namespaces of character grams, unigrams and bigrams.
        static let char = (offset ^ 0x63) &* prime
        static let unigram = (offset ^ 0x77) &* prime
        static let bigram = (offset ^ 0x62) &* prime

        @inline(__always)
        static func bucket(_ h: UInt32, _ mask: UInt32) -> UInt32 {
            (h ^ (h >> 15)) & mask
        }
    }
}
