import Foundation
import Measurements
import Testing

@Suite("log-linear histogram")
struct LogLinearHistogramTests {
    /// Exact nearest-rank quantile of sorted values.
    static func exact(_ sorted: [Int64], _ q: Double) -> Double {
        let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
        return Double(sorted[rank - 1])
    }

    @Test(arguments: [7, 8])
    func quantilesAreWithinTheRelativeErrorBound(bits: Int) {
        // Log-normal latencies around 40 ms with a slow tail, as a real API shows.
        var rng = SystemRandomNumberGenerator()
        var values: [Int64] = []
        var h = LogLinearHistogram(bits: bits)
        for _ in 0..<200_000 {
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng)
            let u2 = Double.random(in: 0..<1, using: &rng)
            let z = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
            let v = Int64(40_000 * exp(0.6 * z))
            values.append(v)
            h.record(v)
        }
        values.sort()
        let bound = pow(2.0, Double(-bits))
        for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
            let want = Self.exact(values, q)
            let got = h.quantile(q)!
            #expect(abs(got - want) / want <= bound, "q=\(q): \(got) vs \(want)")
            #expect(abs(got - want) / want <= 0.01)
        }
        #expect(h.count == 200_000)
        #expect(h.min == values.first!)
        #expect(h.max == values.last!)
        #expect(abs(h.mean! - Double(values.reduce(0, +)) / 200_000) < 1e-6 * h.mean!)
    }

    @Test func smallValuesAreExact() {
        var h = LogLinearHistogram(bits: 7)
        for v in 0..<100 { h.record(Int64(v)) }
        #expect(h.quantile(0.5) == 49)
        #expect(h.quantile(0.01) == 0)
        #expect(h.quantile(1) == 99)
    }

    @Test func mergeEqualsRecordingEverythingInOne() {
        var a = LogLinearHistogram(bits: 7), b = LogLinearHistogram(bits: 7), all = LogLinearHistogram(bits: 7)
        for v in stride(from: Int64(1), to: 5_000_000, by: 997) {
            if v % 2 == 0 { a.record(v) } else { b.record(v) }
            all.record(v)
        }
        a.merge(b)
        #expect(a.count == all.count)
        for q in [0.1, 0.5, 0.9, 0.99] { #expect(a.quantile(q) == all.quantile(q)) }
        a.reset()
        #expect(a.isEmpty)
        #expect(a.quantile(0.5) == nil)
    }

    @Test func storageFollowsTheRangeSeen() {
        var h = LogLinearHistogram(bits: 7)
        for v in stride(from: Int64(20_000), to: 60_000, by: 7) { h.record(v) }
        // 20–60 ms spans two powers of two: two 64-bucket groups.
        #expect(h.storageBytes < 2 * 64 * 8 + 64 * 8 + 512)
    }

    @Test func hugeAndNegativeValuesAreClamped() {
        var h = LogLinearHistogram(bits: 7)
        h.record(-5)
        h.record(Int64.max)
        #expect(h.min == 0)
        #expect(h.max == LogLinearHistogram.maxValue)
    }
}
