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
    /// A journey's request-level totals and windows per step (docs/metrics.md, "Journeys"); empty for a single-request probe.
    private let steps: [StepRecorder]
    /// OAuth2 token fetches: successes and failures by reason.
    private let tokenFetches: Locked<TokenFetchStats>

    /// The names of the steps this recorder keeps apart (empty: a single-request probe).
    public let stepNames: [String]
    /// The rolling windows it keeps, in order.
    public let windowSpecs: [WindowSpec]

    /// A recorder for a probe with `checkCount` checks, histograms shaped by `layout`, rolling `windows`
    /// (none: no window data), and, for a journey, request series per step of `steps`.
    public init(checkCount: Int, layout: StatsLayout, windows: [WindowSpec] = [], steps: [String] = []) {
        state = Locked(ProbeStats(checkCount: checkCount, layout: layout))
        hasWindows = !windows.isEmpty
        self.windows = Locked(windows.isEmpty ? nil : WindowSet(windows, checkCount: checkCount, extras: layout.windowExtras))
        stepNames = steps
        windowSpecs = windows
        self.steps = steps.map { _ in StepRecorder(checkCount: checkCount, layout: layout, windows: windows) }
        tokenFetches = Locked(TokenFetchStats())
    }

    /// A recorder for `spec`: its checks, and its steps when it is a journey.
    public convenience init(_ spec: ProbeSpec, layout: StatsLayout, windows: [WindowSpec] = []) {
        self.init(checkCount: spec.checks.count, layout: layout, windows: windows,
                  steps: spec.isJourney ? spec.steps.map(\.name) : [])
    }

    /// Adds one request's result to the totals and the windows (and its step's, in a journey).
    public func record(_ r: RequestResult) {
        state.withLock { $0.record(r) }
        if hasWindows { windows.withLock { $0?.record(r) } }
        if r.step < steps.count { steps[r.step].record(r) }
    }

    /// Counts one OAuth2 token fetch: `failure` nil when it got a token.
    public func recordTokenFetch(failure: FailureReason?) {
        tokenFetches.withLock { t in
            if let f = failure { t.failures[Int(f.rawValue)] &+= 1 } else { t.successes &+= 1 }
        }
    }

    /// Token fetches so far.
    public func tokenFetchSnapshot() -> TokenFetchStats { tokenFetches.withLock { $0 } }

    /// Each step's request totals, in step order (empty for a single-request probe).
    public func stepSnapshots() -> [ProbeStats] { steps.map { $0.snapshot() } }

    /// Each step's windows as of `now`, in step order (empty for a single-request probe or without windows).
    public func stepWindowSnapshots(now: UInt64) -> [[WindowSnapshot]] {
        hasWindows ? steps.map { $0.windowSnapshots(now: now) } : []
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
    /// Counts a token fetch in probe `probe`'s recorder.
    public func recordTokenFetch(probe: Int, failure: FailureReason?, duration: Duration) { recorders[probe].recordTokenFetch(failure: failure) }
    /// Records a certificate expiry in probe `probe`'s recorder.
    public func recordCertificateExpiry(probe: Int, unixSeconds: Double) { recorders[probe].recordCertificateExpiry(unixSeconds: unixSeconds) }

    /// Every probe's totals.
    public func snapshots() -> [ProbeStats] { recorders.map { $0.snapshot() } }
}

/// One journey step's request-level totals and windows.
final class StepRecorder: Sendable {
    private let state: Locked<ProbeStats>
    private let windows: Locked<WindowSet?>
    private let hasWindows: Bool

    init(checkCount: Int, layout: StatsLayout, windows: [WindowSpec]) {
        state = Locked(ProbeStats(checkCount: checkCount, layout: layout))
        hasWindows = !windows.isEmpty
        self.windows = Locked(windows.isEmpty ? nil : WindowSet(windows, checkCount: checkCount, extras: layout.windowExtras))
    }

    func record(_ r: RequestResult) {
        state.withLock { $0.record(r) }
        if hasWindows { windows.withLock { $0?.record(r) } }
    }

    func snapshot() -> ProbeStats { state.withLock { $0 } }

    func windowSnapshots(now: UInt64) -> [WindowSnapshot] { windows.withLock { $0?.snapshots(now: now) } ?? [] }
}

/// OAuth2 token fetches of one probe.
public struct TokenFetchStats: Sendable {
    /// Fetches that got a token.
    public var successes: UInt64 = 0
    /// Failed fetches by `FailureReason.rawValue`.
    public var failures: [UInt64] = Array(repeating: 0, count: FailureReason.allCases.count)
    /// Fetches of any outcome.
    public var total: UInt64 { failures.reduce(successes, &+) }
}
