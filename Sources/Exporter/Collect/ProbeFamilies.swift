import Probes

/// Builds the probe families of SPEC §3 (cumulative, last result, windows) from recorders.
public struct ProbeFamilies {
    public var agentLabels: [(String, String)]
    public var buckets: [Double]
    public var phaseBuckets: [Double]
    public var quantiles: [Double]

    public init(agentLabels: [(String, String)], buckets: [Double], phaseBuckets: [Double], quantiles: [Double]) {
        self.agentLabels = agentLabels
        self.buckets = buckets
        self.phaseBuckets = phaseBuckets
        self.quantiles = quantiles
    }

    /// Every probe family for `scenarios`, as of `memo.now` (monotonic ns).
    public func collect(_ scenarios: [ScenarioSource], windows memo: WindowSnapshotMemo) -> [MetricFamily] {
        var requests = MetricFamily(name: "kalm_http_requests_total", help: "HTTP requests made, by status code (0: no response).", type: .counter)
        var failures = MetricFamily(name: "kalm_http_request_failures_total", help: "Failed HTTP requests by reason: dns, connect, tls, timeout, status, body_limit, other.", type: .counter)
        var duration = MetricFamily(name: "kalm_http_request_duration_seconds", help: "Request duration (send + wait + receive, k6 http_req_duration) of responses with an expected status.", type: .histogram, unit: "seconds")
        var phases = MetricFamily(name: "kalm_http_request_phase_seconds", help: "Time spent in each phase of a request: dns, connect, tls, send, wait (time to first byte), receive.", type: .histogram, unit: "seconds")
        var iterations = MetricFamily(name: "kalm_iterations_total", help: "Iterations (one request, its checks, the think time) by result.", type: .counter)
        var checks = MetricFamily(name: "kalm_checks_total", help: "Check outcomes by check and result.", type: .counter)
        var sent = MetricFamily(name: "kalm_data_sent_bytes_total", help: "Bytes sent, headers included.", type: .counter, unit: "bytes")
        var received = MetricFamily(name: "kalm_data_received_bytes_total", help: "Bytes received, headers included.", type: .counter, unit: "bytes")
        var dropped = MetricFamily(name: "kalm_dropped_iterations_total", help: "Arrival-rate iterations that could not start because no VU was free.", type: .counter)
        var lag = MetricFamily(name: "kalm_iteration_start_lag_seconds", help: "How late arrival-rate iterations started against their schedule.", type: .histogram, unit: "seconds")
        var success = MetricFamily(name: "kalm_probe_success", help: "Whether the last iteration succeeded (1) or failed (0).", type: .gauge)
        var lastSuccess = MetricFamily(name: "kalm_probe_last_success_timestamp_seconds", help: "Unix time of the last successful iteration.", type: .gauge, unit: "seconds")
        var cert = MetricFamily(name: "kalm_tls_cert_expiry_timestamp_seconds", help: "Earliest certificate expiry in the chain an HTTPS probe last saw, Unix time.", type: .gauge, unit: "seconds")
        var winLatency = MetricFamily(name: "kalm_window_latency_seconds", help: "Latency quantiles of answered requests over each rolling window.", type: .summary, unit: "seconds")
        var winAvailability = MetricFamily(name: "kalm_window_availability_ratio", help: "Successful iterations / iterations over each rolling window.", type: .gauge, unit: "ratio")
        var winErrors = MetricFamily(name: "kalm_window_error_ratio", help: "Failed requests / requests over each rolling window.", type: .gauge, unit: "ratio")
        var winRate = MetricFamily(name: "kalm_window_requests_per_second", help: "Requests per second over each rolling window.", type: .gauge)
        var vus = MetricFamily(name: "kalm_vus", help: "VUs running now, per probe.", type: .gauge)
        var vusMax = MetricFamily(name: "kalm_vus_max", help: "The most VUs the scenario's executor may use, per probe.", type: .gauge)

        let monoNow = memo.now
        let wallNow = MonotonicClock.wallSeconds()
        var certExpiry: [String: (Double, [(String, String)])] = [:]
        for s in scenarios {
            for (pi, p) in s.probes.enumerated() {
                let st = p.recorder.snapshot()
                let base = labels([("probe", p.name), ("scenario", s.name)], p)
                for code in 0..<st.requestsByCode.count where st.requestsByCode[code] > 0 {
                    requests.add(Double(st.requestsByCode[code]), labels: base + [("code", String(code))])
                }
                for r in FailureReason.allCases {
                    failures.add(Double(st.failuresByReason[Int(r.rawValue)]), labels: base + [("reason", r.description)])
                }
                duration.addHistogram(labels: base, upperBounds: buckets, bucketCounts: st.durationBuckets.counts,
                                      sum: st.durationBuckets.sumSeconds)
                for ph in Phase.allCases {
                    let h = st.phaseBuckets[ph.rawValue]
                    phases.addHistogram(labels: base + [("phase", ph.label)], upperBounds: phaseBuckets,
                                        bucketCounts: h.counts, sum: h.sumSeconds)
                }
                iterations.add(Double(st.iterationsSucceeded), labels: base + [("result", "success")])
                iterations.add(Double(st.iterationsFailed), labels: base + [("result", "failure")])
                for (i, name) in p.checkNames.enumerated() where i < st.checkPasses.count {
                    checks.add(Double(st.checkPasses[i]), labels: base + [("check", name), ("result", "pass")])
                    checks.add(Double(st.checkFails[i]), labels: base + [("check", name), ("result", "fail")])
                }
                sent.add(Double(st.bytesSent), labels: base)
                received.add(Double(st.bytesReceived), labels: base)
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
                    if w.data.latency.count > 0 {
                        winLatency.addSummary(labels: wl, quantiles: quantiles.map { ($0, w.latency(quantile: $0)!) })
                    }
                    if let a = w.availability { winAvailability.add(a, labels: wl) }
                    if let e = w.errorRatio { winErrors.add(e, labels: wl) }
                    if let r = w.requestsPerSecond { winRate.add(r, labels: wl) }
                }
                if let active = s.activeVUs, pi < active.count {
                    vus.add(Double(active[pi]), labels: base)
                    vusMax.add(Double(s.maxVUs), labels: base)
                }
            }
        }
        for (_, v) in certExpiry.sorted(by: { $0.key < $1.key }) { cert.add(v.0, labels: v.1) }
        return [requests, failures, duration, phases, iterations, checks, sent, received, dropped, lag, success,
                lastSuccess, cert, winLatency, winAvailability, winErrors, winRate, vus, vusMax]
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
