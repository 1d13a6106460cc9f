/// The number of VUs a closed-model executor wants per probe at each moment, with k6's
/// semantics: in a ramping stage the count moves one VU at a time at evenly spaced
/// instants (`from + ⌊|to−from|·elapsed/duration⌋`, toward `to`).
public struct VUSchedule: Sendable {
    /// VUs at the start, before the first stage.
    public let startVUs: Int
    /// The stages in order; a constant executor has one stage at its VU count.
    public let stages: [Stage]
    /// Length of the schedule, in seconds.
    public let totalDuration: Double

    /// - Returns: nil for open-model (arrival-rate) executors.
    public init?(_ executor: ExecutorSpec) {
        switch executor {
        case .constantVUs(let vus, let duration):
            startVUs = vus
            stages = [Stage(duration: duration, target: Double(vus))]
        case .rampingVUs(let start, let st, _):
            startVUs = start
            stages = st
        default:
            return nil
        }
        totalDuration = stages.reduce(0) { $0 + $1.duration }
    }

    /// VUs wanted at `t` seconds after the start; 0 once the schedule has ended.
    public func target(at t: Double) -> Int {
        if t >= totalDuration { return 0 }
        var from = Double(startVUs)
        var stageStart = 0.0
        for s in stages {
            let to = s.target.rounded()
            if t < stageStart + s.duration {
                let diff = to - from
                if diff == 0 { return Int(from) }
                let steps = (abs(diff) * (t - stageStart) / s.duration).rounded(.down)
                return Int(from + (diff > 0 ? steps : -steps))
            }
            from = to
            stageStart += s.duration
        }
        return Int(from)
    }

    /// The next instant after `t` at which `target` may change, or nil after the end.
    public func nextChange(after t: Double) -> Double? {
        if t >= totalDuration { return nil }
        var from = Double(startVUs)
        var stageStart = 0.0
        for s in stages {
            let to = s.target.rounded()
            let end = stageStart + s.duration
            if t < end {
                let diff = abs(to - from)
                if diff == 0 { return end }
                let step = s.duration / diff
                let k = ((t - stageStart) / step).rounded(.down) + 1
                return Swift.min(end, stageStart + k * step)
            }
            from = to
            stageStart = end
        }
        return nil
    }
}
