import Dispatch
import Exporter
import Foundation
import Logging
import Measurements
import Probes
import UnixSignals

/// Runs one scenario to completion for `kalm run`: the engine, the signal handling
/// (first SIGINT/SIGTERM: graceful stop and exit 105; second: immediate exit), and the
/// once-a-second VU sampling the summary's `vus` gauge needs.
final class RunController {
    /// Called with the run's recorders and engine once it starts (for `--web.listen-address`).
    var onStart: ((RecorderSink, Engine) -> Void)?
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
        /// Each journey probe's totals per step (empty for a single-request probe).
        var stepStats: [[ProbeStats]]
        var elapsedSeconds: Double
        var vus: GaugeStats
        var vusMax: Int
        var aborted: Bool
        var monitor: RunMonitor
        var soak: [SoakReport]?
        /// Unix seconds when the executor started.
        var startedAtUnix: Double
        /// The run over time (the HTML report's charts).
        var timeline: RunTimeline
    }

    /// - Parameters:
    ///   - breakpoint: thresholds evaluated every second over the last 10 s; the first failure stops the run.
    ///   - soak: the steady state to track degradation over.
    ///   - startAt: Unix seconds at which the executor starts (`--start-at`); nil: at once.
    ///   - outputs: `--out` files, one row per request.
    func run(thresholds: RunThresholds, progress: ProgressReporter?, breakpoint: [Threshold]? = nil,
             soak: SteadyState? = nil, startAt: Double? = nil, outputs: [(RequestOutput.Format, String)] = []) throws -> Outcome {
        let sink = RecorderSink(scenario.probes.map {
            ProbeRecorder($0, layout: layout, windows: [RunMonitor.recentWindow])
        })
        let tracker = soak.map { SoakTracker(steady: $0, probes: scenario.probes.count, forwardingTo: sink) }
        let recorded: ResultSink = tracker ?? sink
        let output = outputs.isEmpty ? nil : try RequestOutput(specs: outputs, scenario: scenario, forwardingTo: recorded)
        let engineSink: ResultSink = output ?? recorded
        // Per engine thread, the run over time for the HTML report (no lock between threads).
        let timelines = (0..<max(1, threads)).map { _ in TimelineSink(forwardingTo: engineSink) }
        let engine = try Engine(scenario: scenario, threads: threads) { timelines[min($0, timelines.count - 1)] }
        var vuTimeline = RunTimeline()
        let monitor = RunMonitor(scenario: scenario, thresholds: thresholds, breakpoint: breakpoint, sink: sink, logger: logger)
        let signals = SignalWatcher(signals: [.sigint, .sigterm]) { count in
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
        if let startAt { Self.wait(until: startAt, logger: logger) }
        let startedAtUnix = MonotonicClock.wallSeconds()
        engine.start(willStart: { t0 in
            tracker?.begin(at: t0)
            timelines.forEach { $0.begin(at: t0) }
        })
        onStart?(sink, engine)
        var vus = GaugeStats()
        let executorEnd = scenario.executor.duration
        let vusMax = scenario.maxVUsPerProbe * scenario.probes.count
        var stopping = false
        let tokenWatch = TokenFetchWatch(logger: logger)
        while !engine.wait(timeout: .seconds(1)) {
            tokenWatch.check(scenario: scenario.name, probes: scenario.probes, recorders: sink.recorders)
            let elapsed = Double(MonotonicClock.now() - engine.startedAt) / 1e9
            let active = engine.activeVUs().reduce(0, +)
            // Samples after the executor's end (graceful stop) would only show the wind-down.
            if elapsed < executorEnd, signals.fired == 0 { vus.observe(Double(active)) }
            vuTimeline.sampleVUs(active, at: elapsed - 0.5)
            let stats = sink.snapshots()
            let memo = WindowSnapshotMemo(now: MonotonicClock.now())
            progress?.tick(elapsed: elapsed, stats: stats, recent: sink.recorders.compactMap { memo.snapshots($0).first }, vus: active)
            if !stopping, monitor.tick(elapsed: elapsed, active: active, stats: stats, windows: memo) {
                stopping = true
                engine.requestStop(grace: .zero)
            }
        }
        // A run shorter than a tick must still say that its token endpoint failed.
        tokenWatch.check(scenario: scenario.name, probes: scenario.probes, recorders: sink.recorders)
        progress?.finish()
        let elapsed = Double(MonotonicClock.now() - engine.startedAt) / 1e9
        if vus.samples == 0 { vus.observe(Double(vusMax)) }
        try output?.finish()
        var timeline = vuTimeline
        for t in timelines { timeline.merge(t.timeline, sumVUs: false) }
        return Outcome(stats: sink.snapshots(), stepStats: sink.recorders.map { $0.stepSnapshots() }, elapsedSeconds: elapsed, vus: vus, vusMax: vusMax,
                       aborted: signals.fired > 0, monitor: monitor, soak: tracker?.reports(), startedAtUnix: startedAtUnix,
                       timeline: timeline)
    }

    /// Sleeps until the wall clock reads `unix` (`--start-at`): coarse sleeps, then short
    /// ones for the last 20 ms, so parts on synchronised clocks start within a millisecond or two.
    static func wait(until unix: Double, logger: Logger) {
        let left = unix - MonotonicClock.wallSeconds()
        guard left > 0 else { return }
        logger.info("waiting for --start-at", metadata: ["seconds": .string(String(format: "%.3f", left))])
        while true {
            let remaining = unix - MonotonicClock.wallSeconds()
            if remaining <= 0 { return }
            Thread.sleep(forTimeInterval: remaining > 0.02 ? remaining - 0.015 : min(remaining, 0.001))
        }
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
