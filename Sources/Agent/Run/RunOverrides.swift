import Measurements
import Probes

/// `--vus`, `--duration` (and later `--stages`/`--profile`) applied to a scenario's executor.
///
/// constant-vus takes the numbers as they are. A ramping executor keeps its shape:
/// `--duration` stretches its stages to that total, `--vus` scales its targets so the
/// peak is that many VUs. A continuous scenario run once lasts `--duration` (default 1m).
struct RunOverrides {
    var vus: Int?
    var duration: Double?

    func validate() throws {
        if let v = vus, v < 1 || v > 100_000 {
            throw UsageError(.invalidValue, "--vus must be between 1 and 100000, got \(v)")
        }
        if let d = duration, !(d > 0) {
            throw UsageError(.invalidValue, "--duration must be greater than 0")
        }
    }

    func apply(to executor: ExecutorSpec, continuous: Bool) throws -> ExecutorSpec {
        switch executor {
        case .constantVUs(let v, let d):
            var dur = duration ?? d
            if !dur.isFinite { dur = continuous ? 60 : dur }
            return .constantVUs(vus: vus ?? v, duration: dur)
        case .rampingVUs(let start, let stages, let grace):
            var st = stages
            var s = start
            if let d = duration { st = Self.stretch(st, to: d) }
            if let v = vus {
                let peak = st.reduce(Double(start)) { max($0, $1.target) }
                if peak > 0 {
                    let k = Double(v) / peak
                    st = st.map { Stage(duration: $0.duration, target: ($0.target * k).rounded()) }
                    s = Int((Double(start) * k).rounded())
                }
            }
            return .rampingVUs(startVUs: s, stages: st, gracefulRampDown: grace)
        case .constantArrivalRate(let rate, let unit, let d, let pre, let maxV):
            if vus != nil { throw UsageError(.conflictingFlags, "--vus does not apply to constant-arrival-rate; set preallocated_vus and max_vus in the config") }
            return .constantArrivalRate(rate: rate, timeUnit: unit, duration: duration ?? d, preallocatedVUs: pre, maxVUs: maxV)
        case .rampingArrivalRate(let start, let unit, let stages, let pre, let maxV):
            if vus != nil { throw UsageError(.conflictingFlags, "--vus does not apply to ramping-arrival-rate; set preallocated_vus and max_vus in the config") }
            let st = duration.map { Self.stretch(stages, to: $0) } ?? stages
            return .rampingArrivalRate(startRate: start, timeUnit: unit, stages: st, preallocatedVUs: pre, maxVUs: maxV)
        }
    }

    static func stretch(_ stages: [Stage], to total: Double) -> [Stage] {
        let sum = stages.reduce(0) { $0 + $1.duration }
        guard sum > 0 else { return stages }
        return stages.map { Stage(duration: $0.duration * total / sum, target: $0.target) }
    }
}
