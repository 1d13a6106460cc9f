import Probes
import Exporter
import Foundation
import KalmSupport
import Measurements

/// Renders the end-of-test summary the way k6 prints it.
struct SummaryPrinter {
    let report: RunReport
    /// Threshold verdicts: a THRESHOLDS block, and ✓/✗ before the metric lines they judge.
    var thresholds: [ThresholdResult] = []
    var abortedBy: ThresholdResult?

    func render() -> String {
        var out = ""
        let r = report
        out += "\n     scenario: \(r.scenarioName) · probes: \(r.probeNames.joined(separator: ", ")) · \(K6Format.duration(ms: r.elapsedSeconds * 1000))\(r.aborted ? " (aborted)" : "")\n\n"
        for c in r.checks {
            if c.fails == 0 {
                out += "     ✓ \(c.name)\n"
            } else {
                let total = c.passes + c.fails
                let pct = total == 0 ? 0 : Int((Double(c.passes) / Double(total) * 100).rounded(.down))
                out += "     ✗ \(c.name)\n      ↳  \(pct)% — ✓ \(c.passes) / ✗ \(c.fails)\n"
            }
        }
        if !r.checks.isEmpty { out += "\n" }
        if !thresholds.isEmpty {
            out += "   THRESHOLDS\n"
            var keys: [String] = []
            for t in thresholds where !keys.contains(t.threshold.key) { keys.append(t.threshold.key) }
            for key in keys {
                out += "     \(key)\n"
                for t in thresholds where t.threshold.key == key {
                    out += "     \(t.ok ? "✓" : "✗") '\(t.threshold.source)' \(t.observedText)\n"
                }
            }
            if let a = abortedBy {
                out += "     run stopped early: \(a.threshold.key) '\(a.threshold.source)' failed (\(a.observedText)) with abortOnFail\n"
            }
            out += "\n"
        }
        var marks: [String: Bool] = [:]
        for t in thresholds {
            let name = (try? Threshold.parseKey(t.threshold.key)).map { $0.1.isEmpty } == true ? t.threshold.key : ""
            if !name.isEmpty { marks[name] = (marks[name] ?? true) && t.ok }
        }

        var rows: [(String, String)] = []
        let secs = r.elapsedSeconds
        let t = r.total
        // A journey's steps, as k6 prints tagged sub-metrics: `{ step:create }`.
        let stepStats = r.stepTotals
        if !r.checks.isEmpty {
            let total = r.checkPasses + r.checkFails
            rows.append(("checks", "\(SummaryFormat.percent(total == 0 ? 0 : Double(r.checkPasses) / Double(total)))  ✓ \(r.checkPasses)  ✗ \(r.checkFails)"))
        }
        rows.append(("data_received", "\(SummaryFormat.bytes(Double(t.bytesReceived)))  \(SummaryFormat.bytes(Double(t.bytesReceived) / secs))/s"))
        rows.append(("data_sent", "\(SummaryFormat.bytes(Double(t.bytesSent)))  \(SummaryFormat.bytes(Double(t.bytesSent) / secs))/s"))
        if t.droppedIterations > 0 {
            rows.append(("dropped_iterations", "\(t.droppedIterations)  \(SummaryFormat.rate(Double(t.droppedIterations) / secs))"))
        }
        let trendRows: [(Trend, String)] = [
            (.blocked, "http_req_blocked"), (.connecting, "http_req_connecting"), (.duration, "http_req_duration"),
        ]
        for (trend, name) in trendRows {
            rows.append((name, trendLine(t.trends[trend.rawValue])))
            if trend == .duration {
                rows.append(("  { expected_response:true }", trendLine(t.trends[Trend.durationExpected.rawValue])))
                if r.probeNames.count > 1 {
                    for (i, p) in r.probeNames.enumerated() {
                        rows.append(("  { probe:\(p) }", trendLine(r.perProbe[i].trends[Trend.duration.rawValue])))
                    }
                }
                for (tag, s) in stepStats { rows.append(("  { \(tag) }", trendLine(s.trends[Trend.duration.rawValue]))) }
            }
        }
        let reqs = t.requests
        let failed = t.failedRequests
        rows.append(("http_req_failed", "\(SummaryFormat.percent(reqs == 0 ? 0 : Double(failed) / Double(reqs)))  ✓ \(failed)  ✗ \(reqs - failed)"))
        // Why requests failed (kalm's reason label), so a 100 % failure rate says what to fix.
        let reasons = FailureReason.allCases.compactMap { reason -> String? in
            let n = t.failuresByReason[Int(reason.rawValue)]
            return n > 0 ? "\(reason)=\(n)" : nil
        }
        if !reasons.isEmpty { rows.append(("  ↳ by reason", reasons.joined(separator: "  "))) }
        for (trend, name) in [(Trend.receiving, "http_req_receiving"), (.sending, "http_req_sending"),
                              (.tlsHandshaking, "http_req_tls_handshaking"), (.waiting, "http_req_waiting")] {
            rows.append((name, trendLine(t.trends[trend.rawValue])))
        }
        rows.append(("http_reqs", "\(reqs)  \(SummaryFormat.rate(Double(reqs) / secs))"))
        if r.probeNames.count > 1 {
            for (i, p) in r.probeNames.enumerated() {
                let n = r.perProbe[i].requests
                rows.append(("  { probe:\(p) }", "\(n)  \(SummaryFormat.rate(Double(n) / secs))"))
            }
        }
        for (tag, s) in stepStats { rows.append(("  { \(tag) }", "\(s.requests)  \(SummaryFormat.rate(Double(s.requests) / secs))")) }
        rows.append(("iteration_duration", trendLine(t.trends[Trend.iterationDuration.rawValue])))
        rows.append(("iterations", "\(t.iterations)  \(SummaryFormat.rate(Double(t.iterations) / secs))"))
        let ok = t.iterations == 0 ? 0 : Double(t.iterationsSucceeded) / Double(t.iterations)
        rows.append(("availability", "\(SummaryFormat.percent(ok))  ✓ \(t.iterationsSucceeded)  ✗ \(t.iterationsFailed)"))
        rows.append(("vus", String(format: "%.0f  min=%.0f  max=%.0f", r.vus.value, r.vus.min.isFinite ? r.vus.min : 0, r.vus.max.isFinite ? r.vus.max : 0)))
        rows.append(("vus_max", "\(r.vusMax)  min=\(r.vusMax)  max=\(r.vusMax)"))

        let width = max(32, rows.map { $0.0.count }.max()! + 3)
        for (name, value) in rows {
            let mark = marks[name.trimmingCharacters(in: .whitespaces)]
            let prefix = mark.map { $0 ? "✓ " : "✗ " } ?? "  "
            let dots = String(repeating: ".", count: max(3, width - name.count))
            out += "   \(prefix)\(name)\(dots): \(value)\n"
        }
        return out
    }

    private func trendLine(_ h: LogLinearHistogram) -> String {
        TrendStats(h).named.map { "\($0.0)=\(K6Format.duration(ms: $0.1))" }.joined(separator: " ")
    }
}
