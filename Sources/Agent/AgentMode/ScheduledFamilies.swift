import Exporter

/// The families of scheduled windows (SPEC §3): last run, skipped runs, soak degradation
/// and breakpoint capacity, kept after a window ends until the next one.
enum ScheduledFamilies {
    static func collect(_ scheduled: [ScheduledScenario], agentLabels: [(String, String)]) -> [MetricFamily] {
        let base: MetricLabels = agentLabels.map { (name: $0.0, value: $0.1) }
        var lastAt = MetricFamily(name: "kalm_scenario_last_run_timestamp_seconds", help: "Unix time the scenario's last scheduled window ended.", type: .gauge, unit: "seconds")
        var lastPassed = MetricFamily(name: "kalm_scenario_last_run_passed", help: "Whether every threshold that applies to the scenario held over its last window.", type: .gauge)
        var skipped = MetricFamily(name: "kalm_scenario_skipped_runs_total", help: "Firings skipped because the previous window was still running.", type: .counter)
        var drift = MetricFamily(name: "kalm_soak_latency_drift_ratio", help: "A latency stat over the last 10% of the steady state divided by the same over the first 10%.", type: .gauge, unit: "ratio")
        var slope = MetricFamily(name: "kalm_soak_latency_slope_seconds_per_hour", help: "Least-squares slope of a latency stat per slot over the steady state.", type: .gauge)
        var errors = MetricFamily(name: "kalm_soak_error_ratio", help: "Failed requests / requests over the steady state.", type: .gauge, unit: "ratio")
        var windowStart = MetricFamily(name: "kalm_soak_window_start_timestamp_seconds", help: "Unix time the last soak window's steady state started.", type: .gauge, unit: "seconds")
        var windowEnd = MetricFamily(name: "kalm_soak_window_end_timestamp_seconds", help: "Unix time the last soak window's steady state ended.", type: .gauge, unit: "seconds")
        var capacity = MetricFamily(name: "kalm_capacity_requests_per_second", help: "Successful requests per second at the last passing evaluation of a breakpoint run.", type: .gauge)
        for s in scheduled {
            let snap = s.snapshot
            let sl: MetricLabels = [(name: "scenario", value: s.name)] + base
            skipped.add(Double(snap.skipped), labels: sl)
            guard let last = snap.last else { continue }
            lastAt.add(last.endedAt, labels: sl)
            lastPassed.add(last.passed ? 1 : 0, labels: sl)
            let probes = snap.config.spec.probes
            if let soak = last.soak, let first = soak.first {
                windowStart.add(first.windowStart, labels: sl)
                windowEnd.add(first.windowEnd, labels: sl)
                for (i, p) in probes.enumerated() where i < soak.count {
                    let pl: MetricLabels = [(name: "probe", value: p.name), (name: "scenario", value: s.name)]
                        + p.labels.map { (name: $0.0, value: $0.1) } + base
                    for (stat, _) in SoakTracker.stats {
                        if let d = soak[i].drift[stat] { drift.add(d, labels: pl + [(name: "stat", value: stat)]) }
                        if let k = soak[i].slope[stat] { slope.add(k, labels: pl + [(name: "stat", value: stat)]) }
                    }
                    if let e = soak[i].errorRatio { errors.add(e, labels: pl) }
                }
            }
            if let cap = last.capacity {
                for (i, p) in probes.enumerated() where i < cap.count {
                    capacity.add(cap[i], labels: [(name: "probe", value: p.name), (name: "scenario", value: s.name)]
                                     + p.labels.map { (name: $0.0, value: $0.1) } + base)
                }
            }
        }
        return [lastAt, lastPassed, skipped, drift, slope, errors, windowStart, windowEnd, capacity]
    }
}
