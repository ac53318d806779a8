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
            guard let data = Data(base64Encoded: Weights.buckets), data.count == count else {
                preconditionFailure("PromptInjectionClassifier+Weights.swift is corrupt; regenerate it with the training script")
            }
            buckets = data.withUnsafeBytes { Array($0.bindMemory(to: Int8.self)) }
        }

        /// The logit of a normalised text given as UTF-8 bytes, and its flags: the largest over its windows.
        ///
        /// Features are binary: each kind (character grams, word grams) sums the weights of the distinct
        /// buckets it hits and divides by the square root of their number.
        func logit(bytes: [UInt8], flags: [Bool]) -> Double {
            var best = -Double.infinity
            bytes.withUnsafeBufferPointer { text in
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: buckets.count / 64) { storage in
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 1024) { touched in
                        var seen = BucketSet(bits: storage, touched: touched)
                        for window in Self.windows(text) {
                            let slice = UnsafeBufferPointer(rebasing: text[window])
                            var z = Weights.bias
                            let (charSum, charCount) = characterGrams(slice, &seen)
                            if charCount > 0 {
                                z += Weights.scale * (Double(charSum) / Double(charCount).squareRoot())
                            }
                            seen.clear()
                            let (wordSum, wordCount) = wordGrams(slice, &seen)
                            if wordCount > 0 {
                                z += Weights.scale * (Double(wordSum) / Double(wordCount).squareRoot())
                            }
                            seen.clear()
                            for (flag, weight) in zip(flags, Weights.flags) where flag {
                                z += weight
                            }
                            best = max(best, z)
                        }
                    }
                }
            }
            return best
        }

        static let window = Weights.window
        static let stride = Weights.stride
        static let singleWindowLimit = Weights.singleWindowLimit

        /// The windows a normalised text is scored in: itself up to `singleWindowLimit` bytes, else
        /// `window`-byte windows every `stride` bytes (as the model was trained), a start other than 0 moved
        /// past the next space and an end other than the text's end moved back to the last space, when the
        /// window has one.
        static func windows(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
            let n = text.count
            guard n > singleWindowLimit else { return [0..<n] }
            var out: [Range<Int>] = []
            var start = 0
            while true {
                let end = min(start + window, n)
                var s = start
                if s > 0, let space = (s..<end).first(where: { text[$0] == 0x20 }) {
                    s = space + 1
                }
                var e = end
                if e < n, let space = (s..<e).last(where: { text[$0] == 0x20 }), space > s {
                    e = space
                }
                out.append(s..<e)
                if end >= n { return out }
                start += stride
            }
        }

        /// Sum of the weights of the distinct buckets of the character 3-, 4- and 5-grams of
        /// `" " + text + " "`, and their number.
        private func characterGrams(_ text: UnsafeBufferPointer<UInt8>, _ seen: inout BucketSet) -> (Int, Int) {
            let n = text.count + 2
            guard n >= 3 else { return (0, 0) }
            var sum = 0
            var count = 0
            let mask = self.mask
            buckets.withUnsafeBufferPointer { w in
                var padded = [UInt8](repeating: 0x20, count: n)
                padded.withUnsafeMutableBufferPointer { p in
                    for i in 0..<text.count { p[i + 1] = text[i] }
                    @inline(__always) func add(_ h: UInt32) {
                        let b = Int(FNV.bucket(h, mask))
                        if seen.insert(b) {
                            sum += Int(w[b])
                            count += 1
                        }
                    }
                    for i in 0..<(n - 2) {
                        var h = FNV.char
                        h = (h ^ UInt32(p[i])) &* FNV.prime
                        h = (h ^ UInt32(p[i + 1])) &* FNV.prime
                        h = (h ^ UInt32(p[i + 2])) &* FNV.prime
                        add(h)
                        if i + 3 < n {
                            h = (h ^ UInt32(p[i + 3])) &* FNV.prime
                            add(h)
                            if i + 4 < n {
                                h = (h ^ UInt32(p[i + 4])) &* FNV.prime
                                add(h)
                            }
                        }
                    }
                }
            }
            return (sum, count)
        }

        /// Sum of the weights of the distinct buckets of the word unigrams and bigrams, and their number.
        private func wordGrams(_ text: UnsafeBufferPointer<UInt8>, _ seen: inout BucketSet) -> (Int, Int) {
            var sum = 0
            var count = 0
            var previous: Range<Int>? = nil
            var start = -1
            let mask = self.mask
            func isWord(_ b: UInt8) -> Bool { b >= 0x80 || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
            func add(_ h: UInt32) {
                let b = Int(FNV.bucket(h, mask))
                if seen.insert(b) {
                    sum += Int(buckets[b])
                    count += 1
                }
            }
            func emit(_ word: Range<Int>) {
                var h = FNV.unigram
                for i in word { h = (h ^ UInt32(text[i])) &* FNV.prime }
                add(h)
                if let previous {
                    var g = FNV.bigram
                    for i in previous { g = (g ^ UInt32(text[i])) &* FNV.prime }
                    g = (g ^ 0x20) &* FNV.prime
                    for i in word { g = (g ^ UInt32(text[i])) &* FNV.prime }
                    add(g)
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

    /// A set of bucket indices: one bit per bucket over caller-provided storage, remembering which
    /// words it touched (up to the capacity of `touched`) so that clearing a sparse set is cheap.
    struct BucketSet {
        let bits: UnsafeMutableBufferPointer<UInt64>
        let touched: UnsafeMutableBufferPointer<Int32>
        private var touchedCount = 0

        /// A set over `bits`, which it zeroes.
        init(bits: UnsafeMutableBufferPointer<UInt64>, touched: UnsafeMutableBufferPointer<Int32>) {
            self.bits = bits
            self.touched = touched
            bits.update(repeating: 0)
        }

        /// Adds `bucket`; true when it was not in the set.
        @inline(__always)
        mutating func insert(_ bucket: Int) -> Bool {
            let word = bucket &>> 6
            let bit = UInt64(1) &<< UInt64(bucket & 63)
            let old = bits[word]
            if old & bit != 0 { return false }
            if old == 0 {
                if touchedCount < touched.count { touched[touchedCount] = Int32(word) }
                touchedCount += 1
            }
            bits[word] = old | bit
            return true
        }

        /// Empties the set.
        mutating func clear() {
            if touchedCount <= touched.count {
                for i in 0..<touchedCount { bits[Int(touched[i])] = 0 }
            } else {
                bits.update(repeating: 0)
            }
            touchedCount = 0
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
