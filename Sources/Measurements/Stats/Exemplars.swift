import Probes

/// One traced request kept as an exemplar: its trace id, duration and when it finished.
public struct Exemplar: Sendable, Equatable {
    /// The trace id sent in its `traceparent`.
    public var trace: TraceID
    /// The request's duration, seconds (the exemplar's value).
    public var seconds: Double
    /// Unix time, seconds, when it finished (the exemplar's timestamp).
    public var unixSeconds: Double

    /// An exemplar of `trace` that took `seconds` and finished at `unixSeconds`.
    public init(trace: TraceID, seconds: Double, unixSeconds: Double) {
        self.trace = trace
        self.seconds = seconds
        self.unixSeconds = unixSeconds
    }
}

/// The slowest traced requests of the last few minutes, for the status page's trace links
/// (docs/metrics.md, "Exemplars"): the slowest `keep` of the current period and of the one
/// before, so what is shown covers between one and two periods.
public struct SlowTraces: Sendable {
    /// How many requests each period keeps.
    public static let keep = 5
    /// The length of a period, nanoseconds (5 minutes).
    public static let periodNanos: UInt64 = 300_000_000_000

    private var periodStart: UInt64 = 0
    private var current: [Exemplar] = []
    private var previous: [Exemplar] = []

    /// None yet.
    public init() {}

    /// Considers one traced request that finished at monotonic `now`.
    public mutating func record(_ e: Exemplar, now: UInt64) {
        rotate(now: now)
        guard current.count < Self.keep || e.seconds > current[current.count - 1].seconds else { return }
        if current.count == Self.keep { current.removeLast() }
        let at = current.firstIndex { $0.seconds < e.seconds } ?? current.count
        current.insert(e, at: at)
    }

    /// Folds in another shard's (same periods: both rotate on the same clock).
    public mutating func merge(_ o: SlowTraces) {
        if o.periodStart > periodStart { self = SlowTraces.merged(o, self) } else { self = SlowTraces.merged(self, o) }
    }

    /// The slowest of the last one to two periods as of monotonic `now`, slowest first.
    public func slowest(now: UInt64) -> [Exemplar] {
        var s = self
        s.rotate(now: now)
        return Array((s.current + s.previous).sorted { $0.seconds > $1.seconds }.prefix(Self.keep))
    }

    private mutating func rotate(now: UInt64) {
        guard now >= periodStart &+ Self.periodNanos else { return }
        previous = now >= periodStart &+ 2 &* Self.periodNanos ? [] : current
        current = []
        periodStart = now - now % Self.periodNanos
    }

    private static func merged(_ newer: SlowTraces, _ older: SlowTraces) -> SlowTraces {
        var out = newer
        let top: ([Exemplar]) -> [Exemplar] = { Array($0.sorted { $0.seconds > $1.seconds }.prefix(keep)) }
        if older.periodStart == newer.periodStart {
            out.current = top(newer.current + older.current)
            out.previous = top(newer.previous + older.previous)
        } else if older.periodStart &+ periodNanos == newer.periodStart {
            out.previous = top(newer.previous + older.current)
        }
        return out
    }
}
