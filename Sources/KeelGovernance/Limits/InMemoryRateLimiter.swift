import Synchronization

/// Token buckets per rule: a bucket holds up to the per-minute limit and refills continuously at
/// limit/60 per second, so a burst of at most `limit` passes at once and the long-run rate is the
/// limit. All buckets of one admission are checked and taken under one `Mutex`.
public final class InMemoryRateLimiter: RateLimiter {
    private struct BucketKey: Hashable {
        var scope: RateLimitRule.Scope
        var tokens: Bool
    }

    private struct Bucket {
        var capacity: Double
        var level: Double
        var updated: Double

        mutating func refill(now: Double) {
            if now > updated {
                level = min(capacity, level + (now - updated) * capacity / 60)
                updated = now
            }
        }

        /// Seconds until `amount` is available.
        func wait(for amount: Double) -> Double {
            amount <= level ? 0 : (amount - level) * 60 / capacity
        }

        var secondsToFull: Double { (capacity - level) * 60 / capacity }
    }

    private struct Held {
        var buckets: [BucketKey]
        var tokens: Double
    }

    private struct State {
        var buckets: [BucketKey: Bucket] = [:]
        var held: [UInt64: Held] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func acquire(_ id: UInt64, rules: [RateLimitRule], tokens: Int, now: Double) -> RateDecision {
        state.withLock { state in
            var status = RateLimitStatus()
            var plan: [(BucketKey, Bucket, Double)] = []
            for rule in rules {
                for (isTokens, limit) in [(false, rule.rpm), (true, rule.tpm)] {
                    guard let limit else { continue }
                    let key = BucketKey(scope: rule.scope, tokens: isTokens)
                    var bucket = state.buckets[key] ?? Bucket(capacity: Double(limit), level: Double(limit), updated: now)
                    if bucket.capacity != Double(limit) {
                        bucket.level = min(bucket.level, Double(limit))
                        bucket.capacity = Double(limit)
                    }
                    bucket.refill(now: now)
                    // A request larger than the whole allowance may still pass when the bucket is full.
                    let amount = isTokens ? min(Double(max(0, tokens)), bucket.capacity) : 1
                    let wait = bucket.wait(for: amount)
                    if wait > 0 {
                        Self.note(&status, limit: limit, bucket: bucket, tokens: isTokens)
                        return .limited(rule, tokens: isTokens, retryAfter: wait, status: status)
                    }
                    plan.append((key, bucket, amount))
                }
            }
            var keys: [BucketKey] = []
            var tokenAmount = 0.0
            for (key, var bucket, amount) in plan {
                bucket.level -= amount
                state.buckets[key] = bucket
                keys.append(key)
                if key.tokens { tokenAmount = amount }
                Self.note(&status, limit: Int(bucket.capacity), bucket: bucket, tokens: key.tokens)
            }
            state.held[id] = Held(buckets: keys, tokens: tokenAmount)
            return .allowed(status)
        }
    }

    public func settle(_ id: UInt64, actualTokens: Int, now: Double) {
        state.withLock { state in
            guard let held = state.held.removeValue(forKey: id) else { return }
            let correction = held.tokens - Double(max(0, actualTokens))
            for key in held.buckets where key.tokens {
                guard var bucket = state.buckets[key] else { continue }
                bucket.refill(now: now)
                // Refund an over-estimate; charge an under-estimate (the level may go below zero, which
                // delays the next requests until the real usage is paid for).
                bucket.level = min(bucket.capacity, bucket.level + correction)
                state.buckets[key] = bucket
            }
        }
    }

    public func release(_ id: UInt64, now: Double) {
        state.withLock { state in
            guard let held = state.held.removeValue(forKey: id) else { return }
            for key in held.buckets {
                guard var bucket = state.buckets[key] else { continue }
                bucket.refill(now: now)
                bucket.level = min(bucket.capacity, bucket.level + (key.tokens ? held.tokens : 1))
                state.buckets[key] = bucket
            }
        }
    }

    /// Keeps the tightest rule of each kind in `status`.
    private static func note(_ status: inout RateLimitStatus, limit: Int, bucket: Bucket, tokens: Bool) {
        let remaining = max(0, Int(bucket.level.rounded(.down)))
        if tokens {
            if status.remainingTokens == nil || remaining < status.remainingTokens! {
                status.limitTokens = limit
                status.remainingTokens = remaining
                status.resetTokens = bucket.secondsToFull
            }
        } else {
            if status.remainingRequests == nil || remaining < status.remainingRequests! {
                status.limitRequests = limit
                status.remainingRequests = remaining
                status.resetRequests = bucket.secondsToFull
            }
        }
    }
}
