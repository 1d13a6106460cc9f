/// A mergeable log-linear histogram of non-negative integer values (microseconds here).
///
/// Values below `2^bits` are counted exactly; above, each power of two is split into
/// `2^(bits-1)` equal buckets, so a bucket is at most `2^(1-bits)` of its value wide and
/// the midpoint this type reports is within `2^(-bits)` of any value in it
/// (`bits = 7`: 0.78 %). Buckets are stored per power of two and allocated on first use,
/// so memory follows the range of values actually seen; `reset()` keeps the storage,
/// so a histogram that is reused never allocates in steady state.
public struct LogLinearHistogram: Sendable {
    /// Sub-bucket bits: 7 gives ≤ 0.78 % error, 8 gives ≤ 0.39 %.
    public let bits: Int
    /// groups[0]: exact values 0..<2^bits; groups[g ≥ 1]: values in [2^(bits+g-1), 2^(bits+g)).
    /// The table reaches only as far as the largest group used (a few entries for latencies).
    @usableFromInline var groups: [[UInt64]]
    /// Number of values recorded.
    public private(set) var count: UInt64 = 0
    /// Sum of the recorded values (exact).
    public private(set) var sum: Double = 0
    /// Smallest value recorded (after clamping); `Int64.max` while empty.
    public private(set) var min: Int64 = .max
    /// Largest value recorded (after clamping); `Int64.min` while empty.
    public private(set) var max: Int64 = .min

    /// Values are clamped to this (2^40 µs ≈ 12.7 days).
    public static let maxValue: Int64 = 1 << 40

    /// An empty histogram with `bits` sub-bucket bits (3...12).
    public init(bits: Int = 7) {
        precondition((3...12).contains(bits), "bits must be in 3...12")
        self.bits = bits
        // The group table grows with the values seen: a fleet keeps thousands of histograms
        // (one per window slot) that see few values or none.
        self.groups = []
    }

    /// Whether no value has been recorded.
    public var isEmpty: Bool { count == 0 }

    /// Records `value` (clamped to 0...maxValue) `times` times.

    /// Allocates the value's bucket group on first use.
    public mutating func record(_ value: Int64, times: UInt64 = 1) {
        let v = value < 0 ? 0 : (value > Self.maxValue ? Self.maxValue : value)
        let (g, i) = Self.locate(v, bits: bits)
        growTable(to: g + 1)
        if groups[g].isEmpty {
            groups[g] = Array(repeating: 0, count: g == 0 ? (1 << bits) : (1 << (bits - 1)))
        }
        groups[g][i] &+= times
        count &+= times
        sum += Double(v) * Double(times)
        if v < min { min = v }
        if v > max { max = v }
    }

    /// Extends the group table to `count` entries (new groups empty, allocated on first value).
    private mutating func growTable(to count: Int) {
        if groups.count < count { groups.append(contentsOf: repeatElement([], count: count - groups.count)) }
    }

    static func locate(_ v: Int64, bits: Int) -> (Int, Int) {
        if v < (1 << bits) { return (0, Int(v)) }
        let e = 63 - v.leadingZeroBitCount  // floor(log2 v) ≥ bits
        let shift = e - bits + 1
        return (e - bits + 1, Int(v >> shift) - (1 << (bits - 1)))
    }

    /// The range [lower, upper) of values that land in bucket (g, i).
    @usableFromInline
    func bounds(group g: Int, index i: Int) -> (Int64, Int64) {
        if g == 0 { return (Int64(i), Int64(i) + 1) }
        let shift = g  // e - bits + 1 where e = bits + g - 1
        let lower = Int64(i + (1 << (bits - 1))) << shift
        return (lower, lower + (Int64(1) << shift))
    }

    /// Adds every count of `other` (which must have the same `bits`).
    public mutating func merge(_ other: LogLinearHistogram) {
        precondition(other.bits == bits, "merging histograms of different precision")
        guard other.count > 0 else { return }
        growTable(to: other.groups.count)
        for g in 0..<other.groups.count where !other.groups[g].isEmpty {
            if groups[g].isEmpty {
                groups[g] = other.groups[g]
            } else {
                other.groups[g].withUnsafeBufferPointer { src in
                    groups[g].withUnsafeMutableBufferPointer { dst in
                        for i in 0..<src.count { dst[i] &+= src[i] }
                    }
                }
            }
        }
        count &+= other.count
        sum += other.sum
        if other.min < min { min = other.min }
        if other.max > max { max = other.max }
    }

    /// Zeroes all counts, keeping the storage.
    public mutating func reset() {
        guard count > 0 else { return }
        for g in 0..<groups.count where !groups[g].isEmpty {
            groups[g].withUnsafeMutableBufferPointer { b in
                for i in 0..<b.count { b[i] = 0 }
            }
        }
        count = 0
        sum = 0
        min = .max
        max = .min
    }

    /// Mean of the recorded values, or nil when empty.
    public var mean: Double? { count == 0 ? nil : sum / Double(count) }

    /// The value at quantile `q` (0...1): the midpoint of the bucket holding rank ⌈q·n⌉,
    /// clamped to the exact min and max. Nil when empty.
    public func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        if q <= 0 { return Double(min) }
        if q >= 1 { return Double(max) }
        let rank = Swift.max(UInt64(1), UInt64((q * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for g in 0..<groups.count where !groups[g].isEmpty {
            let b = groups[g]
            for i in 0..<b.count where b[i] > 0 {
                seen &+= b[i]
                if seen >= rank {
                    let (lo, hi) = bounds(group: g, index: i)
                    let mid = g == 0 ? Double(lo) : (Double(lo) + Double(hi - 1)) / 2
                    return Swift.min(Swift.max(mid, Double(min)), Double(max))
                }
            }
        }
        return Double(max)
    }

    /// Bytes of bucket storage in use (for the memory budget).
    public var storageBytes: Int {
        groups.reduce(0) { $0 + $1.capacity * MemoryLayout<UInt64>.stride } + groups.capacity * MemoryLayout<[UInt64]>.stride
    }
}

// MARK: Archive (docs/configuration.md, "Distributed runs": what `--summary-export` keeps for `kalm merge`)

extension LogLinearHistogram {
    /// The histogram as JSON-ready values, exactly: its precision, count, sum, extremes and
    /// every non-zero bucket as flat `[group, index, count, …]` triples.
    public var archive: [String: Any] {
        var buckets: [UInt64] = []
        for (g, group) in groups.enumerated() {
            for (i, c) in group.enumerated() where c > 0 { buckets += [UInt64(g), UInt64(i), c] }
        }
        var out: [String: Any] = ["bits": bits, "count": count, "sum": sum, "buckets": buckets]
        if count > 0 { out["min"] = min; out["max"] = max }
        return out
    }

    /// The histogram `archive` wrote; nil when the values do not make one (wrong precision,
    /// a bucket outside the table, counts that do not add up).
    public init?(archive a: [String: Any]) {
        guard let bits = ArchiveValue.int(a["bits"]), (3...12).contains(bits),
              let count = ArchiveValue.uint64(a["count"]),
              let sum = ArchiveValue.double(a["sum"]),
              let flat = a["buckets"] as? [Any], flat.count % 3 == 0 else { return nil }
        self.init(bits: bits)
        var k = 0, total: UInt64 = 0
        while k < flat.count {
            guard let g = ArchiveValue.int(flat[k]), let i = ArchiveValue.int(flat[k + 1]),
                  let c = ArchiveValue.uint64(flat[k + 2]), g >= 0, g < 64, i >= 0,
                  i < (g == 0 ? (1 << bits) : (1 << (bits - 1))) else { return nil }
            growTable(to: g + 1)
            if groups[g].isEmpty { groups[g] = Array(repeating: 0, count: g == 0 ? (1 << bits) : (1 << (bits - 1))) }
            groups[g][i] &+= c
            total &+= c
            k += 3
        }
        guard total == count else { return nil }
        self.count = count
        self.sum = sum
        if count > 0 {
            guard let mn = ArchiveValue.int64(a["min"]), let mx = ArchiveValue.int64(a["max"]) else { return nil }
            min = mn
            max = mx
        }
    }
}
