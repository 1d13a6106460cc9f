import Exporter
import Measurements

/// The families of scheduled windows (docs/metrics.md): last run, skipped runs, soak degradation
/// and breakpoint capacity, kept after a window ends until the next one.
enum ScheduledFamilies {
    static func collect(_ scheduled: [ScheduledScenario], agentLabels: [(String, String)]) -> [MetricFamily] {
        let base: MetricLabels = agentLabels.map { (name: $0.0, value: $0.1) }
        var lastAt = MetricFamily(MetricCatalogue.lastRunAt)
        var lastPassed = MetricFamily(MetricCatalogue.lastRunPassed)
        var skipped = MetricFamily(MetricCatalogue.skippedRuns)
        var drift = MetricFamily(MetricCatalogue.soakDrift)
        var slope = MetricFamily(MetricCatalogue.soakSlope)
        var errors = MetricFamily(MetricCatalogue.soakErrors)
        var windowStart = MetricFamily(MetricCatalogue.soakWindowStart)
        var windowEnd = MetricFamily(MetricCatalogue.soakWindowEnd)
        var capacity = MetricFamily(MetricCatalogue.capacity)
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
                    let own: MetricLabels = p.labels.map { (name: $0.0, value: $0.1) } + base
                    let pl: MetricLabels = [(name: "probe", value: p.name), (name: "scenario", value: s.name)] + own
                    for (stat, _) in SoakTracker.stats {
                        // The family's own label follows probe and scenario, as on every probe family.
                        let sl: MetricLabels = [(name: "probe", value: p.name), (name: "scenario", value: s.name),
                                                (name: "stat", value: stat)] + own
                        if let d = soak[i].drift[stat] { drift.add(d, labels: sl) }
                        if let k = soak[i].slope[stat] { slope.add(k, labels: sl) }
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
