import Dispatch
import Exporter
import Foundation
import KalmSupport
import Logging
import Measurements
import Probes

/// A scheduled scenario in the agent: its long-lived recorders (counters and windows carry
/// on from one window to the next), the window running now if any, and what the last
/// window found (verdict, soak degradation, breakpoint capacity).
final class ScheduledScenario: Sendable {
    struct LastRun {
        var endedAt: Double
        var passed: Bool
        var soak: [SoakReport]?
        var capacity: [Double]?
    }

    struct State {
        var config: ScenarioConfig
        var thresholds: [Threshold]
        var schedule: ScenarioSchedule
        var anchor: Date
        var next: Date?
        var running: Window?
        var skipped: UInt64 = 0
        var last: LastRun?
    }

    /// One firing: its engine and the run's own recorders.
    final class Window: Sendable {
        let engine: Engine
        let monitor: RunMonitor
        let runSink: RecorderSink
        let tracker: SoakTracker?
        let startedAt: Date
        /// Left by `watch` once the verdict is recorded.
        let ended = DispatchGroup()
        init(engine: Engine, monitor: RunMonitor, runSink: RecorderSink, tracker: SoakTracker?) {
            self.engine = engine
            self.monitor = monitor
            self.runSink = runSink
            self.tracker = tracker
            startedAt = Date()
            ended.enter()
        }
    }

    let name: String
    let sink: RecorderSink
    let layout: StatsLayout
    let windows: [WindowSpec]
    let threads: Int
    let logger: Logger
    private let state: Locked<State>

    init(config: ScenarioConfig, schedule: ScenarioSchedule, thresholds: [Threshold], recorders: [ProbeRecorder],
         layout: StatsLayout, windows: [WindowSpec], threads: Int, logger: Logger, now: Date = Date()) {
        name = config.name
        sink = RecorderSink(recorders)
        self.layout = layout
        self.windows = windows
        self.threads = threads
        self.logger = logger
        state = Locked(State(config: config, thresholds: thresholds, schedule: schedule, anchor: now,
                            next: schedule.next(after: now, anchor: now)))
    }

    var config: ScenarioConfig { state.withLock { $0.config } }
    var thresholds: [Threshold] { state.withLock { $0.thresholds } }
    var snapshot: State { state.withLock { $0 } }
    var isRunning: Bool { state.withLock { $0.running != nil } }

    /// Takes a reloaded config: a new schedule is counted from now; the window running now
    /// (if any) finishes as it started.
    func update(config: ScenarioConfig, schedule: ScenarioSchedule, thresholds: [Threshold], now: Date = Date()) {
        state.withLock { s in
            if s.schedule != schedule {
                s.schedule = schedule
                s.anchor = now
                s.next = schedule.next(after: now, anchor: now)
            }
            s.config = config
            s.thresholds = thresholds
        }
    }

    /// Fires when due: starts a window, or counts a skipped run while the previous one still runs.
    func tick(now: Date) {
        enum Firing { case none, skipped, start }
        let firing: Firing = state.withLock { s in
            guard let n = s.next, now >= n else { return .none }
            s.next = s.schedule.next(after: now, anchor: s.anchor)
            if s.running != nil {
                s.skipped &+= 1
                return .skipped
            }
            return .start
        }
        switch firing {
        case .none:
            return
        case .skipped:
            logger.warning("scheduled window skipped: the previous one is still running", metadata: ["scenario": .string(name)])
        case .start:
            do {
                try startWindow()
            } catch {
                logger.error("scheduled window could not start", metadata: ["scenario": .string(name), "err": .string("\(error)")])
            }
        }
    }

    private func startWindow() throws {
        let (cfg, thresholds) = state.withLock { ($0.config, $0.thresholds) }
        let spec = cfg.spec
        let runThresholds = RunThresholds(thresholds)
        let breakpoint = try? RunMonitor.breakpointThresholds(isBreakpoint: false, abortOn: cfg.abortOn, thresholds: runThresholds)
        var runLayout = layout
        runLayout.windowExtras = ThresholdNeeds.windowExtras(breakpoint ?? [])
        let runSink = RecorderSink(spec.probes.map {
            ProbeRecorder($0, layout: runLayout, windows: [RunMonitor.recentWindow])
        })
        let tee = TeeSink([sink, runSink])
        let tracker = SteadyState(spec.executor).map { SoakTracker(steady: $0, probes: spec.probes.count, forwardingTo: tee) }
        let engineSink: ResultSink = tracker ?? tee
        let vus = max(1, spec.executor.maxVUs * spec.probes.count)
        let engine = try Engine(scenario: spec, threads: min(threads, vus)) { _ in engineSink }
        let monitor = RunMonitor(scenario: spec, thresholds: runThresholds, breakpoint: breakpoint ?? nil, sink: runSink, logger: logger)
        let window = Window(engine: engine, monitor: monitor, runSink: runSink, tracker: tracker)
        state.withLock { $0.running = window }
        logger.info("scheduled window started", metadata: ["scenario": .string(name), "executor": .string(spec.executor.name),
                                                           "duration": .string(GoDuration.format(seconds: spec.executor.duration))])
        engine.start(willStart: { t0 in tracker?.begin(at: t0) })
        Thread.detachNewThread { [self] in watch(window) }
    }

    /// Once a second until the window ends: abortOnFail and breakpoint checks; then the verdict.
    private func watch(_ w: Window) {
        var stopping = false
        while !w.engine.wait(timeout: .seconds(1)) {
            let elapsed = Double(MonotonicClock.now() - w.engine.startedAt) / 1e9
            let active = w.engine.activeVUs().reduce(0, +)
            if !stopping, w.monitor.tick(elapsed: elapsed, active: active, stats: w.runSink.snapshots(),
                                         windows: WindowSnapshotMemo(now: MonotonicClock.now())) {
                stopping = true
                w.engine.requestStop(grace: .zero)
            }
        }
        let elapsed = Double(MonotonicClock.now() - w.engine.startedAt) / 1e9
        let results = w.monitor.finalResults(stats: w.runSink.snapshots(), elapsed: elapsed,
                                             vus: Double(w.engine.scenario.executor.maxVUs * w.engine.scenario.probes.count))
        let passed = w.monitor.passed(results)
        let last = LastRun(endedAt: Date().timeIntervalSince1970, passed: passed, soak: w.tracker?.reports(),
                           capacity: w.monitor.bp?.capacity)
        state.withLock {
            $0.last = last
            $0.running = nil
        }
        w.ended.leave()
        let failed = results.filter { !$0.ok }.map { "\($0.threshold.key) \($0.threshold.source) (\($0.observedText))" }
        logger.info("scheduled window ended", metadata: ["scenario": .string(name), "passed": .stringConvertible(passed),
                                                         "failed": .string(failed.joined(separator: "; "))])
    }

    /// Ends the window running now, letting in-flight requests finish or time out.
    func stop() async {
        guard let w = state.withLock({ $0.running }) else { return }
        w.engine.requestStop()
        // Returns once `watch` has recorded the verdict, which it does after the engine ends.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            w.ended.notify(queue: .global()) { c.resume() }
        }
    }

    /// Each threshold over each window of the scenario's long-lived recorders.
    func thresholdResults(_ memo: WindowSnapshotMemo) -> [WindowThresholdResult] {
        let snap = snapshot
        let vus = snap.running.map { $0.engine.isFinished ? 0 : $0.engine.activeVUs().reduce(0, +) } ?? 0
        return WindowThresholdResult.evaluate(snap.thresholds, scenario: snap.config, recorders: sink.recorders,
                                              windows: windows, activeVUs: vus, memo: memo)
    }

    /// What a reload may hand on to the scenario's next incarnation.
    var recorderSet: RecorderSet {
        RecorderSet(layout: layout, windows: windows, probes: config.spec.probes, recorders: sink.recorders)
    }

    var source: ScenarioSource {
        let (cfg, running) = state.withLock { ($0.config, $0.running) }
        let idle = Array(repeating: 0, count: cfg.spec.probes.count)
        let active = running.map { $0.engine.isFinished ? idle : $0.engine.activeVUs() } ?? idle
        return ScenarioSource(spec: cfg.spec, recorders: sink.recorders, activeVUs: active)
    }
}
