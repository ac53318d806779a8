import Foundation
import Testing
@testable import KeelGateway
import KeelTestSupport

@Suite("Routing: circuit breaker")
struct RoutingBreakerTests {
    typealias Health = RouteHealth<RoutingTestClock.Instant>
    let clock = RoutingTestClock()

    @Test func opensAfterConsecutiveFailuresAndStaysOpenForItsCooldown() {
        var health = Health(policy: BreakerPolicy(failureThreshold: 3, baseCooldown: .seconds(1)))
        let result1 = health.recordFailure(at: clock.now)
        #expect(!result1)
        let result2 = health.recordFailure(at: clock.now)
        #expect(!result2)
        #expect(health.consecutiveFailures == 2)
        let result3 = health.recordFailure(at: clock.now)
        #expect(result3)
        #expect(health.state(at: clock.now) == .open)
        #expect(!health.isAvailable(at: clock.now))
        let result4 = health.admit(at: clock.now)
        #expect(!result4)
        clock.advance(by: .milliseconds(999))
        let result5 = health.admit(at: clock.now)
        #expect(!result5)
        clock.advance(by: .milliseconds(1))
        #expect(health.state(at: clock.now) == .halfOpen)
        #expect(health.timesOpened == 1)
    }

    @Test func aSuccessInBetweenResetsTheCount() {
        var health = Health()
        health.recordFailure(at: clock.now)
        health.recordFailure(at: clock.now)
        health.recordSuccess()
        health.recordFailure(at: clock.now)
        health.recordFailure(at: clock.now)
        #expect(health.state(at: clock.now) == .closed)
    }

    @Test func halfOpenLetsOneProbeThroughWhoseOutcomeDecides() {
        var health = Health(policy: BreakerPolicy(failureThreshold: 1, baseCooldown: .seconds(1), maxCooldown: .seconds(3)))
        health.recordFailure(at: clock.now)
        clock.advance(by: .seconds(1))
        let result6 = health.admit(at: clock.now)
        #expect(result6)
        // While the probe runs nobody else gets through.
        #expect(!health.isAvailable(at: clock.now))
        let result7 = health.admit(at: clock.now)
        #expect(!result7)
        // The probe fails: open again, for twice as long.
        let result8 = health.recordFailure(at: clock.now)
        #expect(result8)
        clock.advance(by: .milliseconds(1999))
        #expect(!health.isAvailable(at: clock.now))
        clock.advance(by: .milliseconds(1))
        let result9 = health.admit(at: clock.now)
        #expect(result9)
        health.recordFailure(at: clock.now)
        // Doubling stops at maxCooldown (3 s, not 4 s).
        #expect(health.reopensAt == clock.now.advanced(by: .seconds(3)))
        clock.advance(by: .seconds(3))
        let result10 = health.admit(at: clock.now)
        #expect(result10)
        health.recordSuccess()
        #expect(health.state(at: clock.now) == .closed)
        // After a success the doubling starts over.
        health.recordFailure(at: clock.now)
        #expect(health.reopensAt == clock.now.advanced(by: .seconds(1)))
        #expect(health.timesOpened == 4)
    }

    @Test func anAbandonedProbeLetsAnotherProbe() {
        var health = Health(policy: BreakerPolicy(failureThreshold: 1))
        health.recordFailure(at: clock.now)
        clock.advance(by: .seconds(1))
        let result11 = health.admit(at: clock.now)
        #expect(result11)
        health.recordAbandoned()
        let result12 = health.admit(at: clock.now)
        #expect(result12)
    }

    @Test func a429OpensAtOnceForItsRetryAfter() {
        var health = Health(policy: BreakerPolicy(failureThreshold: 5))
        let result13 = health.recordFailure(at: clock.now, retryAfter: .seconds(7), rateLimited: true)
        #expect(result13)
        #expect(health.reopensAt == clock.now.advanced(by: .seconds(7)))
        // A later failure with a longer retry-after extends the cooldown; a shorter one does not shorten it.
        health.recordFailure(at: clock.now, retryAfter: .seconds(9), rateLimited: true)
        #expect(health.reopensAt == clock.now.advanced(by: .seconds(9)))
        health.recordFailure(at: clock.now, retryAfter: .seconds(1), rateLimited: true)
        #expect(health.reopensAt == clock.now.advanced(by: .seconds(9)))
        // Without retry-after a 429 uses the policy's cooldown.
        var other = Health()
        other.recordFailure(at: clock.now, rateLimited: true)
        #expect(other.reopensAt == clock.now.advanced(by: .seconds(1)))
    }

    @Test func cooldownsDoubleUpToTheCap() {
        let policy = BreakerPolicy(failureThreshold: 1, baseCooldown: .milliseconds(500), maxCooldown: .seconds(3))
        #expect((1...5).map(policy.cooldown(opening:)) == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(3), .seconds(3)])
    }
}

@Suite("Routing: backoff and retry-after")
struct RoutingBackoffTests {
    @Test func ceilingsGrowExponentiallyUpToTheCap() {
        let backoff = Backoff(base: .milliseconds(100), multiplier: 2, cap: .milliseconds(500))
        #expect((1...5).map(backoff.ceiling(retry:)) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500)])
    }

    @Test func delaysAreJitteredWithinTheUpperHalfOfTheCeiling() {
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(10))
        var rng = SeededGenerator(seed: 7)
        var seen: Set<Duration> = []
        for _ in 0..<200 {
            let d = backoff.delay(retry: 3, using: &rng)
            #expect(d >= .milliseconds(200) && d <= .milliseconds(400))
            seen.insert(d)
        }
        #expect(seen.count > 100)
    }

    @Test func retryAfterRaisesTheDelayButNeverLowersIt() {
        let backoff = Backoff(base: .milliseconds(100))
        var rng = SeededGenerator(seed: 1)
        #expect(backoff.delay(retry: 1, retryAfter: .seconds(3), using: &rng) == .seconds(3))
        let d = backoff.delay(retry: 1, retryAfter: .milliseconds(1), using: &rng)
        #expect(d >= .milliseconds(50))
    }

    @Test func retryAfterHeadersAreRead() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryAfter.parse(retryAfterMs: "1500", retryAfter: "9", now: now) == .milliseconds(1500))
        #expect(RetryAfter.parse(retryAfterMs: nil, retryAfter: "7", now: now) == .seconds(7))
        #expect(RetryAfter.parse(retryAfterMs: nil, retryAfter: "0.25", now: now) == .milliseconds(250))
        #expect(RetryAfter.parse(retryAfterMs: "oops", retryAfter: " 2 ", now: now) == .seconds(2))
        // An HTTP date 30 s after now; one in the past means now.
        #expect(RetryAfter.parse(retryAfterMs: nil, retryAfter: "Tue, 14 Nov 2023 22:13:50 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parse(retryAfterMs: nil, retryAfter: "Tue, 14 Nov 2023 22:00:00 GMT", now: now) == .zero)
        #expect(RetryAfter.parse(retryAfterMs: nil, retryAfter: "soon", now: now) == nil)
        #expect(RetryAfter.parse(retryAfterMs: nil, retryAfter: "-3", now: now) == nil)
        #expect(RetryAfter.parse(retryAfterMs: nil, retryAfter: nil, now: now) == nil)
        #expect(RetryAfter.parse(retryAfterMs: nil, retryAfter: "99999999", now: now) == RetryAfter.maximum)
    }
}
