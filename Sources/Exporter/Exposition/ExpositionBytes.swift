// Byte-level helpers shared by the two writers: numbers and escaped strings
// written straight into a growable byte buffer, no Foundation, no
// per-sample String building.

/// How numbers and strings are spelled in the exposition formats.
///
/// Sample values (`valueString`):
/// - `NaN`, `+Inf`, `-Inf` (both formats spell them so);
/// - integral values with |v| < 2^53 as plain integer digits (`0`, `17`,
///   `1712345678`; negative zero is `0`);
/// - everything else as Go's `strconv.FormatFloat(v, 'g', -1, 64)`: the
///   shortest digits that round-trip, in exponent form when the decimal
///   exponent is < -4 or ≥ 6 (`0.005`, `123456.7`, `1.2345678e+06`, `1e-05`).
///
/// This is what client_golang writes, except that it writes integral values
/// ≥ 1e6 in exponent form (`1.234567e+06`); both parse to the same float,
/// and OpenMetrics asks for counts (bucket, `_count`) to be integers.
///
/// `le`/`quantile` label values are label values, so their spelling is part
/// of the series' identity: the text format uses Go's `%g` exactly, as
/// client_golang does (`le="1"`, `le="0.005"`, `le="1e+06"`, `le="+Inf"`);
/// OpenMetrics uses its canonical numbers, Go's `%g` with `.0` appended when
/// there is neither a `.` nor an exponent (`le="1.0"`, `le="10.0"`,
/// `quantile="0.99"`). Prometheus 2.x therefore stores `le="1"` from a text
/// scrape and `le="1.0"` from an OpenMetrics scrape, as with any Go exporter;
/// non-integral bounds (0.2, 0.5, …) are spelled the same in both.
public enum ExpositionNumbers {
    /// A sample value as the writers spell it (see the type's documentation).
    public static func valueString(_ v: Double) -> String {
        var sink = ByteSink(capacity: 32)
        defer { sink.deallocate() }
        ExpositionBytes.appendValue(v, to: &sink)
        return sink.string()
    }

    /// Go's `strconv.FormatFloat(v, 'g', -1, 64)`, with `+Inf`/`-Inf`/`NaN`.
    public static func goString(_ v: Double) -> String {
        var sink = ByteSink(capacity: 32)
        defer { sink.deallocate() }
        ExpositionBytes.appendGoFloat(v, to: &sink)
        return sink.string()
    }

    /// OpenMetrics canonical number (for `le` and `quantile`).
    public static func canonicalString(_ v: Double) -> String {
        var sink = ByteSink(capacity: 32)
        defer { sink.deallocate() }
        ExpositionBytes.appendCanonicalFloat(v, to: &sink)
        return sink.string()
    }
}

/// A growable byte buffer written through a raw pointer: the writers'
/// output before it is handed over. Not an owner: whoever holds it calls
/// `deallocate()` (ExpositionCore keeps it in a class that does so in deinit).
/// `reserve(n)` before the unchecked `put`/`copy` writes of up to n bytes.
struct ByteSink {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    func deallocate() { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    func string() -> String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count &+ n > capacity { grow(count &+ n) }
    }

    @inline(never)
    private mutating func grow(_ needed: Int) {
        let newCapacity = Swift.max(needed, capacity &* 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Unchecked: `reserve` first.
    @inline(__always)
    mutating func put(_ b: UInt8) {
        base[count] = b
        count &+= 1
    }

    /// Unchecked: `reserve` first.
    @inline(__always)
    mutating func copy(_ p: UnsafePointer<UInt8>, _ n: Int) {
        (base + count).update(from: p, count: n)
        count &+= n
    }

    @inline(__always)
    mutating func append(_ b: UInt8) {
        reserve(1)
        put(b)
    }

    @inline(__always)
    mutating func append(_ p: UnsafeBufferPointer<UInt8>) {
        guard let a = p.baseAddress, p.count > 0 else { return }
        reserve(p.count)
        copy(a, p.count)
    }

    @inline(__always)
    mutating func append(_ s: StaticString) {
        reserve(s.utf8CodeUnitCount)
        copy(s.utf8Start, s.utf8CodeUnitCount)
    }

    @inline(__always)
    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { append($0) }
    }

    @inline(__always)
    mutating func append(_ s: Substring) {
        var s = s
        s.withUTF8 { append($0) }
    }
}

enum ExpositionBytes {
    // ASCII
    static let backslash: UInt8 = 0x5C
    static let quote: UInt8 = 0x22
    static let newline: UInt8 = 0x0A
    static let space: UInt8 = 0x20

    // MARK: escaping

    /// Appends `s` with `\` → `\\`, newline → `\n` and, when `quotes`,
    /// `"` → `\"`. Text 0.0.4 HELP escapes no quotes; label values (both
    /// formats) and OpenMetrics HELP do.
    static func appendEscaped(_ s: String, quotes: Bool, to out: inout ByteSink) {
        var s = s
        s.withUTF8 { src in
            var clean = true
            for b in src where b == backslash || b == newline || (quotes && b == quote) {
                clean = false
                break
            }
            if clean {
                out.append(src)
                return
            }
            out.reserve(src.count &* 2)
            for b in src {
                switch b {
                case backslash: out.put(backslash); out.put(backslash)
                case newline: out.put(backslash); out.put(0x6E) // n
                case quote where quotes: out.put(backslash); out.put(quote)
                default: out.put(b)
                }
            }
        }
    }

    // MARK: numbers

    /// Appends a signed integer in decimal.
    @inline(__always)
    static func appendInt(_ v: Int64, to out: inout ByteSink) {
        if v < 0 {
            out.append(0x2D)
            appendUInt(v.magnitude, to: &out)
        } else {
            appendUInt(UInt64(v), to: &out)
        }
    }

    static func appendUInt(_ v: UInt64, to out: inout ByteSink) {
        var digits = 1
        var t = v
        while t >= 10 { t /= 10; digits &+= 1 }
        out.reserve(digits)
        var i = out.count &+ digits
        var n = v
        repeat {
            i &-= 1
            out.base[i] = 0x30 &+ UInt8(truncatingIfNeeded: n % 10)
            n /= 10
        } while n > 0
        out.count &+= digits
    }

    /// 2^53: below it every integer is exact and prints as plain digits.
    static let exactIntegerLimit: Double = 9_007_199_254_740_992

    /// A sample value: NaN/±Inf, plain integer when integral and exact,
    /// otherwise Go's shortest `%g`.
    @inline(__always)
    static func appendValue(_ v: Double, to out: inout ByteSink) {
        if v.magnitude < exactIntegerLimit, v == v.rounded(.towardZero) {
            appendInt(Int64(v), to: &out) // also 0 and -0 → "0"
            return
        }
        if v.isNaN { out.append("NaN"); return }
        if v.isInfinite { out.append(v > 0 ? "+Inf" : "-Inf"); return }
        appendGoG(v, canonical: false, to: &out)
    }

    /// Go's `strconv.FormatFloat(v, 'g', -1, 64)` with `+Inf`, `-Inf`, `NaN`
    /// (client_golang's text-format spelling of `le` and `quantile`).
    static func appendGoFloat(_ v: Double, to out: inout ByteSink) {
        if v.isNaN { out.append("NaN"); return }
        if v.isInfinite { out.append(v > 0 ? "+Inf" : "-Inf"); return }
        if v == 0 { out.append(0x30); return }
        appendGoG(v, canonical: false, to: &out)
    }

    /// OpenMetrics canonical number: Go `%g`, plus `.0` when it has neither a
    /// decimal point nor an exponent.
    static func appendCanonicalFloat(_ v: Double, to out: inout ByteSink) {
        if v.isNaN { out.append("NaN"); return }
        if v.isInfinite { out.append(v > 0 ? "+Inf" : "-Inf"); return }
        if v == 0 { out.append("0.0"); return }
        appendGoG(v, canonical: true, to: &out)
    }

    /// Shortest round-trip digits (taken from Swift's `description`, which is
    /// shortest-and-closest like Go's), laid out the way Go's `%g` does.
    /// `v` is finite and non-zero.
    static func appendGoG(_ v: Double, canonical: Bool, to out: inout ByteSink) {
        var desc = v.description // ≤ 15 bytes stays a small string: no allocation
        desc.withUTF8 { src in
            // Decompose into sign, significant digits d[0..<nd] and decimal
            // point position dp (value = 0.d0d1… × 10^dp). 17 digits suffice
            // for a Double; 32 leaves room.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { d in
                var nd = 0
                var dp = 0
                var sawPoint = false
                var negative = false
                var exp = 0
                var i = 0
                let n = src.count
                if i < n, src[i] == 0x2D { negative = true; i += 1 }
                while i < n {
                    let c = src[i]
                    if c == 0x2E { // .
                        sawPoint = true
                    } else if c >= 0x30 && c <= 0x39 {
                        if nd == 0 && c == 0x30 {
                            // a leading zero after the point moves the point left
                            if sawPoint { dp -= 1 }
                        } else {
                            if nd < 32 { d[nd] = c; nd += 1 }
                            if !sawPoint { dp += 1 }
                        }
                    } else if c == 0x65 || c == 0x45 { // e
                        i += 1
                        var eneg = false
                        if i < n, src[i] == 0x2D { eneg = true; i += 1 } else if i < n, src[i] == 0x2B { i += 1 }
                        while i < n, src[i] >= 0x30, src[i] <= 0x39 {
                            exp = exp * 10 + Int(src[i] &- 0x30)
                            i += 1
                        }
                        if eneg { exp = -exp }
                        break
                    }
                    i += 1
                }
                dp += exp
                while nd > 1 && d[nd - 1] == 0x30 { nd -= 1 } // trailing zeros
                let digits = UnsafePointer(d.baseAddress!)
                // Longest case: "-0.0000" + 17 digits, or "-d.ddd…e+308" + ".0".
                out.reserve(nd + 16 + Swift.max(0, -dp) + Swift.max(0, dp))
                if negative { out.put(0x2D) }
                let x = dp - 1 // decimal exponent of the first digit
                if x < -4 || x >= 6 {
                    // %e: d[.ddd]e±XX
                    out.put(d[0])
                    if nd > 1 {
                        out.put(0x2E)
                        out.copy(digits + 1, nd - 1)
                    }
                    out.put(0x65)
                    var e = x
                    if e < 0 { out.put(0x2D); e = -e } else { out.put(0x2B) }
                    if e < 10 {
                        out.put(0x30); out.put(0x30 &+ UInt8(e))
                    } else if e < 100 {
                        out.put(0x30 &+ UInt8(e / 10)); out.put(0x30 &+ UInt8(e % 10))
                    } else {
                        out.put(0x30 &+ UInt8(e / 100))
                        out.put(0x30 &+ UInt8((e / 10) % 10))
                        out.put(0x30 &+ UInt8(e % 10))
                    }
                } else if dp <= 0 {
                    // 0.000ddd
                    out.put(0x30); out.put(0x2E)
                    for _ in 0..<(-dp) { out.put(0x30) }
                    out.copy(digits, nd)
                } else if dp >= nd {
                    // ddd000 (an integer)
                    out.copy(digits, nd)
                    for _ in 0..<(dp - nd) { out.put(0x30) }
                    if canonical { out.put(0x2E); out.put(0x30) }
                } else {
                    out.copy(digits, dp)
                    out.put(0x2E)
                    out.copy(digits + dp, nd - dp)
                }
            }
        }
    }
}

/// Remembers how bounds (`le`, `quantile`) are spelled: a histogram family
/// repeats the same dozen bounds for every series, and formatting a Double
/// costs far more than copying its bytes. Open addressing over the bit
/// pattern; once full, further bounds are formatted each time.
struct BoundCache {
    private static let slots = 256 // power of two
    private static let maxEntries = 192
    // Allocated on first use, so an unused cache costs nothing.
    private var keys: [UInt64] = []
    private var used: [Bool] = []
    private var offsets: [Int32] = []
    private var lengths: [Int32] = []
    private var arena: [UInt8] = []
    private var entries = 0
    let canonical: Bool

    init(canonical: Bool) {
        self.canonical = canonical
    }

    mutating func append(_ v: Double, to out: inout ByteSink) {
        if keys.isEmpty {
            keys = [UInt64](repeating: 0, count: Self.slots)
            used = [Bool](repeating: false, count: Self.slots)
            offsets = [Int32](repeating: 0, count: Self.slots)
            lengths = [Int32](repeating: 0, count: Self.slots)
            arena.reserveCapacity(2048)
        }
        let bits = v.bitPattern
        var slot = Int(truncatingIfNeeded: (bits &* 0x9E37_79B9_7F4A_7C15) >> 56) & (Self.slots - 1)
        while used[slot] {
            if keys[slot] == bits {
                let o = Int(offsets[slot]), n = Int(lengths[slot])
                arena.withUnsafeBufferPointer { out.append(UnsafeBufferPointer(rebasing: $0[o..<(o + n)])) }
                return
            }
            slot = (slot + 1) & (Self.slots - 1)
        }
        let start = out.count
        if canonical {
            ExpositionBytes.appendCanonicalFloat(v, to: &out)
        } else {
            ExpositionBytes.appendGoFloat(v, to: &out)
        }
        guard entries < Self.maxEntries else { return }
        entries += 1
        used[slot] = true
        keys[slot] = bits
        offsets[slot] = Int32(arena.count)
        lengths[slot] = Int32(out.count - start)
        arena.append(contentsOf: UnsafeBufferPointer(start: out.base + start, count: out.count - start))
    }
}
