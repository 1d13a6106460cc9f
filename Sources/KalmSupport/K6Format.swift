import Foundation

/// Numbers as k6 writes them in summaries and threshold verdicts.
public enum K6Format {
    /// A duration in milliseconds: `0s`, `812.3µs`, `50.51ms`, `1.2s`, `1m2.5s`, `1h0m3s`.
    public static func duration(ms: Double) -> String {
        if ms <= 0 { return "0s" }
        let us = ms * 1000
        if us < 1000 { return twoDecimals(us) + "µs" }
        if ms < 1000 { return twoDecimals(ms) + "ms" }
        let s = ms / 1000
        if s < 60 { return twoDecimals(s) + "s" }
        let m = Int(s / 60)
        let rest = s - Double(m) * 60
        if m < 60 { return "\(m)m" + twoDecimals(rest) + "s" }
        return "\(m / 60)h\(m % 60)m" + twoDecimals(rest) + "s"
    }

    /// Up to two decimals, trailing zeros dropped: 50.51, 1.2, 3.
    public static func twoDecimals(_ v: Double) -> String {
        var s = String(format: "%.2f", v)
        while s.contains("."), s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
