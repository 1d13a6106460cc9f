import Dispatch
import Exporter
import Probes

/// One scenario running in the agent: its engine and the recorders it writes to.
final class ScenarioRun: @unchecked Sendable {
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
        // No more threads than VUs: an idle thread per probe would only cost wake-ups.
        let vus = max(1, config.spec.executor.maxVUs * config.spec.probes.count)
        let sink = self.sink
        engine = try Engine(scenario: config.spec, threads: min(threads, vus)) { _ in sink }
    }

    func start() { engine.start() }

    /// Stops starting iterations; in-flight requests finish or time out. Returns when the engine has ended.
    func stop() async {
        engine.requestStop()
        let engine = self.engine
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                engine.wait()
                c.resume()
            }
        }
    }

    /// Each threshold over each window (SPEC §2): a window without data gives no result.
    func thresholdResults(now: UInt64) -> [WindowThresholdResult] {
        let active = engine.isFinished ? 0 : engine.activeVUs().reduce(0, +)
        return WindowThresholdResult.evaluate(thresholds, scenario: config, recorders: sink.recorders, windows: windows,
                                              activeVUs: active, now: now)
    }

    /// The recorder of probe `name`, if this run has one with exactly `spec`.
    func recorder(for spec: ProbeSpec) -> ProbeRecorder? {
        guard let i = config.spec.probes.firstIndex(where: { $0.name == spec.name }),
              config.spec.probes[i] == spec else { return nil }
        return sink.recorders[i]
    }

    var source: ScenarioSource {
        ScenarioSource(
            name: config.name,
            probes: config.spec.probes.enumerated().map { i, p in
                ProbeSource(name: p.name, labels: p.labels, checkNames: p.checks.map(\.name),
                            isHTTPS: p.request.url.lowercased().hasPrefix("https://"), recorder: sink.recorders[i])
            },
            openModel: config.spec.executor.isOpenModel,
            activeVUs: engine.isFinished ? nil : engine.activeVUs(),
            maxVUs: config.spec.executor.maxVUs)
    }
}

extension ExecutorSpec {
    /// Arrival-rate executors (open model).
    var isOpenModel: Bool {
        switch self {
        case .constantArrivalRate, .rampingArrivalRate: return true
        default: return false
        }
    }
}

/// One threshold's verdict over one rolling window of one scenario.
struct WindowThresholdResult {
    var threshold: Threshold
    var window: String
    var ok: Bool
    var observed: Double

    static func evaluate(_ thresholds: [Threshold], scenario: ScenarioConfig, recorders: [ProbeRecorder], windows: [WindowSpec],
                         activeVUs: Int, now: UInt64) -> [WindowThresholdResult] {
        guard !thresholds.isEmpty else { return [] }
        let perProbe = recorders.map { $0.windowSnapshots(now: now) }
        let probes = scenario.spec.probes.map { ThresholdProbe(name: $0.name, checkNames: $0.checks.map(\.name)) }
        var out: [WindowThresholdResult] = []
        for (w, spec) in windows.enumerated() {
            let data = WindowThresholdData(scenario: scenario.name, probes: probes, windows: perProbe.map { $0[w] },
                                           activeVUs: Double(activeVUs), maxVUs: Double(scenario.spec.executor.maxVUs * probes.count))
            for t in thresholds {
                if let r = t.evaluate(data) { out.append(WindowThresholdResult(threshold: t, window: spec.name, ok: r.ok, observed: r.observed)) }
            }
        }
        return out
    }
}
