import Exporter
import Foundation
import KalmSupport
import Measurements

/// How a breakpoint run's finding is printed and exported.
enum BreakpointReport {
    static func render(_ bp: BreakpointResult, probes: [String]) -> String {
        var out = "\n   BREAKPOINT\n"
        if let stop = bp.stoppedBy, let at = bp.stoppedAt {
            out += "     stopped at \(ProgressReporter.clock(at)): \(stop.threshold.key) '\(stop.threshold.source)' failed over the last 10 s (\(stop.observedText))\n"
        } else {
            out += "     every abort_on threshold held to the end: the capacity is above the last rate reached\n"
        }
        for (i, p) in probes.enumerated() {
            out += "     capacity \(p): \(String(format: "%.1f", bp.capacity[i])) successful requests/s"
            out += bp.lastPassingAt.map { " (last passing evaluation at \(ProgressReporter.clock($0)))" } ?? ""
            out += "\n"
        }
        return out
    }

    static func json(_ bp: BreakpointResult, probes: [String]) -> [String: Any] {
        var out: [String: Any] = [
            "capacity_requests_per_second": Dictionary(uniqueKeysWithValues: zip(probes, bp.capacity)),
        ]
        if let at = bp.lastPassingAt { out["last_passing_at_seconds"] = at }
        if let s = bp.stoppedBy {
            out["stopped_by"] = ["metric": s.threshold.key, "threshold": s.threshold.source, "observed": s.observed]
            out["stopped_at_seconds"] = bp.stoppedAt ?? 0
        }
        return out
    }
}

/// How soak degradation is printed and exported.
enum SoakSummary {
    static func render(_ reports: [SoakReport], probes: [String], steady: SteadyState) -> String {
        var out = "\n   SOAK  steady state \(ProgressReporter.clock(steady.start))–\(ProgressReporter.clock(steady.start + steady.length)), slots of \(K6Format.twoDecimals(steady.slotSeconds))s\n"
        for (i, p) in probes.enumerated() {
            let r = reports[i]
            let drift = SoakTracker.stats.map { s in r.drift[s.name].map { "\(s.name) \(String(format: "%.3f", $0))×" } ?? "\(s.name) -" }
            let slope = SoakTracker.stats.map { s in r.slope[s.name].map { "\(s.name) \(String(format: "%+.4f", $0)) s/h" } ?? "\(s.name) -" }
            out += "     \(p): drift \(drift.joined(separator: ", ")); slope \(slope.joined(separator: ", "))"
            out += r.errorRatio.map { "; errors \(SummaryFormat.percent($0))" } ?? ""
            out += "\n"
        }
        return out
    }

    static func json(_ reports: [SoakReport], probes: [String]) -> [String: Any] {
        var out: [String: Any] = [:]
        for (i, p) in probes.enumerated() {
            let r = reports[i]
            var o: [String: Any] = ["drift_ratio": r.drift, "slope_seconds_per_hour": r.slope,
                                    "window_start": r.windowStart, "window_end": r.windowEnd]
            if let e = r.errorRatio { o["error_ratio"] = e }
            out[p] = o
        }
        return out
    }
}
