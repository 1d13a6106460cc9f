import Exporter
import Foundation
import Measurements

/// Writes `--summary-export`: k6's legacy summary JSON shape (README.md), so a script that
/// reads k6's file reads ours, plus kalm's unambiguous `thresholds` list and `passed`.
struct SummaryExport {
    let report: RunReport
    /// metric → [expression: crossed] as k6 writes it (true = the threshold failed).
    var k6Thresholds: [String: [String: Bool]] = [:]
    /// kalm's own list: metric, threshold, ok, observed.
    var thresholdList: [[String: Any]] = []
    var passed = true
    /// Breakpoint and soak findings, when the run had them.
    var breakpoint: [String: Any]?
    var soak: [String: Any]?
    /// What `kalm merge` needs (a `kalm run`'s export; nil for a merged summary).
    var part: PartExport?

    /// Fills k6's per-metric `thresholds` maps, kalm's list, and `passed`.
    mutating func setThresholds(_ results: [ThresholdResult], comparison: BaselineComparison?, passed: Bool) {
        for r in results {
            // k6: true means the threshold was crossed (failed).
            k6Thresholds[r.threshold.key, default: [:]][r.threshold.source] = !r.ok
            thresholdList.append(["metric": r.threshold.key, "threshold": r.threshold.source, "ok": r.ok,
                                  "observed": r.observed, "observed_text": r.observedText])
        }
        for v in comparison?.verdicts ?? [] {
            thresholdList.append(["metric": "baseline", "threshold": v.what, "ok": v.ok, "observed_text": v.detail])
        }
        self.passed = passed
    }

    /// Just the `metrics` object (the baseline comparison reads it).
    func metricsObject() -> [String: Any] {
        jsonObject()["metrics"] as! [String: Any]
    }

    func jsonObject() -> [String: Any] {
        let r = report
        let t = r.total
        let secs = r.elapsedSeconds
        var metrics: [String: Any] = [:]

        func trend(_ name: String, _ h: LogLinearHistogram) {
            var m: [String: Any] = [:]
            for (k, v) in TrendStats(h).named { m[k] = v }
            metrics[name] = m
        }
        func counter(_ name: String, _ n: UInt64) {
            metrics[name] = ["count": n, "rate": Double(n) / secs]
        }
        func rate(_ name: String, trues: UInt64, falses: UInt64) {
            let total = trues + falses
            metrics[name] = ["passes": trues, "fails": falses, "value": total == 0 ? 0 : Double(trues) / Double(total)]
        }

        for tr in Trend.allCases { trend(tr.metricName, t.trends[tr.rawValue]) }
        counter("http_reqs", t.requests)
        counter("iterations", t.iterations)
        counter("data_sent", t.bytesSent)
        counter("data_received", t.bytesReceived)
        // Like k6, metrics that never received a sample are left out.
        if t.droppedIterations > 0 { counter("dropped_iterations", t.droppedIterations) }
        // k6's Rate counts non-zero samples as "passes": for http_req_failed that is the failed requests.
        rate("http_req_failed", trues: t.failedRequests, falses: t.requests - t.failedRequests)
        if !r.checks.isEmpty { rate("checks", trues: r.checkPasses, falses: r.checkFails) }
        rate("availability", trues: t.iterationsSucceeded, falses: t.iterationsFailed)
        let vmin = r.vus.min.isFinite ? r.vus.min : 0
        let vmax = r.vus.max.isFinite ? r.vus.max : 0
        metrics["vus"] = ["value": r.vus.value, "min": vmin, "max": vmax]
        metrics["vus_max"] = ["value": Double(r.vusMax), "min": Double(r.vusMax), "max": Double(r.vusMax)]
        if r.probeNames.count > 1 {
            for (i, p) in r.probeNames.enumerated() {
                let s = r.perProbe[i]
                trend("http_req_duration{probe:\(p)}", s.trends[Trend.duration.rawValue])
                counter("http_reqs{probe:\(p)}", s.requests)
                rate("http_req_failed{probe:\(p)}", trues: s.failedRequests, falses: s.requests - s.failedRequests)
            }
        }
        // A journey's steps, as k6 shows requests tagged with a step: `http_req_duration{step:create}`
        // (`{probe:P,step:S}` when the run has several probes).
        for (tag, s) in r.stepTotals {
            trend("http_req_duration{\(tag)}", s.trends[Trend.duration.rawValue])
            counter("http_reqs{\(tag)}", s.requests)
            rate("http_req_failed{\(tag)}", trues: s.failedRequests, falses: s.requests - s.failedRequests)
        }
        for (metric, marks) in k6Thresholds {
            // A selector's sub-metric appears under its own key, as in k6's export.
            var m = metrics[metric] as? [String: Any] ?? subMetric(metric) ?? [:]
            m["thresholds"] = marks
            metrics[metric] = m
        }

        var checks: [String: Any] = [:]
        for c in r.checks {
            checks[c.name] = ["name": c.name, "path": "::\(c.name)", "id": Self.md5Hex("::\(c.name)"),
                              "passes": c.passes, "fails": c.fails]
        }
        let root: [String: Any] = ["name": "", "path": "", "id": Self.md5Hex(""), "groups": [String: Any](), "checks": checks]
        var out: [String: Any] = ["root_group": root, "metrics": metrics, "thresholds": thresholdList, "passed": passed]
        if let breakpoint { out["breakpoint"] = breakpoint }
        if let soak { out["soak"] = soak }
        if let part { out["kalm"] = part.json }
        return out
    }

    /// Values of a sub-metric (`http_req_duration{probe:x}`) a threshold names.
    private func subMetric(_ key: String) -> [String: Any]? {
        guard let (metric, selector) = try? Threshold.parseKey(key) else { return nil }
        let data = RunThresholdData(scenario: report.scenarioName,
                                    probes: report.thresholdProbes,
                                    stats: report.perProbe, stepStats: report.perStep, elapsedSeconds: report.elapsedSeconds, vus: report.vus.value,
                                    vusMax: Double(report.vusMax))
        func v(_ a: ThresholdExpression.Aggregation) -> Double { data.observe(metric: metric, selector: selector, aggregation: a) ?? 0 }
        switch metric {
        case .trend:
            return ["avg": v(.avg), "min": v(.min), "med": v(.med), "max": v(.max), "p(90)": v(.percentile(90)),
                    "p(95)": v(.percentile(95)), "p(99)": v(.percentile(99))]
        case .rate: return ["value": v(.rate)]
        case .counter: return ["count": v(.count), "rate": v(.rate)]
        case .gauge: return ["value": v(.value)]
        }
    }

    func write(to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: jsonObject(), options: [.prettyPrinted, .sortedKeys])
        guard FileManager.default.createFile(atPath: path, contents: data + Data("\n".utf8)) else {
            throw UsageError(.unwritableFile, "--summary-export: cannot write \(path) (does the directory exist and is it writable?)")
        }
    }

    /// k6 identifies groups and checks by the MD5 of their path.
    static func md5Hex(_ s: String) -> String {
        MD5.hex(Array(s.utf8))
    }
}
