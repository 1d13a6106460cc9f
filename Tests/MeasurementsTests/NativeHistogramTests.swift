import Foundation
import Measurements
import Testing

/// The native histogram against Prometheus's definitions: bucket i of schema s holds
/// (2^((i−1)·2^−s), 2^(i·2^−s)], spans and deltas decode back to the counts, resolution
/// halves past `maxBuckets` exactly as recording at the coarser schema would, and a quantile
/// read the way Prometheus reads it is within the stated error.
struct NativeHistogramTests {
    /// Decodes spans and deltas back to (index, count) pairs, as Prometheus does.
    static func buckets(_ h: NativeHistogram) -> [Int: UInt64] {
        let (spans, deltas) = h.spans()
        var out: [Int: UInt64] = [:]
        var index = 0, k = 0, count: Int64 = 0
        for span in spans {
            index += Int(span.offset)
            for _ in 0..<span.length {
                count += deltas[k]
                k += 1
                if count > 0 { out[index] = UInt64(count) }
                index += 1
            }
        }
        #expect(k == deltas.count)
        return out
    }

    @Test func bucketIndexFollowsPrometheusBoundaries() {
        var rng = SystemRandomNumberGenerator()
        for schema in NativeHistogramSpec.schemas {
            for _ in 0..<2_000 {
                let v = pow(2, Double.random(in: -20...10, using: &rng))
                let i = NativeHistogram.index(of: v, schema: schema)
                let upper = NativeHistogram.upperBound(index: i, schema: schema)
                let lower = NativeHistogram.upperBound(index: i - 1, schema: schema)
                #expect(v <= upper * (1 + 1e-12) && v > lower * (1 - 1e-12), "schema \(schema): \(v) in bucket \(i) (\(lower), \(upper)]")
            }
            // Exact boundaries belong to the bucket they close.
            #expect(NativeHistogram.index(of: 1, schema: schema) == 0)
            #expect(NativeHistogram.index(of: 2, schema: schema) == (schema >= 0 ? 1 << schema : 1))
            #expect(NativeHistogram.index(of: 0.5, schema: schema) == (schema >= 0 ? -(1 << schema) : 0))
        }
    }

    @Test func spansAndDeltasDecodeToTheCounts() {
        var h = NativeHistogram(NativeHistogramSpec(schema: 3, maxBuckets: 1_000))
        var expected: [Int: UInt64] = [:]
        // Clusters with gaps of 1, 2, 3 and many empty buckets between them.
        for (v, n) in [(0.001, 3), (0.00109, 1), (0.0013, 2), (0.0016, 5), (0.02, 7), (0.0205, 1), (1.5, 1)] {
            for _ in 0..<n { h.record(seconds: v) }
            expected[NativeHistogram.index(of: v, schema: 3), default: 0] += UInt64(n)
        }
        h.record(seconds: 0)
        #expect(Self.buckets(h) == expected)
        #expect(h.zeroCount == 1 && h.count == 21)
        #expect(NativeHistogram(NativeHistogramSpec()).spans().spans.isEmpty)
    }

    @Test func tooManyBucketsHalveTheResolutionExactly() {
        let values = (0..<5_000).map { _ in exp(Double.random(in: -9...3)) }
        var capped = NativeHistogram(NativeHistogramSpec(schema: 8, maxBuckets: 40))
        values.forEach { capped.record(seconds: $0) }
        #expect(capped.schema < 8)
        #expect(capped.counts.filter { $0 > 0 }.count <= 40)
        var direct = NativeHistogram(NativeHistogramSpec(schema: capped.schema, maxBuckets: 10_000))
        values.forEach { direct.record(seconds: $0) }
        #expect(Self.buckets(capped) == Self.buckets(direct))
        #expect(capped.count == 5_000 && abs(capped.sumSeconds - direct.sumSeconds) < 1e-9)
    }

    @Test func mergingReducesToTheCoarserSchema() {
        var fine = NativeHistogram(NativeHistogramSpec(schema: 5))
        var coarse = NativeHistogram(NativeHistogramSpec(schema: 2))
        var both = NativeHistogram(NativeHistogramSpec(schema: 2))
        for k in 0..<500 {
            let v = 0.001 * Double(k + 1)
            if k % 2 == 0 { fine.record(seconds: v) } else { coarse.record(seconds: v) }
            both.record(seconds: v)
        }
        fine.merge(coarse)
        #expect(fine.schema == 2)
        #expect(Self.buckets(fine) == Self.buckets(both))
        #expect(fine.count == 500)
    }

    /// Prometheus 2.42's histogram_quantile over native buckets: find the bucket holding the
    /// rank, interpolate linearly inside it. Its error stays within `relativeError(schema:)`.
    @Test func quantilesAreWithinTheStatedError() {
        for schema in [0, 2, 4, 6] {
            var h = NativeHistogram(NativeHistogramSpec(schema: schema, maxBuckets: 10_000))
            var values: [Double] = []
            for _ in 0..<20_000 {
                // Log-normal, median 40 ms, σ 0.5 (Box–Muller).
                let u1 = Double.random(in: Double.ulpOfOne..<1), u2 = Double.random(in: 0..<1)
                let v = 0.040 * exp(0.5 * sqrt(-2 * log(u1)) * cos(2 * .pi * u2))
                values.append(v)
                h.record(seconds: v)
            }
            values.sort()
            let bound = NativeHistogramSpec.relativeError(schema: schema)
            for q in [0.5, 0.9, 0.99] {
                let truth = values[Int((Double(values.count) * q).rounded(.up)) - 1]
                let estimate = Self.prometheusQuantile(q, h)
                #expect(abs(estimate - truth) / truth <= bound, "schema \(schema) q\(q): \(estimate) vs \(truth), bound \(bound)")
            }
        }
        #expect(abs(NativeHistogramSpec.relativeError(schema: 4) - 0.0443) < 0.0001)
    }

    static func prometheusQuantile(_ q: Double, _ h: NativeHistogram) -> Double {
        let rank = q * Double(h.count)
        var seen = Double(h.zeroCount)
        for (k, c) in h.counts.enumerated() where c > 0 {
            let i = h.firstIndex + k
            if seen + Double(c) >= rank {
                let lower = NativeHistogram.upperBound(index: i - 1, schema: h.schema)
                let upper = NativeHistogram.upperBound(index: i, schema: h.schema)
                return lower + (upper - lower) * (rank - seen) / Double(c)
            }
            seen += Double(c)
        }
        return .nan
    }
}
