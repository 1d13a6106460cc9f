import Foundation
import Probes
import Testing
@testable import Measurements

@Suite("rolling windows")
struct RollingWindowTests {
    static let defaults = [WindowSpec(name: "1m", seconds: 60), WindowSpec(name: "5m", seconds: 300),
                           WindowSpec(name: "15m", seconds: 900), WindowSpec(name: "1h", seconds: 3600)]

    static func result(_ micros: Int64, at t: UInt64, ok: Bool = true) -> RequestResult {
        var r = RequestResult(probe: 0)
        r.status = ok ? 200 : 503
        r.failure = ok ? nil : .status
        r.duration = micros
        r.success = ok
        r.finishedAt = t
        return r
    }

    @Test func slidesAndForgets() {
        let sec: UInt64 = 1_000_000_000
        let t0: UInt64 = 1_000 * sec
        var w = WindowSet([WindowSpec(name: "1m", seconds: 60)], checkCount: 0, now: t0)
        for i in 0..<60 { w.record(Self.result(10_000, at: t0 + UInt64(i) * sec)) }
        var s = w.snapshots(now: t0 + 59 * sec)[0]
        #expect(s.data.requests == 60)
        #expect(abs(s.requestsPerSecond! - 60.0 / 59.0) < 0.05)
        // 30 s later the first half has slid out (5 s slots: coverage 55–60 s).
        s = w.snapshots(now: t0 + 89 * sec)[0]
        #expect((25...35).contains(s.data.requests))
        // Two minutes of silence: empty, and no quantile.
        s = w.snapshots(now: t0 + 200 * sec)[0]
        #expect(s.data.requests == 0)
        #expect(s.latency(quantile: 0.5) == nil)
        #expect(s.availability == nil)
        #expect(s.requestsPerSecond == nil)
    }

    @Test func ratiosCountFailures() {
        let t0: UInt64 = 5_000_000_000_000
        var w = WindowSet([WindowSpec(name: "1m", seconds: 60)], checkCount: 0, now: t0)
        for i in 0..<100 { w.record(Self.result(20_000, at: t0 + UInt64(i) * 1_000_000, ok: i % 4 != 0)) }
        let s = w.snapshots(now: t0 + 200_000_000)[0]
        #expect(s.errorRatio == 0.25)
        #expect(s.availability == 0.75)
        // The latency population is answered requests only.
        #expect(s.data.latency.count == 75)
    }

    @Test func quantilesWithinOnePercentOfExact() {
        // A known distribution: uniform 10–110 ms over 10 minutes; the 5m window holds the last half.
        let t0: UInt64 = 9_000_000_000_000
        var w = WindowSet(Self.defaults, checkCount: 0, now: t0)
        var rng = SystemRandomNumberGenerator()
        var lastFive: [Int64] = []
        var all: [Int64] = []
        let n = 120_000
        let span: UInt64 = 600_000_000_000
        for i in 0..<n {
            let v = Int64.random(in: 10_000...110_000, using: &rng)
            let t = t0 + span * UInt64(i) / UInt64(n)
            w.record(Self.result(v, at: t))
            all.append(v)
            if t >= t0 + span - 300_000_000_000 + 25_000_000_000 { lastFive.append(v) }
        }
        let snaps = w.snapshots(now: t0 + span)
        let fifteen = snaps[2]
        #expect(fifteen.data.requests == UInt64(n))
        all.sort()
        for q in [0.5, 0.9, 0.95, 0.99] {
            let exact = Double(all[Int((q * Double(all.count)).rounded(.up)) - 1]) / 1e6
            let got = fifteen.latency(quantile: q)!
            #expect(abs(got - exact) / exact <= 0.01, "q=\(q) \(got) vs \(exact)")
        }
        // The 5m window covers 275–300 s (25 s slots): its median is still the distribution's.
        let five = snaps[1]
        #expect(abs(Double(five.data.requests) - Double(lastFive.count)) / Double(lastFive.count) < 0.1)
        #expect(abs(five.latency(quantile: 0.5)! - 0.060) / 0.060 < 0.02)
    }

    @Test func allWindowsOfOneProbeFitInHalfAMebibyte() {
        // Worst realistic spread: answered latencies from 100 µs to 10 s in every slot of every window.
        let t0: UInt64 = 7_000_000_000_000
        var w = WindowSet(Self.defaults, checkCount: 3, now: t0)
        var rng = SystemRandomNumberGenerator()
        let hour: UInt64 = 3_600_000_000_000
        for i in 0..<200_000 {
            let v = Int64(exp(Double.random(in: log(100.0)...log(10_000_000.0), using: &rng)))
            w.record(Self.result(v, at: t0 + hour * UInt64(i) / 200_000))
        }
        let bytes = w.storageBytes
        #expect(bytes <= 512 * 1024, "\(bytes) bytes")
        // And it stays there: another hour of the same adds nothing.
        for i in 0..<200_000 {
            let v = Int64(exp(Double.random(in: log(100.0)...log(10_000_000.0), using: &rng)))
            w.record(Self.result(v, at: t0 + hour + hour * UInt64(i) / 200_000))
        }
        #expect(w.storageBytes == bytes)
    }
}
