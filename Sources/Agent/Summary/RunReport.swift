import Exporter
import Measurements
import Probes

/// Everything the end-of-test summary and `--summary-export` show, computed once.
struct RunReport {
    struct CheckTotal {
        var name: String
        var passes: UInt64
        var fails: UInt64
    }

    let scenarioName: String
    let probeNames: [String]
    let checkNamesPerProbe: [[String]]
    /// The probes as thresholds see them (steps included).
    let thresholdProbes: [ThresholdProbe]
    /// Per probe, in config order.
    let perProbe: [ProbeStats]
    /// Per journey probe, per step (empty for a single-request probe).
    let perStep: [[ProbeStats]]
    /// All probes merged (checks excluded: see `checks`).
    let total: ProbeStats
    /// Checks summed by name over probes, in order of first appearance (as k6 groups them).
    let checks: [CheckTotal]
    let elapsedSeconds: Double
    let vus: GaugeStats
    let vusMax: Int
    let aborted: Bool

    init(scenario: ScenarioSpec, outcome: RunController.Outcome, layout: StatsLayout) {
        self.init(scenarioName: scenario.name, probes: scenario.probes.map { ThresholdProbe($0) }, perProbe: outcome.stats,
                  perStep: outcome.stepStats, elapsedSeconds: outcome.elapsedSeconds, vus: outcome.vus, vusMax: outcome.vusMax,
                  aborted: outcome.aborted, layout: layout)
    }

    /// A report of `perProbe` stats (and `perStep`, per journey) of `probes`: a run's, or merged parts'.
    init(scenarioName: String, probes: [ThresholdProbe], perProbe: [ProbeStats], perStep: [[ProbeStats]],
         elapsedSeconds: Double, vus: GaugeStats, vusMax: Int, aborted: Bool, layout: StatsLayout) {
        self.scenarioName = scenarioName
        probeNames = probes.map(\.name)
        checkNamesPerProbe = probes.map(\.checkNames)
        thresholdProbes = probes
        self.perProbe = perProbe
        self.perStep = perStep
        var total = ProbeStats(checkCount: 0, layout: layout)
        for s in perProbe { total.merge(s, includingChecks: false) }
        self.total = total
        var checks: [CheckTotal] = []
        var index: [String: Int] = [:]
        for (p, probe) in probes.enumerated() {
            for (i, name) in probe.checkNames.enumerated() {
                let s = perProbe[p]
                if let k = index[name] {
                    checks[k].passes += s.checkPasses[i]
                    checks[k].fails += s.checkFails[i]
                } else {
                    index[name] = checks.count
                    checks.append(CheckTotal(name: name, passes: s.checkPasses[i], fails: s.checkFails[i]))
                }
            }
        }
        self.checks = checks
        self.elapsedSeconds = max(elapsedSeconds, 1e-9)
        self.vus = vus
        self.vusMax = vusMax
        self.aborted = aborted
    }

    /// A journey's steps as k6 tags sub-metrics: `step:create`, or `probe:P,step:S` when the run has
    /// several probes, with each step's totals; shared by the summary and `--summary-export`.
    var stepTotals: [(tag: String, stats: ProbeStats)] {
        var out: [(tag: String, stats: ProbeStats)] = []
        for (i, probe) in thresholdProbes.enumerated() where i < perStep.count {
            for (k, step) in probe.steps.enumerated() where k < perStep[i].count {
                out.append((probeNames.count > 1 ? "probe:\(probe.name),step:\(step)" : "step:\(step)", perStep[i][k]))
            }
        }
        return out
    }

    var checkPasses: UInt64 { checks.reduce(0) { $0 + $1.passes } }
    var checkFails: UInt64 { checks.reduce(0) { $0 + $1.fails } }
}

/// k6's statistics of a trend, in milliseconds.
struct TrendStats {
    var avg = 0.0, min = 0.0, med = 0.0, max = 0.0, p90 = 0.0, p95 = 0.0, p99 = 0.0
    var count: UInt64 = 0

    init(_ h: LogLinearHistogram) {
        guard h.count > 0 else { return }
        count = h.count
        avg = (h.mean ?? 0) / 1000
        min = Double(h.min) / 1000
        max = Double(h.max) / 1000
        med = (h.quantile(0.5) ?? 0) / 1000
        p90 = (h.quantile(0.90) ?? 0) / 1000
        p95 = (h.quantile(0.95) ?? 0) / 1000
        p99 = (h.quantile(0.99) ?? 0) / 1000
    }

    /// In k6's order and spelling.
    var named: [(String, Double)] {
        [("avg", avg), ("min", min), ("med", med), ("max", max), ("p(90)", p90), ("p(95)", p95), ("p(99)", p99)]
    }
}
