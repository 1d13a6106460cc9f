import Exporter
import KalmSupport
import Logging
import Measurements
import Probes

/// A breakpoint run's finding: the successful requests per second per probe at the last
/// evaluation where every `abort_on` threshold held over the last 10 s.
struct BreakpointResult {
    var capacity: [Double]
    var lastPassingAt: Double?
    var stoppedBy: ThresholdResult?
    var stoppedAt: Double?
}

/// Watches a running scenario once a second: abortOnFail thresholds over the run so far
/// (after their delay), and breakpoint thresholds over the last 10 s. Used by `kalm run`
/// and by the agent's scheduled windows. `tick` is called by one watcher at a time; the
/// findings are read by others (the summary, the agent's metrics), hence the mutex.
final class RunMonitor: Sendable {
    private struct Findings {
        var abortedBy: ThresholdResult?
        var breakpoint: BreakpointResult?
        /// (elapsed seconds, successful requests per probe) of the last few ticks.
        var successHistory: [(Double, [UInt64])] = []
    }

    let scenario: ScenarioSpec
    let thresholds: RunThresholds
    let breakpoint: [Threshold]?
    /// The run's own recorders, with the 10 s window breakpoint evaluation reads.
    let sink: RecorderSink
    let logger: Logger
    private let findings: Locked<Findings>
    private let probes: [ThresholdProbe]
    private let vusMax: Int

    /// The window `kalm run` and scheduled runs keep for "now" figures.
    static let recentWindow = WindowSpec(name: "10s", seconds: 10)

    init(scenario: ScenarioSpec, thresholds: RunThresholds, breakpoint: [Threshold]?, sink: RecorderSink, logger: Logger) {
        self.scenario = scenario
        self.thresholds = thresholds
        self.breakpoint = breakpoint
        self.sink = sink
        self.logger = logger
        probes = scenario.probes.map { ThresholdProbe($0) }
        vusMax = scenario.maxVUsPerProbe * scenario.probes.count
        findings = Locked(Findings(breakpoint: breakpoint.map { _ in
            BreakpointResult(capacity: Array(repeating: 0, count: scenario.probes.count))
        }))
    }

    /// The abortOnFail threshold that stopped the run, if one did.
    var abortedBy: ThresholdResult? { findings.withLock { $0.abortedBy } }
    /// A breakpoint run's finding so far; nil when the run is not a breakpoint run.
    var bp: BreakpointResult? { findings.withLock { $0.breakpoint } }

    /// Evaluates; true when the run must stop now (a threshold failed).
    func tick(elapsed: Double, active: Int, stats: [ProbeStats], windows memo: WindowSnapshotMemo) -> Bool {
        findings.withLock { tick(&$0, elapsed: elapsed, active: active, stats: stats, windows: memo) }
    }

    private func tick(_ f: inout Findings, elapsed: Double, active: Int, stats: [ProbeStats],
                      windows memo: WindowSnapshotMemo) -> Bool {
        var stop = false
        if let bpThresholds = breakpoint, f.breakpoint?.stoppedBy == nil {
            // Successful requests per second over the last ~2 s: the rate reached now.
            f.successHistory.append((elapsed, stats.map { $0.requests - $0.failedRequests }))
            if f.successHistory.count > 3 { f.successHistory.removeFirst() }
            let recent = sink.recorders.map { memo.snapshots($0)[0] }
            let stepRecent = sink.recorders.map { $0.stepWindowSnapshots(now: memo.now).map { $0[0] } }
            let data = WindowThresholdData(scenario: scenario.name, probes: probes, windows: recent, stepWindows: stepRecent,
                                           activeVUs: Double(active), maxVUs: Double(vusMax))
            if let failing = bpThresholds.lazy.compactMap({ $0.evaluate(data) }).first(where: { !$0.ok }) {
                f.breakpoint?.stoppedBy = failing
                f.breakpoint?.stoppedAt = elapsed
                logger.info("breakpoint reached: stopping", metadata: [
                    "scenario": .string(scenario.name), "metric": .string(failing.threshold.key),
                    "threshold": .string(failing.threshold.source), "observed": .string(failing.observedText)])
                stop = true
            } else if let first = f.successHistory.first, let last = f.successHistory.last, last.0 > first.0 {
                f.breakpoint?.capacity = zip(first.1, last.1).map { Double($1 - $0) / (last.0 - first.0) }
                f.breakpoint?.lastPassingAt = elapsed
            }
        }
        if f.abortedBy == nil, !thresholds.abortOnFail.isEmpty {
            let data = RunThresholdData(scenario: scenario.name, probes: probes, stats: stats,
                                        stepStats: sink.recorders.map { $0.stepSnapshots() }, elapsedSeconds: elapsed,
                                        vus: Double(active), vusMax: Double(vusMax))
            if let hit = thresholds.abortTrigger(data, elapsed: elapsed) {
                f.abortedBy = hit
                logger.warning("threshold failed with abortOnFail: stopping the run", metadata: [
                    "scenario": .string(scenario.name), "metric": .string(hit.threshold.key),
                    "threshold": .string(hit.threshold.source), "observed": .string(hit.observedText)])
                stop = true
            }
        }
        return stop
    }

    /// Every threshold over the whole run (k6's zero for metrics without samples); an
    /// abortOnFail verdict taken when the run stopped stands.
    func finalResults(stats: [ProbeStats], elapsed: Double, vus: Double) -> [ThresholdResult] {
        let data = RunThresholdData(scenario: scenario.name, probes: probes, stats: stats,
                                        stepStats: sink.recorders.map { $0.stepSnapshots() }, elapsedSeconds: elapsed,
                                    vus: vus, vusMax: Double(vusMax))
        var results = thresholds.evaluate(data)
        if let hit = abortedBy, let i = results.firstIndex(where: { $0.threshold == hit.threshold }), results[i].ok {
            results[i] = hit
        }
        return results
    }

    /// Whether the run passed: every threshold held, nothing stopped it early.
    func passed(_ results: [ThresholdResult]) -> Bool {
        results.allSatisfy(\.ok) && abortedBy == nil && bp?.stoppedBy == nil
    }

    /// The thresholds a breakpoint run stops on: `abort_on` (names or keys) or every one;
    /// nil when the run is not a breakpoint run. Throws when there is nothing to stop on.
    static func breakpointThresholds(isBreakpoint: Bool, abortOn: [String]?, thresholds: RunThresholds) throws -> [Threshold]? {
        guard isBreakpoint || abortOn != nil else { return nil }
        var chosen = thresholds.all
        if let names = abortOn {
            chosen = chosen.filter { t in names.contains(t.key) || names.contains(t.metric.name) }
        }
        guard !chosen.isEmpty else {
            throw UsageError(.conflictingFlags, "a breakpoint run stops when a threshold fails, and this one has none: add e.g. thresholds: {http_req_failed: [\"rate<0.01\"], http_req_duration: [\"p(95)<500\"]}")
        }
        return chosen
    }
}

/// Forwards every result to several sinks (a scheduled window's long-lived recorders and its own).
final class TeeSink: ResultSink {
    let sinks: [ResultSink]
    init(_ sinks: [ResultSink]) { self.sinks = sinks }
    func record(_ r: RequestResult) { for s in sinks { s.record(r) } }
    func recordIteration(probe: Int, duration: Duration) { for s in sinks { s.recordIteration(probe: probe, duration: duration) } }
    func recordDroppedIteration(probe: Int) { for s in sinks { s.recordDroppedIteration(probe: probe) } }
    func recordStartLag(probe: Int, lag: Duration) { for s in sinks { s.recordStartLag(probe: probe, lag: lag) } }
    func recordCertificateExpiry(probe: Int, unixSeconds: Double) { for s in sinks { s.recordCertificateExpiry(probe: probe, unixSeconds: unixSeconds) } }
    func recordTokenFetch(probe: Int, failure: FailureReason?, duration: Duration) { for s in sinks { s.recordTokenFetch(probe: probe, failure: failure, duration: duration) } }
}
