import Dispatch
import Exporter
import Measurements
import Probes

/// One scenario running in the agent: its engine and the recorders it writes to.
final class ScenarioRun: Sendable {
    let config: ScenarioConfig
    let engine: Engine
    let sink: RecorderSink
    /// The layout and windows the recorders were made with (a change means new recorders).
    let layout: StatsLayout
    let windows: [WindowSpec]
    /// The thresholds that apply to this scenario (top-level, then its own).
    let thresholds: [Threshold]

    init(config: ScenarioConfig, recorders: [ProbeRecorder], layout: StatsLayout, windows: [WindowSpec], threads: Int,
         thresholds: [Threshold]) throws {
        self.config = config
        self.thresholds = thresholds
        self.layout = layout
        self.windows = windows
        sink = RecorderSink(recorders)
        staticSource = ScenarioSource(spec: config.spec, recorders: recorders, activeVUs: nil)
        // No more threads than VUs: an idle thread per probe would only cost wake-ups.
        let vus = max(1, config.spec.executor.maxVUs * config.spec.probes.count)
        let sink = self.sink
        var spec = config.spec
        spec.startSpread = Self.startSpread(spec.thinkTime)
        spec.timerSlack = Self.timerSlack(spec.thinkTime)
        engine = try Engine(scenario: spec, threads: min(threads, vus)) { _ in sink }
    }

    func start() { engine.start() }

    /// A continuous scenario's VUs start spread over their mean think time, at most 15 s
    /// (docs/configuration.md, `think_time`): a fleet's probes then do not all fire at once
    /// every interval, and the first results still arrive within 15 s of a start.
    static func startSpread(_ think: ThinkTime) -> Double {
        min(15, max(0, (think.min + think.max) / 2))
    }

    /// Think times may end up to 1 % late, at most 50 ms, in a continuous scenario: VUs whose
    /// sleeps end within that share one engine wake-up (docs/configuration.md, `think_time`).
    static func timerSlack(_ think: ThinkTime) -> Double {
        min(0.05, max(0, think.min) / 100)
    }

    /// Stops starting iterations; in-flight requests finish or time out. Returns when the engine has ended.
    func stop() async {
        engine.requestStop()
        await engine.finished()
    }

    /// Each threshold over each window (docs/configuration.md, thresholds): a window without data gives no result.
    func thresholdResults(_ memo: WindowSnapshotMemo) -> [WindowThresholdResult] {
        let active = engine.isFinished ? 0 : engine.activeVUs().reduce(0, +)
        return WindowThresholdResult.evaluate(thresholds, scenario: config, recorders: sink.recorders, windows: windows,
                                              activeVUs: active, memo: memo)
    }

    /// What a reload may hand on to the scenario's next run.
    var recorderSet: RecorderSet {
        RecorderSet(layout: layout, windows: windows, probes: config.spec.probes, recorders: sink.recorders)
    }

    /// What the exposition reads, built once (a fleet has thousands of probes); only the
    /// active VUs change between scrapes.
    private let staticSource: ScenarioSource

    var source: ScenarioSource {
        var s = staticSource
        s.activeVUs = engine.isFinished ? nil : engine.activeVUs()
        return s
    }
}

/// One threshold's verdict over one rolling window of one scenario.
struct WindowThresholdResult {
    var threshold: Threshold
    var window: String
    var ok: Bool
    var observed: Double

    static func evaluate(_ thresholds: [Threshold], scenario: ScenarioConfig, recorders: [ProbeRecorder], windows: [WindowSpec],
                         activeVUs: Int, memo: WindowSnapshotMemo) -> [WindowThresholdResult] {
        guard !thresholds.isEmpty else { return [] }
        let perProbe = recorders.map { memo.snapshots($0) }
        let probes = scenario.spec.probes.map { ThresholdProbe($0) }
        let perStep = recorders.map { $0.stepWindowSnapshots(now: memo.now) }
        var out: [WindowThresholdResult] = []
        for (w, spec) in windows.enumerated() {
            let data = WindowThresholdData(scenario: scenario.name, probes: probes, windows: perProbe.map { $0[w] },
                                           stepWindows: perStep.map { steps in steps.map { $0[w] } },
                                           activeVUs: Double(activeVUs), maxVUs: Double(scenario.spec.executor.maxVUs * probes.count))
            for t in thresholds {
                if let r = t.evaluate(data) { out.append(WindowThresholdResult(threshold: t, window: spec.name, ok: r.ok, observed: r.observed)) }
            }
        }
        return out
    }
}

/// A scenario's recorders and the shape they were made with: a reload reuses a probe's
/// recorder when the probe and the shape are unchanged.
struct RecorderSet {
    var layout: StatsLayout
    var windows: [WindowSpec]
    var probes: [ProbeSpec]
    var recorders: [ProbeRecorder]

    /// Recorders for `probes`: the previous set's where the probe and the shape are
    /// unchanged (counters continue, windows keep their data), new ones otherwise.
    ///
    /// A lean probe exposes one window (docs/metrics.md, "Series profiles"); unless a
    /// threshold reads the windows (`keepAllWindows`), its recorder keeps only that one.
    static func make(for probes: [ProbeSpec], layout: StatsLayout, windows: [WindowSpec], previous: RecorderSet?,
                     keepAllWindows: Bool = true) -> [ProbeRecorder] {
        let reuse = previous.flatMap { $0.layout == layout && $0.windows == windows ? $0 : nil }
        // By name and labels first: a fleet has thousands of probes of one name (a linear search
        // per probe would be quadratic in the targets).
        var byKey: [String: [Int]] = [:]
        for (i, p) in (reuse?.probes ?? []).enumerated() { byKey[key(p), default: []].append(i) }
        // A lean probe's run trends (k6's summary percentiles, which the agent does not expose)
        // keep the coarsest precision: a fleet of thousands of targets saves ~20 KiB each.
        var lean = layout
        lean.trendBits = 3
        // Its window quantiles within 3.1 % instead of 0.78 %: a quarter of the memory per slot.
        // Not when thresholds read the windows: they merge every probe's, at one precision.
        if !keepAllWindows { lean.windowExtras.latencyBits = 5 }
        let leanWindows = keepAllWindows ? windows : ProbeFamilies.leanWindow(of: windows).map { [$0] } ?? []
        return probes.map { p in
            let (shape, keep) = p.series == .lean ? (lean, leanWindows) : (layout, windows)
            if let r = reuse, let i = byKey[key(p)]?.first(where: { r.probes[$0] == p && r.recorders[$0].windowSpecs == keep }) {
                return r.recorders[i]
            }
            return ProbeRecorder(p, layout: shape, windows: keep)
        }
    }

    private static func key(_ p: ProbeSpec) -> String {
        ([p.name] + p.labels.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1}")
    }
}
