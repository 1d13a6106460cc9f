import Probes

/// The steady-state stage of a schedule (docs/metrics.md, soak): the longest stage whose target equals
/// the previous stage's (the start value for the first stage). Constant executors are
/// steady throughout.
public struct SteadyState: Sendable, Equatable {
    /// Seconds after the executor's start.
    public let start: Double
    /// Length of the steady-state stage, in seconds.
    public let length: Double

    /// Slot length for the per-slot stats: max(1 s, min(1 m, length / 60)).
    public var slotSeconds: Double { max(1, min(60, length / 60)) }

    /// A steady state starting `start` seconds after the executor's start and lasting `length` seconds.
    public init(start: Double, length: Double) {
        self.start = start
        self.length = length
    }

    /// Nil when no stage holds its target.
    public init?(_ e: ExecutorSpec) {
        var prev: Double
        let stages: [Stage]
        switch e {
        case .constantVUs(_, let d), .constantArrivalRate(_, _, let d, _, _):
            guard d.isFinite, d > 0 else { return nil }
            self.init(start: 0, length: d)
            return
        case .rampingVUs(let s, let st, _):
            prev = Double(s)
            stages = st
        case .rampingArrivalRate(let s, _, let st, _, _):
            prev = s
            stages = st
        }
        var best: (Double, Double)?
        var t = 0.0
        for s in stages {
            if s.target == prev, s.target > 0, s.duration > (best?.1 ?? 0) { best = (t, s.duration) }
            prev = s.target
            t += s.duration
        }
        guard let (start, length) = best else { return nil }
        self.init(start: start, length: length)
    }
}
