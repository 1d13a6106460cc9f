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
    }

    /// The window `kalm run` keeps for "now" figures (progress line, breakpoint).
    static let recentWindow = WindowSpec(name: "10s", seconds: 10)

    func run(thresholds: RunThresholds, progress: ProgressReporter?) throws -> Outcome {
        let sink = RecorderSink(scenario.probes.map {
            ProbeRecorder(checkCount: $0.checks.count, layout: layout, windows: [Self.recentWindow])
        })
        let engine = try Engine(scenario: scenario, threads: threads) { _ in sink }
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
        engine.start()
        var vus = GaugeStats()
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
                       aborted: signals.fired > 0, abortedBy: abortedBy)
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
