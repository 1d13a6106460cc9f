import ArgumentParser
import Measurements
import Probes

/// `kalm run --profile NAME`: the load-testing guide's profiles (docs/configuration.md, profiles), numbers per probe.
enum Profile: String, CaseIterable, ExpressibleByArgument {
    case smoke, load, stress, spike, soak, breakpoint

    /// The executor the profile puts in place of the scenario's.
    var executor: ExecutorSpec {
        func s(_ minutes: Double, _ target: Double) -> Stage { Stage(duration: minutes * 60, target: target) }
        switch self {
        case .smoke:
            return .constantVUs(vus: 2, duration: 60)
        case .load:
            return .rampingVUs(startVUs: 0, stages: [s(2, 50), s(5, 100), s(2, 200), s(1, 0)], gracefulRampDown: 30)
        case .stress:
            return .rampingVUs(startVUs: 0, stages: [s(5, 200), s(10, 500), s(10, 1000), s(5, 1000), s(5, 0)], gracefulRampDown: 30)
        case .spike:
            return .rampingVUs(startVUs: 0, stages: [s(1, 10), s(0.5, 1000), s(3, 1000), s(0.5, 10), s(2, 10), s(0.5, 0)],
                               gracefulRampDown: 30)
        case .soak:
            return .rampingVUs(startVUs: 0, stages: [s(10, 150), s(240, 150), s(10, 0)], gracefulRampDown: 30)
        case .breakpoint:
            // VUs are what the arrival rate needs: 2000/s at up to 1 s per request.
            return .rampingArrivalRate(startRate: 10, timeUnit: 1, stages: [s(30, 2000)], preallocatedVUs: 50, maxVUs: 2000)
        }
    }

    /// Think time when the profile runs without a scenario of the config's: the guide's
    /// 0.5–2.5 s for the VU profiles (its k6 script sleeps); none for the arrival rate.
    var defaultThinkTime: ThinkTime {
        self == .breakpoint ? .zero : ThinkTime(min: 0.5, max: 2.5)
    }
}

extension RunOverrides {
    /// `--stages 30s:10,1m:50`: the executor ramps through these (VUs, or the rate of an
    /// arrival-rate executor).
    static func applyStages(_ stages: [Stage], to e: ExecutorSpec) -> ExecutorSpec {
        switch e {
        case .constantVUs(let v, _):
            return .rampingVUs(startVUs: min(v, Int(stages.first?.target ?? 0)), stages: stages, gracefulRampDown: 30)
        case .rampingVUs(let start, _, let grace):
            return .rampingVUs(startVUs: start, stages: stages, gracefulRampDown: grace)
        case .constantArrivalRate(let rate, let unit, _, let pre, let maxV):
            return .rampingArrivalRate(startRate: rate, timeUnit: unit, stages: stages, preallocatedVUs: pre, maxVUs: maxV)
        case .rampingArrivalRate(let start, let unit, _, let pre, let maxV):
            return .rampingArrivalRate(startRate: start, timeUnit: unit, stages: stages, preallocatedVUs: pre, maxVUs: maxV)
        }
    }
}
