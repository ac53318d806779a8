import Foundation
internal import CVectorscan
import Synchronization

/// One regular expression compiled into a ``PatternDatabase``.
struct Pattern: Sendable {
    /// Options of one expression (a subset of Vectorscan's compile flags).
    struct Options: OptionSet, Sendable {
        let rawValue: UInt32
        /// Letters match either case.
        static let caseless = Options(rawValue: 1 << 0)
        /// `.` also matches a newline.
        static let dotAll = Options(rawValue: 1 << 1)
        /// The expression and the input are UTF-8, and `\w`, `\s`, classes follow Unicode properties.
        static let unicode = Options(rawValue: 1 << 2)
    }

    /// The caller's identifier, reported with each match.
    var id: Int
    /// The expression in Vectorscan's PCRE dialect (no back-references or look-around).
    var expression: String
    var options: Options

    init(id: Int, _ expression: String, _ options: Options = []) {
        self.id = id
        self.expression = expression
        self.options = options
    }
}

/// A match reported by ``PatternDatabase/scan(_:)``: the pattern and its UTF-8 byte range.
struct PatternMatch: Sendable, Hashable {
    var id: Int
    var start: Int
    var end: Int
}

/// Why a set of patterns could not be compiled.
public struct PatternError: Error, Sendable, CustomStringConvertible {
    /// The expression Vectorscan refused (empty when the error is not about one expression).
    public var expression: String
    /// Vectorscan's explanation.
    public var message: String
    public var description: String {
        expression.isEmpty ? message : "invalid pattern \"\(expression)\": \(message)"
    }
}

/// Many regular expressions compiled into one Vectorscan database, scanned in a single pass.
///
/// Databases are compiled for, and scanned by, the scanner ``VectorscanRuntime`` picks (not the
/// AVX-512 one of Vectorscan 5.4.9, which misses matches). Every match is reported with its leftmost
/// start (`HS_FLAG_SOM_LEFTMOST`); Vectorscan reports
/// each end offset at which a pattern matches, so callers keep the longest match per start and
/// validate candidates themselves. A database is immutable and can be scanned from any thread;
/// each scan borrows a scratch space from a small pool.
final class PatternDatabase: @unchecked Sendable {
    // Invariant: `database` is never mutated after init; Vectorscan allows concurrent scans of one
    // database as long as every scan uses its own scratch, which the pool guarantees.
    private let database: OpaquePointer?
    private let prototype: Scratch?
    private let pool = Mutex<[Scratch]>([])

    /// Compiles `patterns`; an empty list gives a database that never matches.
    init(_ patterns: [Pattern]) throws(PatternError) {
        guard !patterns.isEmpty else {
            database = nil
            prototype = nil
            return
        }
        var flags: [UInt32] = []
        var ids: [UInt32] = []
        for pattern in patterns {
            var flag = UInt32(HS_FLAG_SOM_LEFTMOST)
            if pattern.options.contains(.caseless) { flag |= UInt32(HS_FLAG_CASELESS) }
            if pattern.options.contains(.dotAll) { flag |= UInt32(HS_FLAG_DOTALL) }
            if pattern.options.contains(.unicode) { flag |= UInt32(HS_FLAG_UTF8) | UInt32(HS_FLAG_UCP) }
            flags.append(flag)
            ids.append(UInt32(pattern.id))
        }
        let cStrings = patterns.map { strdup($0.expression) }
        defer { cStrings.forEach { free($0) } }
        var db: OpaquePointer?
        var compileError: UnsafeMutablePointer<hs_compile_error_t>?
        var platform = VectorscanRuntime.shared.platform
        let status = cStrings.map { UnsafePointer($0) }.withUnsafeBufferPointer { expressions in
            hs_compile_multi(
                expressions.baseAddress, flags, ids, UInt32(patterns.count),
                UInt32(HS_MODE_BLOCK), &platform, &db, &compileError
            )
        }
        guard status == HS_SUCCESS, let db else {
            var message = "compilation failed (\(status))"
            var expression = ""
            if let compileError {
                if let text = compileError.pointee.message { message = String(cString: text) }
                let index = Int(compileError.pointee.expression)
                if index >= 0, index < patterns.count { expression = patterns[index].expression }
                hs_free_compile_error(compileError)
            }
            throw PatternError(expression: expression, message: message)
        }
        var scratch: OpaquePointer?
        guard hs_alloc_scratch(db, &scratch) == HS_SUCCESS, let scratch else {
            hs_free_database(db)
            throw PatternError(expression: "", message: "cannot allocate Vectorscan scratch space")
        }
        database = db
        prototype = Scratch(scratch)
    }

    deinit {
        if let database { hs_free_database(database) }
    }

    /// Validates one expression alone, for configuration checks.
    static func validate(_ expression: String, options: Pattern.Options = []) throws(PatternError) {
        _ = try PatternDatabase([Pattern(id: 0, expression, options)])
    }

    /// Every match in `bytes` (UTF-8), in the order Vectorscan reports them (by end offset).
    func scan(_ bytes: [UInt8]) -> [PatternMatch] {
        guard let database, let prototype, !bytes.isEmpty else { return [] }
        let scratch = borrowScratch(prototype)
        defer { pool.withLock { $0.append(scratch) } }
        var collector = MatchCollector()
        let scan = VectorscanRuntime.shared.scan
        withUnsafeMutablePointer(to: &collector) { context in
            bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    _ = scan(database, chars.baseAddress, UInt32(chars.count), 0, scratch.handle, { id, from, to, _, context in
                        let collector = context!.assumingMemoryBound(to: MatchCollector.self)
                        collector.pointee.matches.append(PatternMatch(id: Int(id), start: Int(from), end: Int(to)))
                        return 0
                    }, context)
                }
            }
        }
        return collector.matches
    }

    private func borrowScratch(_ prototype: Scratch) -> Scratch {
        if let scratch = pool.withLock({ $0.popLast() }) { return scratch }
        var clone: OpaquePointer?
        guard hs_clone_scratch(prototype.handle, &clone) == HS_SUCCESS, let clone else {
            fatalError("Vectorscan: cannot allocate scratch space (out of memory)")
        }
        return Scratch(clone)
    }
}

private struct MatchCollector {
    var matches: [PatternMatch] = []
}

/// Owns one Vectorscan scratch space.
private final class Scratch: @unchecked Sendable {
    // Invariant: a scratch is used by one scan at a time; the pool hands it to one borrower only.
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { hs_free_scratch(handle) }
}
