/// A Prometheus histogram with fixed upper bounds (seconds): cumulative counts are
/// computed on exposition, so recording is one binary search and one increment.
public struct BucketHistogram: Sendable {
    /// Upper bounds in microseconds, ascending (the `+Inf` bucket is implicit).
    public let boundsMicros: [Int64]
    /// Non-cumulative counts; index `boundsMicros.count` is the overflow bucket.
    public private(set) var counts: [UInt64]
    /// Number of observations.
    public private(set) var count: UInt64 = 0
    /// Sum of observations in seconds.
    public private(set) var sumSeconds: Double = 0

    /// - Parameter bounds: upper bounds in seconds, ascending.
    public init(bounds: [Double]) {
        boundsMicros = bounds.map { Int64(($0 * 1e6).rounded()) }
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    /// Counts one observation of `micros` microseconds in the first bucket whose bound is not
    /// below it, and returns that bucket's index (`boundsMicros.count`: the overflow).
    @discardableResult
    public mutating func record(micros: Int64) -> Int {
        var lo = 0, hi = boundsMicros.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if boundsMicros[mid] < micros { lo = mid + 1 } else { hi = mid }
        }
        counts[lo] &+= 1
        count &+= 1
        sumSeconds += Double(micros) / 1e6
        return lo
    }

    /// Adds the counts and sum of `o`, which must have the same bounds.
    public mutating func merge(_ o: BucketHistogram) {
        for i in 0..<counts.count { counts[i] &+= o.counts[i] }
        count &+= o.count
        sumSeconds += o.sumSeconds
    }

    /// Cumulative counts per bound, then the total for `+Inf`.
    public var cumulative: [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(counts.count)
        var acc: UInt64 = 0
        for c in counts {
            acc &+= c
            out.append(acc)
        }
        return out
    }
}
