import Foundation

/// Go / k6 style durations: `500ms`, `2s`, `10m`, `4h`, `1h30m`, `1.5s`, `250us`, `250µs`.
///
/// Units are `ns`, `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`; components add up
/// (`1h30m`); a bare `0` is zero. A number without a unit is rejected: `10`
/// could mean seconds or milliseconds.
enum GoDuration {
    private static let units: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]

    /// Parses `text` into seconds.
    /// - Throws: `ValueError` saying what is wrong (without repeating the text).
    static func parse(_ text: String) throws -> Double {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { throw ValueError("empty duration") }
        var chars = Substring(s)
        var sign = 1.0
        if chars.first == "-" || chars.first == "+" {
            if chars.first == "-" { sign = -1 }
            chars = chars.dropFirst()
        }
        if chars == "0" { return 0 }
        guard !chars.isEmpty else { throw ValueError("no number") }
        var total = 0.0
        while !chars.isEmpty {
            let numberEnd = chars.firstIndex(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) }) ?? chars.endIndex
            let number = chars[..<numberEnd]
            guard !number.isEmpty else {
                throw ValueError("expected a number before \"\(chars.prefix(while: { !$0.isNumber }))\"")
            }
            guard number.filter({ $0 == "." }).count <= 1, number != ".", let value = Double(number) else {
                throw ValueError("malformed number")
            }
            chars = chars[numberEnd...]
            let unitEnd = chars.firstIndex(where: { $0.isASCII && ($0.isNumber || $0 == ".") }) ?? chars.endIndex
            let unit = String(chars[..<unitEnd])
            guard !unit.isEmpty else { throw ValueError("missing unit (ns, us, ms, s, m, h)") }
            guard let scale = units.first(where: { $0.0 == unit })?.1 else {
                throw ValueError("unknown unit \"\(unit)\" (use ns, us, ms, s, m, h)")
            }
            total += value * scale
            chars = chars[unitEnd...]
        }
        guard total.isFinite else { throw ValueError("out of range") }
        return sign * total
    }

    /// Formats seconds compactly so that `parse` reads it back: `1h`, `1h30m`, `1m30s`, `1.5s`, `500ms`, `250µs`, `0s`.
    static func format(seconds: Double) -> String {
        guard seconds.isFinite else { return seconds > 0 ? "inf" : "-inf" }
        if seconds < 0 { return "-" + format(seconds: -seconds) }
        let ns = Int64((seconds * 1e9).rounded())
        if ns == 0 { return "0s" }
        if ns < 1_000_000_000 {
            if ns % 1_000_000 == 0 || ns >= 1_000_000 { return trimmed(Double(ns) / 1e6) + "ms" }
            if ns % 1000 == 0 || ns >= 1000 { return trimmed(Double(ns) / 1e3) + "µs" }
            return "\(ns)ns"
        }
        var out = ""
        let hours = ns / 3_600_000_000_000
        let minutes = (ns / 60_000_000_000) % 60
        let rest = ns % 60_000_000_000
        if hours > 0 { out += "\(hours)h" }
        if minutes > 0 { out += "\(minutes)m" }
        if rest > 0 { out += trimmed(Double(rest) / 1e9) + "s" }
        return out
    }

    /// `1.5` → "1.5", `2.0` → "2", at most 9 decimals.
    private static func trimmed(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        var s = String(format: "%.9f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
