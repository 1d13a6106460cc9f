// Byte-level spelling shared by the two writers: numbers and escaped strings written
// straight into a ByteSink, no Foundation, no per-sample String building.

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
