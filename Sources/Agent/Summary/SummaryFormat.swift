import Foundation

/// k6's ways of writing numbers in the end-of-test summary.
enum SummaryFormat {
    /// A duration in milliseconds as k6 writes it: `0s`, `812.3µs`, `50.51ms`, `1.2s`, `1m2.5s`.
    static func duration(ms: Double) -> String {
        if ms <= 0 { return "0s" }
        let us = ms * 1000
        if us < 1000 { return trim(us) + "µs" }
        if ms < 1000 { return trim(ms) + "ms" }
        let s = ms / 1000
        if s < 60 { return trim(s) + "s" }
        let m = Int(s / 60)
        let rest = s - Double(m) * 60
        if m < 60 { return "\(m)m" + trim(rest) + "s" }
        return "\(m / 60)h\(m % 60)m" + trim(rest) + "s"
    }

    /// Up to two decimals, trailing zeros dropped (k6: 50.51ms, 1.2s, 3ms).
    static func trim(_ v: Double) -> String {
        var s = String(format: "%.2f", v)
        while s.contains("."), s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// Decimal byte units as k6 (go-humanize) writes them: `975 B`, `1.6 MB`, `53 kB`.
    static func bytes(_ n: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        if n < 10 { return String(format: "%.0f B", n) }
        var v = n
        var u = 0
        while v >= 1000, u < units.count - 1 {
            v /= 1000
            u += 1
        }
        return v < 10 ? String(format: "%.1f %@", v, units[u]) : String(format: "%.0f %@", v, units[u])
    }

    static func rate(_ perSecond: Double) -> String {
        String(format: "%.6f/s", perSecond)
    }

    static func percent(_ ratio: Double) -> String {
        String(format: "%.2f%%", ratio * 100)
    }
}
