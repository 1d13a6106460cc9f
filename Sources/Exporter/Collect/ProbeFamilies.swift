import Measurements
import Probes

/// Builds the probe families of docs/metrics.md (cumulative, last result, windows) from recorders.
public struct ProbeFamilies: Sendable {
    /// The agent's labels (`agent.labels`), appended to every series.
    public var agentLabels: [(String, String)]
    /// Upper bounds of the request duration histogram buckets, in seconds.
    public var buckets: [Double]
    /// Upper bounds of the phase and start-lag histogram buckets, in seconds.
    public var phaseBuckets: [Double]
    /// The quantiles of the window latency summary (0.5 for the median).
    public var quantiles: [Double]

    /// A builder with the given agent labels, histogram buckets and summary quantiles.
    public init(agentLabels: [(String, String)], buckets: [Double], phaseBuckets: [Double], quantiles: [Double]) {
        self.agentLabels = agentLabels
        self.buckets = buckets
        self.phaseBuckets = phaseBuckets
        self.quantiles = quantiles
    }

    /// Every probe family for `scenarios`, as of `memo.now` (monotonic ns).
    public func collect(_ scenarios: [ScenarioSource], windows memo: WindowSnapshotMemo) -> [MetricFamily] {
        var requests = MetricFamily(MetricCatalogue.requests)
        var failures = MetricFamily(MetricCatalogue.failures)
        var duration = MetricFamily(MetricCatalogue.duration)
        var phases = MetricFamily(MetricCatalogue.phases)
        var tokens = MetricFamily(MetricCatalogue.tokenFetches)
        var iterations = MetricFamily(MetricCatalogue.iterations)
        var checks = MetricFamily(MetricCatalogue.checks)
        var sent = MetricFamily(MetricCatalogue.dataSent)
        var received = MetricFamily(MetricCatalogue.dataReceived)
        var dropped = MetricFamily(MetricCatalogue.droppedIterations)
        var lag = MetricFamily(MetricCatalogue.startLag)
        var success = MetricFamily(MetricCatalogue.probeSuccess)
        var lastSuccess = MetricFamily(MetricCatalogue.lastSuccess)
        var cert = MetricFamily(MetricCatalogue.certExpiry)
        var winLatency = MetricFamily(MetricCatalogue.windowLatency)
        var winAvailability = MetricFamily(MetricCatalogue.windowAvailability)
        var winErrors = MetricFamily(MetricCatalogue.windowErrors)
        var winRate = MetricFamily(MetricCatalogue.windowRate)
        var vus = MetricFamily(MetricCatalogue.vus)
        var vusMax = MetricFamily(MetricCatalogue.vusMax)

        let monoNow = memo.now
        let wallNow = MonotonicClock.wallSeconds()
        var certExpiry: [String: (Double, [(String, String)])] = [:]
        for s in scenarios {
            for (pi, p) in s.probes.enumerated() {
                let st = p.recorder.snapshot()
                let base = labels([("probe", p.name), ("scenario", s.name)], p)
                // Request-level series: per step for a journey (a `step` label after the family's own labels).
                let steps = p.journey.steps
                let stepStats = steps.isEmpty ? [] : p.recorder.stepSnapshots()
                let perRequest: [(MetricLabels, ProbeStats, Int?)] = steps.isEmpty
                    ? [(base, st, nil)]
                    : zip(steps, stepStats).enumerated().map { k, e in (stepLabels(base, e.0), e.1, k) }
                for (rl, rs, step) in perRequest {
                    for code in 0..<rs.requestsByCode.count where rs.requestsByCode[code] > 0 {
                        requests.add(Double(rs.requestsByCode[code]), labels: rl + [("code", String(code))])
                    }
                    for r in FailureReason.allCases where p.journey.exposes(r) {
                        failures.add(Double(rs.failuresByReason[Int(r.rawValue)]), labels: rl + [("reason", r.description)])
                    }
                    duration.addHistogram(labels: rl, upperBounds: buckets, bucketCounts: rs.durationBuckets.counts,
                                          sum: rs.durationBuckets.sumSeconds)
                    for ph in Phase.allCases {
                        let h = rs.phaseBuckets[ph.rawValue]
                        phases.addHistogram(labels: rl + [("phase", ph.label)], upperBounds: phaseBuckets,
                                            bucketCounts: h.counts, sum: h.sumSeconds)
                    }
                    for (i, name) in p.checkNames.enumerated() where i < rs.checkPasses.count {
                        if let step, i < p.journey.checkSteps.count, p.journey.checkSteps[i] != step { continue }
                        checks.add(Double(rs.checkPasses[i]), labels: rl + [("check", name), ("result", "pass")])
                        checks.add(Double(rs.checkFails[i]), labels: rl + [("check", name), ("result", "fail")])
                    }
                    sent.add(Double(rs.bytesSent), labels: rl)
                    received.add(Double(rs.bytesReceived), labels: rl)
                }
                if p.journey.oauth2 {
                    let t = p.recorder.tokenFetchSnapshot()
                    tokens.add(Double(t.successes), labels: base + [("result", "success")])
                    for r in FailureReason.allCases where r != .capture && r != .bodyLimit {
                        tokens.add(Double(t.failures[Int(r.rawValue)]), labels: base + [("result", r.description)])
                    }
                }
                iterations.add(Double(st.iterationsSucceeded), labels: base + [("result", "success")])
                iterations.add(Double(st.iterationsFailed), labels: base + [("result", "failure")])
                if s.openModel {
                    dropped.add(Double(st.droppedIterations), labels: base)
                    lag.addHistogram(labels: base, upperBounds: phaseBuckets, bucketCounts: st.startLagBuckets.counts,
                                     sum: st.startLagBuckets.sumSeconds)
                }
                if st.lastFinishedAt > 0 {
                    success.add(st.lastSuccess ? 1 : 0, labels: base)
                }
                if st.lastSuccessAt > 0 {
                    let wall = wallNow - (Double(monoNow) - Double(st.lastSuccessAt)) / 1e9
                    lastSuccess.add((wall * 1000).rounded() / 1000, labels: base)
                }
                if let e = st.certExpiry, p.isHTTPS {
                    if let prev = certExpiry[p.name], prev.0 <= e {} else {
                        certExpiry[p.name] = (e, labels([("probe", p.name)], p))
                    }
                }
                for w in memo.snapshots(p.recorder) {
                    let wl = base + [("window", w.spec.name)]
                    if let a = w.availability { winAvailability.add(a, labels: wl) }
                    guard steps.isEmpty else { continue }
                    if w.data.latency.count > 0 {
                        winLatency.addSummary(labels: wl, quantiles: quantiles.map { ($0, w.latency(quantile: $0)!) })
                    }
                    if let e = w.errorRatio { winErrors.add(e, labels: wl) }
                    if let r = w.requestsPerSecond { winRate.add(r, labels: wl) }
                }
                if !steps.isEmpty {
                    for (k, windows) in p.recorder.stepWindowSnapshots(now: monoNow).enumerated() where k < steps.count {
                        for w in windows {
                            let wl = stepLabels(base, steps[k]) + [("window", w.spec.name)]
                            if w.data.latency.count > 0 {
                                winLatency.addSummary(labels: wl, quantiles: quantiles.map { ($0, w.latency(quantile: $0)!) })
                            }
                            if let e = w.errorRatio { winErrors.add(e, labels: wl) }
                            if let r = w.requestsPerSecond { winRate.add(r, labels: wl) }
                        }
                    }
                }
                if let active = s.activeVUs, pi < active.count {
                    vus.add(Double(active[pi]), labels: base)
                    vusMax.add(Double(s.maxVUs), labels: base)
                }
            }
        }
        for (_, v) in certExpiry.sorted(by: { $0.key < $1.key }) { cert.add(v.0, labels: v.1) }
        return [requests, failures, duration, phases, tokens, iterations, checks, sent, received, dropped, lag, success,
                lastSuccess, cert, winLatency, winAvailability, winErrors, winRate, vus, vusMax]
    }

    /// `base` with `step` right after `probe` and `scenario` (a family's own labels, added with `+`, go before it).
    private func stepLabels(_ base: MetricLabels, _ step: String) -> MetricLabels {
        var out = base
        out.insert((name: "step", value: step), at: min(2, out.count))
        return out
    }

    /// `fixed` labels, then the probe's own, then the agent's.
    private func labels(_ fixed: [(String, String)], _ p: ProbeSource) -> MetricLabels {
        var out: MetricLabels = fixed.map { (name: $0.0, value: $0.1) }
        for (k, v) in p.labels { out.append((name: k, value: v)) }
        for (k, v) in agentLabels { out.append((name: k, value: v)) }
        return out
    }
}

/// `+` for label lists: fixed labels first so `probe` and `scenario` lead.
func + (lhs: MetricLabels, rhs: [(String, String)]) -> MetricLabels {
    var out = lhs
    // Keep probe/scenario first; the specific label (code, reason, ...) goes right after them.
    let insertAt = min(2, out.count)
    out.insert(contentsOf: rhs.map { (name: $0.0, value: $0.1) }, at: insertAt)
    return out
}
