import Foundation
import KalmSupport

/// k6's ways of writing numbers in the end-of-test summary (durations: `K6Format`).
enum SummaryFormat {
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
