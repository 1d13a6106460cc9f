import Dispatch
import Exporter
import Foundation
import Logging
import Probes

/// Runs one scenario to completion for `kalm run`: the engine, the signal handling
/// (first SIGINT/SIGTERM: graceful stop and exit 105; second: immediate exit), and the
/// once-a-second VU sampling the summary's `vus` gauge needs.
final class RunController {
    let scenario: ScenarioSpec
    let threads: Int
    let layout: StatsLayout
    let logger: Logger

    init(scenario: ScenarioSpec, threads: Int, layout: StatsLayout, logger: Logger) {
        self.scenario = scenario
        self.threads = threads
        self.layout = layout
        self.logger = logger
    }

    /// What a finished run produced.
    struct Outcome {
        var stats: [ProbeStats]
        var elapsedSeconds: Double
        var vus: GaugeStats
        var vusMax: Int
        var aborted: Bool
        /// The abortOnFail threshold that stopped the run early.
        var abortedBy: ThresholdResult?
        var breakpoint: BreakpointResult?
        var soak: [SoakReport]?
    }

    /// A breakpoint run's finding: the successful requests per second per probe at the last
    /// evaluation where every `abort_on` threshold held over the last 10 s.
    struct BreakpointResult {
        var capacity: [Double]
        var lastPassingAt: Double?
        var stoppedBy: ThresholdResult?
        var stoppedAt: Double?
    }

    /// The window `kalm run` keeps for "now" figures (progress line, breakpoint).
    static let recentWindow = WindowSpec(name: "10s", seconds: 10)

    /// - Parameters:
    ///   - breakpoint: thresholds evaluated every second over the last 10 s; the first failure stops the run.
    ///   - soak: the steady state to track degradation over.
    func run(thresholds: RunThresholds, progress: ProgressReporter?, breakpoint: [Threshold]? = nil,
             soak: SteadyState? = nil) throws -> Outcome {
        let sink = RecorderSink(scenario.probes.map {
            ProbeRecorder(checkCount: $0.checks.count, layout: layout, windows: [Self.recentWindow])
        })
        let tracker = soak.map { SoakTracker(steady: $0, probes: scenario.probes.count, forwardingTo: sink) }
        let engineSink: ResultSink = tracker ?? sink
        let engine = try Engine(scenario: scenario, threads: threads) { _ in engineSink }
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM]) { count in
            if count == 1 {
                FileHandle.standardError.write("\nstopping: waiting for in-flight requests (signal again to quit now)\n".data(using: .utf8)!)
                engine.requestStop()
            } else {
                exit(KalmExit.aborted)
            }
        }
        defer { signals.cancel() }
        logger.debug("engine starting", metadata: ["scenario": .string(scenario.name), "threads": .stringConvertible(engine.threadCount),
                                                   "libcurl": .string(Engine.curlVersion)])
        engine.start(willStart: { t0 in tracker?.begin(at: t0) })
        var vus = GaugeStats()
        var bp = breakpoint.map { _ in BreakpointResult(capacity: Array(repeating: 0, count: scenario.probes.count)) }
        var successHistory: [(Double, [UInt64])] = []
        var abortedBy: ThresholdResult?
        let executorEnd = scenario.executor.duration
        let probes = scenario.probes.map { ThresholdProbe(name: $0.name, checkNames: $0.checks.map(\.name)) }
        let vusMax = scenario.executor.maxVUs * scenario.probes.count
        while !engine.wait(timeout: 1.0) {
            let elapsed = Double(MonotonicClock.now() - engine.startedAt) / 1e9
            let active = engine.activeVUs().reduce(0, +)
            // Samples after the executor's end (graceful stop) would only show the wind-down.
            if elapsed < executorEnd, signals.fired == 0 { vus.observe(Double(active)) }
            let stats = sink.snapshots()
            if let progress {
                let now = MonotonicClock.now()
                progress.tick(elapsed: elapsed, stats: stats, recent: sink.recorders.compactMap { $0.windowSnapshots(now: now).first },
                              vus: active)
            }
            if let bpThresholds = breakpoint, bp?.stoppedBy == nil {
                // Successful requests per second over the last ~2 s: the rate reached now.
                successHistory.append((elapsed, stats.map { $0.requests - $0.failedRequests }))
                if successHistory.count > 3 { successHistory.removeFirst() }
                let now = MonotonicClock.now()
                let recent = sink.recorders.map { $0.windowSnapshots(now: now)[0] }
                let data = WindowThresholdData(scenario: scenario.name, probes: probes, windows: recent,
                                               activeVUs: Double(active), maxVUs: Double(vusMax))
                let failing = bpThresholds.lazy.compactMap { $0.evaluate(data) }.first { !$0.ok }
                if let failing {
                    bp!.stoppedBy = failing
                    bp!.stoppedAt = elapsed
                    logger.info("breakpoint reached: stopping", metadata: ["metric": .string(failing.threshold.key),
                                                                          "threshold": .string(failing.threshold.source),
                                                                          "observed": .string(failing.observedText)])
                    engine.requestStop(grace: 0)
                } else if let first = successHistory.first, let last = successHistory.last, last.0 > first.0 {
                    bp!.capacity = zip(first.1, last.1).map { Double($1 - $0) / (last.0 - first.0) }
                    bp!.lastPassingAt = elapsed
                }
            }
            if abortedBy == nil, !thresholds.abortOnFail.isEmpty {
                let data = RunThresholdData(scenario: scenario.name, probes: probes, stats: stats, elapsedSeconds: elapsed,
                                            vus: Double(active), vusMax: Double(vusMax))
                if let hit = thresholds.abortTrigger(data, elapsed: elapsed) {
                    abortedBy = hit
                    logger.warning("threshold failed with abortOnFail: stopping the run",
                                   metadata: ["metric": .string(hit.threshold.key), "threshold": .string(hit.threshold.source),
                                              "observed": .string(hit.observedText)])
                    engine.requestStop(grace: 0)
                }
            }
        }
        progress?.finish()
        let elapsed = Double(MonotonicClock.now() - engine.startedAt) / 1e9
        if vus.samples == 0 { vus.observe(Double(vusMax)) }
        return Outcome(stats: sink.snapshots(), elapsedSeconds: elapsed, vus: vus, vusMax: vusMax,
                       aborted: signals.fired > 0, abortedBy: abortedBy, breakpoint: bp, soak: tracker?.reports())
    }
}

/// A gauge's last, min and max value (k6's `vus`).
struct GaugeStats {
    var value: Double = 0
    var min: Double = .infinity
    var max: Double = -.infinity
    var samples = 0

    mutating func observe(_ v: Double) {
        value = v
        samples += 1
        min = Swift.min(min, v)
        max = Swift.max(max, v)
    }
}
