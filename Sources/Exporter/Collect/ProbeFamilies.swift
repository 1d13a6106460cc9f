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
        // `result="failure"` sorts before `"success"`: kept apart and joined at the end, the
        // family is built in output order (no sort per scrape over thousands of targets).
        var iterationsSucceeded: [MetricSample] = []
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
                let lean = p.series == .lean
                for (rl, rs, step) in perRequest {
                    if lean {
                        leanRequestSeries(rl, rs, requests: &requests, failures: &failures, duration: &duration)
                        continue
                    }
                    for (code, n) in rs.requestsByCode.byCode where n > 0 {
                        requests.add(Double(n), labels: rl + [("code", String(code))])
                    }
                    for r in FailureReason.allCases where p.journey.exposes(r) {
                        failures.add(Double(rs.failuresByReason[Int(r.rawValue)]), labels: rl + [("reason", r.description)])
                    }
                    duration.addHistogram(labels: rl, upperBounds: buckets, bucketCounts: rs.durationBuckets.counts,
                                          sum: rs.durationBuckets.sumSeconds)
                    addDurationExtras(rl, rs, bounds: buckets, to: &duration)
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
                iterations.add(Double(st.iterationsFailed), labels: base + [("result", "failure")])
                iterationsSucceeded.append(MetricSample(labels: base + [("result", "success")], value: Double(st.iterationsSucceeded)))
                if st.lastFinishedAt > 0 {
                    success.add(st.lastSuccess ? 1 : 0, labels: base)
                }
                if st.lastSuccessAt > 0 {
                    let wall = wallNow - (Double(monoNow) - Double(st.lastSuccessAt)) / 1e9
                    lastSuccess.add((wall * 1000).rounded() / 1000, labels: base)
                }
                if let e = st.certExpiry, p.isHTTPS {
                    // One series per probe and label set (a probe's scenarios share it: the earliest wins).
                    let key = ([p.name] + p.labels.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1}")
                    if let prev = certExpiry[key], prev.0 <= e {} else {
                        certExpiry[key] = (e, labels([("probe", p.name)], p))
                    }
                }
                if lean {
                    leanWindow(base, p, memo: memo, availability: &winAvailability, latency: &winLatency)
                    continue
                }
                if p.journey.oauth2 {
                    let t = p.recorder.tokenFetchSnapshot()
                    tokens.add(Double(t.successes), labels: base + [("result", "success")])
                    for r in FailureReason.allCases where r != .capture && r != .bodyLimit {
                        tokens.add(Double(t.failures[Int(r.rawValue)]), labels: base + [("result", r.description)])
                    }
                }
                if s.openModel {
                    dropped.add(Double(st.droppedIterations), labels: base)
                    lag.addHistogram(labels: base, upperBounds: phaseBuckets, bucketCounts: st.startLagBuckets.counts,
                                     sum: st.startLagBuckets.sumSeconds)
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
        iterations.samples += iterationsSucceeded
        for (_, v) in certExpiry.sorted(by: { $0.key < $1.key }) { cert.add(v.0, labels: v.1) }
        return [requests, failures, duration, phases, tokens, iterations, checks, sent, received, dropped, lag, success,
                lastSuccess, cert, winLatency, winAvailability, winErrors, winRate, vus, vusMax]
    }

    // MARK: The lean profile (docs/metrics.md, "Series profiles")

    /// Bounds of the lean request-duration histogram, where the agent's buckets have them
    /// (0.2 and 0.5 always do).
    public static let leanBounds: Set<Double> = [0.1, 0.2, 0.5, 1, 2.5]

    /// Requests by status class (`code="2xx"`; requests without a response are only in the
    /// failures), failures only for the reasons that occurred, the duration histogram on the lean bounds.
    private func leanRequestSeries(_ rl: MetricLabels, _ rs: ProbeStats, requests: inout MetricFamily,
                                   failures: inout MetricFamily, duration: inout MetricFamily) {
        var classes = [UInt64](repeating: 0, count: 6)
        for (code, n) in rs.requestsByCode.byCode where code >= 100 {
            classes[code / 100] += n
        }
        for (c, n) in classes.enumerated() where c > 0 && n > 0 {
            requests.add(Double(n), labels: rl + [("code", "\(c)xx")])
        }
        for r in FailureReason.allCases where rs.failuresByReason[Int(r.rawValue)] > 0 {
            failures.add(Double(rs.failuresByReason[Int(r.rawValue)]), labels: rl + [("reason", r.description)])
        }
        let (bounds, counts) = Self.coarsen(bounds: buckets, counts: Array(rs.durationBuckets.counts), keep: Self.leanBounds)
        duration.addHistogram(labels: rl, upperBounds: bounds, bucketCounts: counts, sum: rs.durationBuckets.sumSeconds)
        addDurationExtras(rl, rs, bounds: bounds, to: &duration)
    }

    /// The request-duration series' native part and exemplars (docs/metrics.md, "Native
    /// histograms and exemplars"), on `bounds` (the agent's buckets, or the lean subset).
    private func addDurationExtras(_ rl: MetricLabels, _ rs: ProbeStats, bounds: [Double], to duration: inout MetricFamily) {
        guard rs.durationNative != nil || !rs.durationExemplars.isEmpty else { return }
        var exemplars: [MetricExemplar?] = []
        if !rs.durationExemplars.isEmpty {
            exemplars = Array(repeating: nil, count: bounds.count + 1)
            for (i, e) in rs.durationExemplars.enumerated() {
                guard let e else { continue }
                // The bucket of `bounds` that holds the agent's bucket i (the same one unless lean).
                let le = i < buckets.count ? buckets[i] : .infinity
                let k = bounds.firstIndex { $0 >= le } ?? bounds.count
                if let kept = exemplars[k], kept.timestamp ?? 0 >= e.unixSeconds { continue }
                exemplars[k] = MetricExemplar(labels: [("trace_id", e.trace.hex)], value: e.seconds, timestamp: e.unixSeconds)
            }
        }
        duration.histogramExtras.append(HistogramExtras(labels: rl, native: rs.durationNative, exemplars: exemplars))
    }

    /// One window (`5m` when the agent has it, else its shortest): availability and the latency quantiles.
    private func leanWindow(_ base: MetricLabels, _ p: ProbeSource, memo: WindowSnapshotMemo,
                            availability: inout MetricFamily, latency: inout MetricFamily) {
        // A lean recorder with its one window is read once per scrape: no memo entry for it.
        let windows = p.recorder.windowSpecs.count == 1 ? p.recorder.windowSnapshots(now: memo.now) : memo.snapshots(p.recorder)
        guard let spec = Self.leanWindow(of: windows.map(\.spec)), let w = windows.first(where: { $0.spec == spec }) else { return }
        let wl = base + [("window", w.spec.name)]
        if let a = w.availability { availability.add(a, labels: wl) }
        if p.journey.steps.isEmpty, w.data.latency.count > 0 {
            latency.addSummary(labels: wl, quantiles: quantiles.map { ($0, w.latency(quantile: $0)!) })
        }
    }

    /// The window a lean probe exposes: `5m` when there is one, else the first.
    public static func leanWindow(of windows: [WindowSpec]) -> WindowSpec? {
        windows.first(where: { $0.name == "5m" }) ?? windows.first
    }

    /// Per-bucket `counts` (one more than `bounds`: the overflow) merged onto the bounds in
    /// `keep`: exact, each kept bucket summing the ones up to it.
    static func coarsen(bounds: [Double], counts: [UInt64], keep: Set<Double>) -> ([Double], [UInt64]) {
        var outBounds: [Double] = [], outCounts: [UInt64] = []
        var running: UInt64 = 0
        for (i, b) in bounds.enumerated() {
            running &+= counts[i]
            if keep.contains(b) {
                outBounds.append(b)
                outCounts.append(running)
                running = 0
            }
        }
        outCounts.append(running &+ counts[bounds.count])
        return (outBounds, outCounts)
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
    // Keep probe/scenario first; the specific label (code, reason, ...) goes right after them.
    // Built in one allocation: a fleet's scrape makes one such list per series.
    let insertAt = min(2, lhs.count)
    var out: MetricLabels = []
    out.reserveCapacity(lhs.count + rhs.count)
    out.append(contentsOf: lhs[..<insertAt])
    for (name, value) in rhs { out.append((name: name, value: value)) }
    out.append(contentsOf: lhs[insertAt...])
    return out
}
