import KeelCore

/// How audit entries are chained: each entry's hash covers its own fields and the previous entry's
/// hash, so altering, inserting or removing an entry breaks every hash after it.
///
/// The canonical form hashed is the JSON array
/// `[seq, time, actor, action, target, outcome, team_id|null, detail, prev_hash]` with strings escaped by
/// ``JSONString`` — stable across versions, and easy to recompute with any other tool.
public enum AuditChain {
    /// The `prev_hash` of the first entry: 64 zeros.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hex SHA-256 of an entry.
    public static func hash(seq: Int64, event: AuditEvent, prevHash: String) -> String {
        var text = "[\(seq),\(event.time),"
        for field in [event.actor, event.action, event.target, event.outcome] {
            JSONString.append(field, to: &text)
            text += ","
        }
        if let team = event.teamID { JSONString.append(team, to: &text) } else { text += "null" }
        text += ","
        JSONString.append(event.detail, to: &text)
        text += ","
        JSONString.append(prevHash, to: &text)
        text += "]"
        return Digest.hex(Digest.sha256(text))
    }

    /// Checks `records` (in ascending `seq` order, starting at the first entry) and reports the first
    /// one that does not verify: a gap in the sequence, a `prev_hash` that is not the previous hash,
    /// or a hash that does not match the entry's contents.
    public static func verify<S: Sequence<AuditRecord>>(_ records: S) -> AuditVerification {
        var verifier = Verifier()
        for record in records where !verifier.check(record) { break }
        return verifier.result
    }

    /// Checks a chain one entry at a time, so a long log is verified without holding it in memory.
    public struct Verifier: Sendable {
        private var expectedSeq: Int64 = 1
        private var previous = AuditChain.genesis
        private var checked = 0
        private var failure: (seq: Int64, problem: String)?

        /// Creates a value with the given fields.
        public init() {}

        /// Checks the next entry; false once the chain is broken (later entries are not checked).
        public mutating func check(_ record: AuditRecord) -> Bool {
            guard failure == nil else { return false }
            checked += 1
            if record.seq != expectedSeq {
                let problem = record.seq > expectedSeq
                    ? (record.seq == expectedSeq + 1 ? "entry \(expectedSeq) is missing" : "entries \(expectedSeq) to \(record.seq - 1) are missing")
                    : "sequence number \(record.seq) is out of order (expected \(expectedSeq))"
                failure = (min(record.seq, expectedSeq), problem)
                return false
            }
            if record.prevHash != previous {
                failure = (record.seq, "prev_hash does not match the previous entry")
                return false
            }
            if AuditChain.hash(seq: record.seq, event: record.event, prevHash: record.prevHash) != record.hash {
                failure = (record.seq, "contents do not match the entry's hash (altered)")
                return false
            }
            previous = record.hash
            expectedSeq += 1
            return true
        }

        /// The outcome so far.
        public var result: AuditVerification {
            AuditVerification(checked: checked, firstBadSeq: failure?.seq, problem: failure?.problem, headHash: previous)
        }
    }
}
