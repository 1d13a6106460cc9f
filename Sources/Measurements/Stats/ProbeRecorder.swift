import KalmSupport
import Probes

/// Everything kalm keeps for one probe in one scenario, behind its own lock: run totals,
/// trends, Prometheus histograms and rolling windows.
///
/// It outlives engines: when the agent reloads a config in which this probe did not
/// change, the new engine records into the same recorder, so counters keep counting and
/// windows keep their data. Engine threads contend on the lock only when two finish a
/// request of the same probe at the same instant; readers take it only to copy.
public final class ProbeRecorder: Sendable {
    private let state: Locked<ProbeStats>
    /// Rolling windows; nil inside for `kalm run` without windows. Not an optional Locked:
    /// testing `Optional<Locked>` for nil reads the lock word without the lock, which is a
    /// data race (ThreadSanitizer reports it).
    private let windows: Locked<WindowSet?>
    /// Whether there are windows, so recording without them takes no second lock.
    private let hasWindows: Bool

    /// A recorder for a probe with `checkCount` checks, histograms shaped by `layout`, and rolling `windows` (none: no window data).
    public init(checkCount: Int, layout: StatsLayout, windows: [WindowSpec] = []) {
        state = Locked(ProbeStats(checkCount: checkCount, layout: layout))
        hasWindows = !windows.isEmpty
        self.windows = Locked(windows.isEmpty ? nil : WindowSet(windows, checkCount: checkCount, extras: layout.windowExtras))
    }

    /// Adds one request's result to the totals and the windows.
    public func record(_ r: RequestResult) {
        state.withLock { $0.record(r) }
        if hasWindows { windows.withLock { $0?.record(r) } }
    }

    /// Adds one ended iteration, think time included, lasting `durationMicros` microseconds.
    public func recordIteration(durationMicros: Int64) {
        state.withLock { $0.recordIteration(durationMicros: durationMicros) }
        if hasWindows { windows.withLock { $0?.recordIteration(durationMicros: durationMicros, at: MonotonicClock.now()) } }
    }

    /// Counts one dropped arrival-rate iteration at `now` (monotonic nanoseconds).
    public func recordDroppedIteration(at now: UInt64) {
        state.withLock { $0.droppedIterations &+= 1 }
        if hasWindows { windows.withLock { $0?.recordDropped(at: now) } }
    }

    /// Adds one arrival-rate iteration's start lag, in microseconds, to the start-lag histogram.
    public func recordStartLag(micros: Int64) {
        state.withLock { $0.startLagBuckets.record(micros: micros) }
    }

    /// Keeps the certificate expiry last seen, in Unix seconds, replacing any earlier one.
    public func recordCertificateExpiry(unixSeconds: Double) {
        // The chain last seen: a renewed certificate replaces the old expiry (earliest within a chain is taken by the engine).
        state.withLock { $0.certExpiry = unixSeconds }
    }

    /// A copy of the totals.
    public func snapshot() -> ProbeStats {
        state.withLock { $0 }
    }

    /// The slots of the longest window up to `maxSeconds` long, oldest first (for sparklines).
    public func windowSeries(maxSeconds: Double, now: UInt64) -> (spec: WindowSpec, slots: [(start: UInt64, slot: WindowSlot?)])? {
        windows.withLock { $0?.series(maxSeconds: maxSeconds, now: now) } ?? nil
    }

    /// Every window merged over its slots, as of `now` (monotonic ns); empty without windows.
    public func windowSnapshots(now: UInt64) -> [WindowSnapshot] {
        windows.withLock { $0?.snapshots(now: now) } ?? []
    }
}

/// Routes an engine's results to the recorders of its scenario's probes. One instance
/// serves every engine thread (the recorders lock).
public final class RecorderSink: ResultSink {
    /// The scenario's probes' recorders, indexed by `RequestResult.probe`.
    public let recorders: [ProbeRecorder]

    /// A sink routing to `recorders`, one per probe in scenario order.
    public init(_ recorders: [ProbeRecorder]) {
        self.recorders = recorders
    }

    /// Records `result` in its probe's recorder.
    public func record(_ result: RequestResult) { recorders[result.probe].record(result) }
    /// Records an ended iteration in probe `probe`'s recorder.
    public func recordIteration(probe: Int, duration: Duration) { recorders[probe].recordIteration(durationMicros: duration.microseconds) }
    /// Records a dropped iteration, stamped now, in probe `probe`'s recorder.
    public func recordDroppedIteration(probe: Int) { recorders[probe].recordDroppedIteration(at: MonotonicClock.now()) }
    /// Records a start lag in probe `probe`'s recorder.
    public func recordStartLag(probe: Int, lag: Duration) { recorders[probe].recordStartLag(micros: lag.microseconds) }
    /// Records a certificate expiry in probe `probe`'s recorder.
    public func recordCertificateExpiry(probe: Int, unixSeconds: Double) { recorders[probe].recordCertificateExpiry(unixSeconds: unixSeconds) }

    /// Every probe's totals.
    public func snapshots() -> [ProbeStats] { recorders.map { $0.snapshot() } }
}
