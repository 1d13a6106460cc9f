import Exporter
import Measurements
import Probes

/// The thresholds of one `kalm run`: top-level ones plus the scenario's own, evaluated
/// over the whole run; the abortOnFail ones also every second after their delay.
struct RunThresholds {
    let all: [Threshold]

    init(config: KalmConfig, scenario: ScenarioConfig?) {
        all = config.thresholds(for: scenario)
    }

    init(_ thresholds: [Threshold]) {
        all = thresholds
    }

    var isEmpty: Bool { all.isEmpty }
    var abortOnFail: [Threshold] { all.filter(\.abortOnFail) }

    /// Every threshold's verdict. No sample counts as k6 counts it: trend stats and rates are 0.
    func evaluate(_ data: ThresholdData) -> [ThresholdResult] {
        all.map { t in
            let v = t.observe(data) ?? 0
            return ThresholdResult(threshold: t, observed: v, ok: t.holds(v))
        }
    }

    /// The first abortOnFail threshold that fails at `elapsed` seconds, if any.
    func abortTrigger(_ data: ThresholdData, elapsed: Double) -> ThresholdResult? {
        for t in abortOnFail where elapsed >= t.delayAbortEval {
            // Without samples there is nothing to abort on yet.
            guard let v = t.observe(data) else { continue }
            if !t.holds(v) { return ThresholdResult(threshold: t, observed: v, ok: false) }
        }
        return nil
    }
}
