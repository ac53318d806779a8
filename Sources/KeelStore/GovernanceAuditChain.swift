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
        var expectedSeq: Int64 = 1
        var previous = genesis
        var checked = 0
        for record in records {
            checked += 1
            if record.seq != expectedSeq {
                let problem = record.seq > expectedSeq
                    ? "entries \(expectedSeq)…\(record.seq - 1) are missing"
                    : "sequence number \(record.seq) is out of order (expected \(expectedSeq))"
                return AuditVerification(checked: checked, firstBadSeq: min(record.seq, expectedSeq), problem: problem, headHash: previous)
            }
            if record.prevHash != previous {
                return AuditVerification(checked: checked, firstBadSeq: record.seq, problem: "prev_hash does not match the previous entry", headHash: previous)
            }
            let computed = hash(seq: record.seq, event: record.event, prevHash: record.prevHash)
            if computed != record.hash {
                return AuditVerification(checked: checked, firstBadSeq: record.seq, problem: "contents do not match the entry's hash (altered)", headHash: previous)
            }
            previous = record.hash
            expectedSeq += 1
        }
        return AuditVerification(checked: checked, firstBadSeq: nil, problem: nil, headHash: previous)
    }
}
