/// A part of a distributed run, with k6's meaning (docs/configuration.md, "Distributed
/// runs"): `--execution-segment 1/4:2/4` within `--execution-segment-sequence 0,1/4,2/4,3/4,1`.
///
/// Work (VUs, arrival-rate iterations) is dealt out by k6's striping: the sequence's
/// segments, scaled to their least common denominator, take turns over the elements
/// 0, 1, 2, … so that every element goes to exactly one segment, each segment gets its
/// share, and its elements are spread out. So 10 VUs over four quarters are 3/3/2/2, the
/// parts' VU counts add up to the unsplit count at every moment of a ramp, and every
/// iteration of an arrival-rate schedule is started by exactly one part.
public struct ExecutionSegment: Sendable, Equatable {
    /// The segment's start and end, fractions in [0, 1].
    public let from: Fraction
    public let to: Fraction
    /// The boundaries of the whole run's sequence, from 0 to 1 (`[0, 1]` without a sequence).
    public let sequence: [Fraction]
    /// Which of the sequence's segments this is.
    public let index: Int
    /// The first element this segment takes, the gaps to its next ones (repeating), and the
    /// period after which the pattern repeats (the sequence's common denominator).
    public let start: Int
    public let offsets: [Int]
    public let period: Int

    /// The whole run: every element, no split.
    public static let whole = try! ExecutionSegment(from: .zero, to: .one, sequence: nil)

    /// The segment `from:to` of `sequence` (nil: k6's default sequence, `0, from, to, 1`
    /// without repeats). Throws when the segment is not one of the sequence's.
    public init(from: Fraction, to: Fraction, sequence: [Fraction]?) throws {
        guard from < to, from >= .zero, to <= .one else {
            throw SegmentError("the segment \(from):\(to) must satisfy 0 ≤ start < end ≤ 1")
        }
        var seq = sequence ?? [.zero, from, to, .one]
        if sequence == nil { seq = seq.reduce(into: []) { if $0.last != $1 { $0.append($1) } } }
        guard seq.first == .zero, seq.last == .one else {
            throw SegmentError("the sequence must start at 0 and end at 1, e.g. 0,1/4,1/2,3/4,1")
        }
        for k in 1..<seq.count where !(seq[k - 1] < seq[k]) {
            throw SegmentError("the sequence must go up strictly; \(seq[k - 1]) is followed by \(seq[k])")
        }
        guard let i = seq.firstIndex(of: from), i + 1 < seq.count, seq[i + 1] == to else {
            throw SegmentError("the segment \(from):\(to) is not one of the sequence's (\(seq.map(\.description).joined(separator: ",")))")
        }
        // The striping walks one period (the lengths' common denominator): keep it sane.
        var common = 1
        for k in 1..<seq.count {
            common = Self.lcm(common, (seq[k] - seq[k - 1]).denominator)
            guard common <= 1_000_000 else {
                throw SegmentError("the sequence's fractions have a common denominator over 1,000,000; use simpler fractions, e.g. 0,1/4,1/2,3/4,1")
            }
        }
        self.from = from
        self.to = to
        self.sequence = seq
        index = i
        (start, offsets, period) = Self.striping(seq, segment: i)
    }

    /// The number of the elements 0..<`count` that belong to this segment (k6's `ScaleInt64`).
    public func scale(_ count: Int) -> Int {
        guard count > 0 else { return 0 }
        var n = (count / period) * offsets.count
        let rest = count % period
        var e = start, k = 0
        while e < rest {
            n += 1
            e += offsets[k % offsets.count]
            k += 1
        }
        return n
    }

    /// The global index of this segment's `k`-th element (0-based).
    public func element(_ k: Int) -> Int {
        let cycle = k / offsets.count, within = k % offsets.count
        var e = start
        for j in 0..<within { e += offsets[j] }
        return cycle * period + e
    }

    /// Whether this is the whole run.
    public var isWhole: Bool { from == .zero && to == .one }

    /// `from:to` as k6 writes it.
    public var description: String { "\(from):\(to)" }

    /// k6's striping: the segments, largest first, take elements 0..<period in turn, each
    /// when its share so far is behind (element i goes to the first whose taken count × period
    /// / its share is ≤ i). Returns `segment`'s first element, gaps and the period.
    static func striping(_ seq: [Fraction], segment: Int) -> (Int, [Int], Int) {
        let lengths = (1..<seq.count).map { seq[$0] - seq[$0 - 1] }
        let period = lengths.reduce(1) { lcm($0, $1.denominator) }
        var order = lengths.enumerated().map { (share: $0.element.numerator * (period / $0.element.denominator), index: $0.offset) }
        order = order.enumerated().sorted { a, b in
            a.element.share != b.element.share ? a.element.share > b.element.share : a.offset < b.offset
        }.map(\.element)
        var taken = Array(repeating: 0, count: order.count)
        var mine: [Int] = []
        for i in 0..<period {
            for (k, seg) in order.enumerated() {
                let num = taken[k] * period, den = seg.share
                if i > num / den || (i == num / den && num % den == 0) {
                    taken[k] += 1
                    if seg.index == segment { mine.append(i) }
                    break
                }
            }
        }
        guard let first = mine.first else { return (0, [period], period) }
        var gaps: [Int] = []
        for k in 1..<max(1, mine.count) { gaps.append(mine[k] - mine[k - 1]) }
        gaps.append(period - mine[mine.count - 1] + first)
        return (first, gaps, period)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    static func lcm(_ a: Int, _ b: Int) -> Int { a / gcd(a, b) * b }
}

/// A wrong `--execution-segment` or `--execution-segment-sequence`.
public struct SegmentError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// A non-negative rational number, in lowest terms: k6's segment boundaries.
public struct Fraction: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let numerator: Int
    public let denominator: Int

    public static let zero = Fraction(0, 1)
    public static let one = Fraction(1, 1)

    /// `n/d` reduced.
    public init(_ n: Int, _ d: Int) {
        let g = Swift.max(1, ExecutionSegment.gcd(Swift.abs(n), Swift.abs(d)))
        numerator = n / g
        denominator = d / g
    }

    /// k6's spellings: `1/4`, `0.25`, `25%`, `0`, `1`. Nil when it is none of them or not in [0, 1].
    public init?(parsing text: Substring) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let slash = t.firstIndex(of: "/") {
            guard let n = Int(t[..<slash]), let d = Int(t[t.index(after: slash)...]), d > 0, n >= 0, n <= d else { return nil }
            self.init(n, d)
        } else if t.hasSuffix("%") {
            guard let f = Fraction(decimal: String(t.dropLast())) else { return nil }
            self.init(f.numerator, f.denominator * 100)
        } else {
            guard let f = Fraction(decimal: t) else { return nil }
            self = f
        }
        guard self <= .one else { return nil }
    }

    /// A decimal such as `0.25` or `1`, exactly (at most 9 decimals).
    init?(decimal t: String) {
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int(parts[0].isEmpty ? "0" : String(parts[0])), whole >= 0 else { return nil }
        var n = whole, d = 1
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.count <= 9, frac.allSatisfy(\.isASCII), let f = Int(frac) else { return nil }
            d = Int(pow10: frac.count)
            n = whole * d + f
        }
        self.init(n, d)
    }

    public static func < (a: Fraction, b: Fraction) -> Bool { a.numerator * b.denominator < b.numerator * a.denominator }
    public static func - (a: Fraction, b: Fraction) -> Fraction {
        Fraction(a.numerator * b.denominator - b.numerator * a.denominator, a.denominator * b.denominator)
    }

    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
    /// The value as a Double.
    public var value: Double { Double(numerator) / Double(denominator) }
}

extension Int {
    fileprivate init(pow10 k: Int) {
        var v = 1
        for _ in 0..<k { v *= 10 }
        self = v
    }
}
