import Foundation
import KalmSupport
import Probes
import Synchronization

/// Degradation over a soak's steady state (docs/metrics.md, soak): latency quantiles per slot of the
/// steady-state stage, and from them the drift (last 10 % / first 10 %) and the
/// least-squares slope. Memory: at most 61 slot histograms per probe, whatever the length.
public final class SoakTracker: ResultSink {
    /// The latency stats tracked, by `stat` label and quantile: p50, p95, p99.
    public static let stats: [(name: String, quantile: Double)] = [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)]

    struct ProbeSlots {
        var slots: [LogLinearHistogram]
        var requests: UInt64 = 0
        var failed: UInt64 = 0
    }

    /// The steady-state stage measured.
    public let steady: SteadyState
    private let slotNanos: UInt64
    private let slotCount: Int
    private let state: Locked<[ProbeSlots]>
    /// Monotonic ns of the executor's start; 0 until `begin`.
    private let t0 = Atomic<UInt64>(0)
    /// Forwarded results (the scenario's recorders).
    private let next: ResultSink

    /// A tracker for `probes` probes over `steady` that forwards everything to `next`.
    public init(steady: SteadyState, probes: Int, forwardingTo next: ResultSink) {
        self.steady = steady
        self.next = next
        let slot = steady.slotSeconds
        slotNanos = UInt64(slot * 1e9)
        slotCount = max(1, Int((steady.length / slot).rounded(.up)))
        state = Locked(Array(repeating: ProbeSlots(slots: Array(repeating: LogLinearHistogram(bits: 7), count: slotCount)), count: probes))
    }

    /// Sets the executor's start (monotonic ns): the steady state is measured from it.
    public func begin(at start: UInt64) {
        t0.store(start, ordering: .releasing)
    }

    /// Forwards `r`; if it finished within the steady state, counts it and, unless it failed, adds its duration to its slot.
    public func record(_ r: RequestResult) {
        next.record(r)
        let start = t0.load(ordering: .acquiring)
        guard start > 0 else { return }
        let steadyStart = start &+ UInt64(steady.start * 1e9)
        guard r.finishedAt >= steadyStart else { return }
        let i = Int((r.finishedAt - steadyStart) / slotNanos)
        guard i < slotCount, Double(r.finishedAt - steadyStart) < steady.length * 1e9 else { return }
        state.withLock { s in
            s[r.probe].requests &+= 1
            if r.failure != nil { s[r.probe].failed &+= 1 } else { s[r.probe].slots[i].record(r.duration) }
        }
    }

    /// Forwards to the next sink.
    public func recordIteration(probe: Int, duration: Duration) { next.recordIteration(probe: probe, duration: duration) }
    /// Forwards to the next sink.
    public func recordDroppedIteration(probe: Int) { next.recordDroppedIteration(probe: probe) }
    /// Forwards to the next sink.
    public func recordStartLag(probe: Int, lag: Duration) { next.recordStartLag(probe: probe, lag: lag) }
    /// Forwards to the next sink.
    public func recordCertificateExpiry(probe: Int, unixSeconds: Double) { next.recordCertificateExpiry(probe: probe, unixSeconds: unixSeconds) }
    /// Forwards token fetches.
    public func recordTokenFetch(probe: Int, failure: FailureReason?, duration: Duration) { next.recordTokenFetch(probe: probe, failure: failure, duration: duration) }

    /// Drift, slope and error ratio per probe, over the slots that have ended by `now`.
    public func reports() -> [SoakReport] {
        let start = t0.load(ordering: .acquiring)
        let wallStart = start == 0 ? 0 : MonotonicClock.wallSeconds(ofMonotonic: start) + steady.start
        return state.withLock { all in
            all.map { p in SoakReport(slots: p.slots, slotSeconds: steady.slotSeconds, requests: p.requests, failed: p.failed,
                                      windowStart: wallStart, windowEnd: wallStart + steady.length) }
        }
    }
}

/// One probe's degradation over a soak's steady state.
public struct SoakReport: Sendable {
    /// stat → last 10 % / first 10 % (nil without data at either end).
    public let drift: [String: Double]
    /// stat → least-squares slope of the per-slot stat, seconds per hour.
    public let slope: [String: Double]
    /// Failed requests / requests over the steady state (nil without requests).
    public let errorRatio: Double?
    /// Unix seconds of the steady state's start and end.
    public let windowStart: Double
    /// Unix seconds of the steady state's end.
    public let windowEnd: Double

    init(slots: [LogLinearHistogram], slotSeconds: Double, requests: UInt64, failed: UInt64, windowStart: Double, windowEnd: Double) {
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        errorRatio = requests == 0 ? nil : Double(failed) / Double(requests)
        let tenth = max(1, Int((Double(slots.count) * 0.1).rounded()))
        var first = LogLinearHistogram(bits: 7), last = LogLinearHistogram(bits: 7)
        for s in slots.prefix(tenth) { first.merge(s) }
        for s in slots.suffix(tenth) { last.merge(s) }
        var drift: [String: Double] = [:]
        var slope: [String: Double] = [:]
        for (name, q) in SoakTracker.stats {
            if let a = first.quantile(q), let b = last.quantile(q), a > 0 { drift[name] = b / a }
            // Least squares of (slot midpoint in hours, stat in seconds) over slots with data.
            var xs: [Double] = [], ys: [Double] = []
            for (i, s) in slots.enumerated() {
                guard let v = s.quantile(q) else { continue }
                xs.append((Double(i) + 0.5) * slotSeconds / 3600)
                ys.append(v / 1e6)
            }
            if xs.count >= 2 {
                let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
                var num = 0.0, den = 0.0
                for i in 0..<xs.count {
                    num += (xs[i] - mx) * (ys[i] - my)
                    den += (xs[i] - mx) * (xs[i] - mx)
                }
                if den > 0 { slope[name] = num / den }
            }
        }
        self.drift = drift
        self.slope = slope
    }
}
