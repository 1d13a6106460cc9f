/// When each iteration of an open-model (arrival-rate) executor starts, with k6's
/// semantics: iterations start on schedule whether or not earlier ones finished.
/// The rate is piecewise linear (per second); iteration k starts at the instant the
/// integral of the rate reaches k, so the first starts at 0 and a constant 200/s for
/// 10 s starts exactly 2000.
public struct ArrivalSchedule: Sendable {
    struct Segment {
        var start: Double      // seconds since the executor's start
        var duration: Double
        var fromRate: Double   // per second
        var toRate: Double
        var iterationsBefore: Double
        var iterations: Double { (fromRate + toRate) / 2 * duration }
    }

    let segments: [Segment]
    /// Length of the schedule, in seconds.
    public let totalDuration: Double
    /// Iterations the whole schedule starts (fractional part dropped).
    public let totalIterations: Int

    /// - Returns: nil for closed-model (VU) executors.
    public init?(_ executor: ExecutorSpec) {
        var segs: [Segment] = []
        switch executor {
        case .constantArrivalRate(let rate, let unit, let duration, _, _):
            let r = rate / max(unit, 1e-9)
            segs = [Segment(start: 0, duration: duration, fromRate: r, toRate: r, iterationsBefore: 0)]
        case .rampingArrivalRate(let startRate, let unit, let stages, _, _):
            var from = startRate / max(unit, 1e-9)
            var t = 0.0, n = 0.0
            for s in stages {
                let to = s.target / max(unit, 1e-9)
                let seg = Segment(start: t, duration: s.duration, fromRate: from, toRate: to, iterationsBefore: n)
                segs.append(seg)
                n += seg.iterations
                t += s.duration
                from = to
            }
        default:
            return nil
        }
        segments = segs
        totalDuration = segs.reduce(0) { $0 + $1.duration }
        let total = segs.reduce(0.0) { $0 + $1.iterations }
        // Iterations k = 0, 1, ... start while k < total: ⌈total⌉ of them (2000 for exactly 2000;
        // the epsilon keeps 2000.0000001 from floating error at 2000).
        totalIterations = max(0, Int((total - 1e-6).rounded(.up)))
    }

    /// Seconds after the start at which iteration `k` (0-based) starts, or nil when the schedule has ended.
    public func startTime(ofIteration k: Int) -> Double? {
        guard k >= 0, k < totalIterations else { return nil }
        let target = Double(k)
        for s in segments where target < s.iterationsBefore + s.iterations + 1e-9 {
            let want = target - s.iterationsBefore
            let a = s.fromRate
            let c2 = (s.toRate - s.fromRate) / (2 * max(s.duration, 1e-12))
            let tau: Double
            if abs(c2) < 1e-12 {
                tau = a > 0 ? want / a : 0
            } else {
                // a·τ + c2·τ² = want
                let disc = max(0, a * a + 4 * c2 * want)
                tau = (-a + disc.squareRoot()) / (2 * c2)
            }
            let t = s.start + min(max(0, tau), s.duration)
            return t < totalDuration ? t : nil
        }
        return nil
    }

    /// The rate (iterations per second) at `t`.
    public func rate(at t: Double) -> Double {
        for s in segments where t < s.start + s.duration {
            let f = s.duration > 0 ? (t - s.start) / s.duration : 1
            return s.fromRate + (s.toRate - s.fromRate) * f
        }
        return segments.last?.toRate ?? 0
    }
}
