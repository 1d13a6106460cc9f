import Measurements
import Probes

extension ReportData {
    /// The report of a run or of merged parts: `report`'s totals, `timeline`'s slots and the
    /// thresholds' verdicts.
    init(report: RunReport, timeline: RunTimeline, results: [ThresholdResult], executor: String, startedAt: Double,
         parts: Int, passed: Bool) {
        scenario = report.scenarioName
        self.executor = executor
        self.startedAt = startedAt
        slotSeconds = timeline.slotSeconds
        self.timeline = timeline.slots.map { s in
            func q(_ x: Double) -> Double? { s.latency.quantile(x).map { $0 / 1e6 } }
            return ReportSlot(requests: s.requests, failed: s.failed, p50: q(0.5), p95: q(0.95), p99: q(0.99),
                              activeVUs: s.activeVUs, iterationsStarted: s.iterationsStarted, dropped: s.dropped)
        }
        var rows: [ReportProbe] = []
        for (i, probe) in report.thresholdProbes.enumerated() {
            let st = report.perProbe[i]
            let checks = probe.checkNames.enumerated().map { k, name in
                ReportCheck(name: name, passes: st.checkPasses[k], fails: st.checkFails[k])
            }
            rows.append(Self.row(probe.name, step: nil, st, checks: checks))
            for (k, step) in probe.steps.enumerated() where i < report.perStep.count && k < report.perStep[i].count {
                rows.append(Self.row(probe.name, step: step, report.perStep[i][k], checks: []))
            }
        }
        probes = rows
        thresholds = results.map {
            ReportThreshold(metric: $0.threshold.key, expression: $0.threshold.source, observed: $0.observedText, ok: $0.ok)
        }
        self.parts = parts
        self.passed = passed
    }

    private static func row(_ probe: String, step: String?, _ st: ProbeStats, checks: [ReportCheck]) -> ReportProbe {
        let h = st.trends[Trend.duration.rawValue]
        func q(_ x: Double) -> Double? { h.quantile(x).map { $0 / 1e6 } }
        return ReportProbe(probe: probe, step: step, requests: st.requests, failed: st.failedRequests,
                           p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), max: h.count > 0 ? Double(h.max) / 1e6 : nil,
                           checks: checks)
    }
}
