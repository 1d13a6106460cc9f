import Foundation

/// `agent.native_histograms`: the shape of the native (exponential) histograms kalm keeps
/// beside the classic buckets of `kalm_http_request_duration_seconds` (docs/configuration.md,
/// "Native histograms").
public struct NativeHistogramSpec: Sendable, Equatable {
    /// Prometheus's schema: bucket boundaries are powers of 2^(2^-schema), −4…8.
    public var schema: Int
    /// At most this many populated buckets; beyond it the resolution halves (schema − 1), as
    /// client_golang does, so a wide distribution costs resolution rather than memory.
    public var maxBuckets: Int
    /// Observations at or below this many seconds count in the zero bucket. Always > 0, so
    /// Prometheus recognises every series as native even before its first observation.
    public var zeroThreshold: Double

    /// The default: schema 4 (≤ 4.4 % quantile error), 160 buckets, a 1 µs zero bucket.
    public init(schema: Int = 4, maxBuckets: Int = 160, zeroThreshold: Double = 1e-6) {
        self.schema = schema
        self.maxBuckets = maxBuckets
        self.zeroThreshold = zeroThreshold
    }

    /// The schemas Prometheus accepts.
    public static let schemas = -4...8

    /// The largest relative error of a quantile read from buckets of `schema`: a bucket spans
    /// (b/r, b] with r = 2^(2^-schema), and the estimate and the truth both lie inside it.
    public static func relativeError(schema: Int) -> Double {
        pow(2, pow(2, -Double(schema))) - 1
    }
}

/// A Prometheus native histogram of durations: exponential buckets of one schema, a zero
/// bucket, count and sum. Buckets are a dense run of counts from `firstIndex`, grown as
/// observations arrive, so recording is a `frexp`, a short search and an increment.
public struct NativeHistogram: Sendable {
    /// The current schema (starts at the spec's; lowered when buckets exceed `maxBuckets`).
    public private(set) var schema: Int
    /// Observations at or below `zeroThreshold` seconds.
    public private(set) var zeroCount: UInt64 = 0
    /// The zero bucket's upper bound, seconds.
    public let zeroThreshold: Double
    /// All observations.
    public private(set) var count: UInt64 = 0
    /// Sum of observations, seconds.
    public private(set) var sumSeconds: Double = 0
    /// Index of `counts[0]`: bucket i holds (r^(i−1), r^i] seconds, r = 2^(2^-schema).
    public private(set) var firstIndex: Int = 0
    /// Counts of buckets `firstIndex`, `firstIndex + 1`, …
    public private(set) var counts: [UInt64] = []
    private let maxBuckets: Int
    private var populated = 0

    /// An empty histogram shaped by `spec`.
    public init(_ spec: NativeHistogramSpec) {
        schema = spec.schema
        zeroThreshold = spec.zeroThreshold
        maxBuckets = max(1, spec.maxBuckets)
    }

    /// Counts one observation of `micros` microseconds.
    public mutating func record(micros: Int64) {
        record(seconds: Double(micros) / 1e6)
    }

    /// Counts one observation of `seconds`.
    public mutating func record(seconds v: Double) {
        count &+= 1
        sumSeconds += v
        guard v > zeroThreshold else { zeroCount &+= 1; return }
        add(Self.index(of: v, schema: schema), 1)
        while populated > maxBuckets, schema > NativeHistogramSpec.schemas.lowerBound { halveResolution() }
    }

    /// Adds `o`'s observations; a finer schema is first reduced to the coarser one.
    public mutating func merge(_ o: NativeHistogram) {
        var o = o
        while schema > o.schema { halveResolution() }
        while o.schema > schema { o.halveResolution() }
        count &+= o.count
        sumSeconds += o.sumSeconds
        zeroCount &+= o.zeroCount
        for (k, c) in o.counts.enumerated() where c > 0 { add(o.firstIndex + k, c) }
        while populated > maxBuckets, schema > NativeHistogramSpec.schemas.lowerBound { halveResolution() }
    }

    /// The populated buckets as Prometheus's spans and deltas: runs of consecutive buckets
    /// (gaps of up to two empty buckets are bridged with zeros, as client_golang does), each
    /// span's offset from the end of the previous, and each count as the difference from the
    /// one before.
    public func spans() -> (spans: [(offset: Int32, length: UInt32)], deltas: [Int64]) {
        var spans: [(offset: Int32, length: UInt32)] = []
        var deltas: [Int64] = []
        var previousCount: Int64 = 0
        var nextIndex = 0   // the bucket after the last one written
        var k = 0
        while k < counts.count {
            guard counts[k] > 0 else { k += 1; continue }
            let index = firstIndex + k
            let gap = index - nextIndex
            if spans.isEmpty || gap > 2 {
                spans.append((Int32(spans.isEmpty ? index : gap), 0))
            } else {
                for _ in 0..<gap {   // bridge a short gap with empty buckets
                    deltas.append(-previousCount)
                    previousCount = 0
                    spans[spans.count - 1].length += 1
                }
            }
            let c = Int64(counts[k])
            deltas.append(c - previousCount)
            previousCount = c
            spans[spans.count - 1].length += 1
            nextIndex = index + 1
            k += 1
        }
        return (spans, deltas)
    }

    /// The upper bound, in seconds, of bucket `index` at `schema`.
    public static func upperBound(index: Int, schema: Int) -> Double {
        pow(2, Double(index) * pow(2, -Double(schema)))
    }

    /// The bucket holding `v` > 0 at `schema`: the i with r^(i−1) < v ≤ r^i (Prometheus's rule).
    public static func index(of v: Double, schema: Int) -> Int {
        let (frac, exp) = frexp(v)   // v = frac · 2^exp, frac in [0.5, 1)
        if schema > 0 {
            let bounds = Self.bounds[schema]
            var lo = 0, hi = bounds.count   // first bound ≥ frac
            while lo < hi {
                let mid = (lo + hi) >> 1
                if bounds[mid] < frac { lo = mid + 1 } else { hi = mid }
            }
            return lo + (exp - 1) * bounds.count
        }
        var key = exp
        if frac == 0.5 { key -= 1 }
        let offset = (1 << -schema) - 1
        return (key + offset) >> -schema
    }

    /// Per positive schema, 2^(j/2^schema − 1) for j in 0..<2^schema: the bucket bounds within
    /// one power of two, as fractions in [0.5, 1).
    private static let bounds: [[Double]] = (0...8).map { s in
        guard s > 0 else { return [] }
        let n = 1 << s
        return (0..<n).map { j in pow(2, Double(j) / Double(n) - 1) }
    }

    private mutating func add(_ index: Int, _ c: UInt64) {
        if counts.isEmpty {
            firstIndex = index
            counts = [0]
        } else if index < firstIndex {
            counts.insert(contentsOf: repeatElement(0, count: firstIndex - index), at: 0)
            firstIndex = index
        } else if index >= firstIndex + counts.count {
            counts.append(contentsOf: repeatElement(0, count: index - firstIndex - counts.count + 1))
        }
        let k = index - firstIndex
        if counts[k] == 0 { populated += 1 }
        counts[k] &+= c
    }

    /// schema − 1: bucket i becomes ⌈i/2⌉, which holds buckets 2j−1 and 2j.
    private mutating func halveResolution() {
        let old = counts, oldFirst = firstIndex
        schema -= 1
        counts = []
        populated = 0
        for (k, c) in old.enumerated() where c > 0 { add((oldFirst + k + 1) >> 1, c) }
    }
}
