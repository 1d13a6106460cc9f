import KalmSupport
import Probes

/// A run over time for its HTML report (docs/configuration.md, "Reports"): per slot, the
/// requests, failures, answered-latency histogram, iterations started and dropped, and the
/// active VUs. Slots are 1 s; past `maxSlots` neighbours merge and slots double in width, so
/// memory stays bounded however long the run. Parts of a distributed run merge slot by slot.
public struct RunTimeline: Sendable {
    /// One slot.
    public struct Slot: Sendable {
        public var requests: UInt64 = 0
        public var failed: UInt64 = 0
        public var iterationsStarted: UInt64 = 0
        public var dropped: UInt64 = 0
        /// Active VUs sampled in the slot (the last sample).
        public var activeVUs: Int = 0
        /// Answered requests' durations, microseconds (5 bits: ≤ 3.1 % quantile error).
        public var latency = LogLinearHistogram(bits: 5)

        mutating func merge(_ o: Slot, sumVUs: Bool) {
            requests &+= o.requests
            failed &+= o.failed
            iterationsStarted &+= o.iterationsStarted
            dropped &+= o.dropped
            activeVUs = sumVUs ? activeVUs + o.activeVUs : max(activeVUs, o.activeVUs)
            latency.merge(o.latency)
        }
    }

    /// Most slots kept (an hour of 1 s slots; a day at 32 s).
    public static let maxSlots = 3_600
    /// Seconds per slot.
    public private(set) var slotSeconds: Double = 1
    public private(set) var slots: [Slot] = []

    /// An empty timeline.
    public init() {}

    /// The slot for `elapsed` seconds after the start, widening slots when the run outgrows them.
    public mutating func slot(at elapsed: Double) -> Int {
        var i = Int(max(0, elapsed) / slotSeconds)
        while i >= Self.maxSlots {
            widen()
            i = Int(max(0, elapsed) / slotSeconds)
        }
        if slots.count <= i { slots.append(contentsOf: repeatElement(Slot(), count: i + 1 - slots.count)) }
        return i
    }

    /// Adds one request that finished `elapsed` seconds after the start.
    public mutating func record(_ r: RequestResult, elapsed: Double) {
        let i = slot(at: elapsed)
        slots[i].requests &+= 1
        if r.failure != nil { slots[i].failed &+= 1 } else if !r.unsent { slots[i].latency.record(r.duration) }
    }

    /// Counts an iteration started (or, for closed models, ended) `elapsed` seconds in.
    public mutating func countIteration(at elapsed: Double) {
        let i = slot(at: elapsed)
        slots[i].iterationsStarted &+= 1
    }

    /// Counts a dropped arrival-rate iteration `elapsed` seconds in.
    public mutating func countDropped(at elapsed: Double) {
        let i = slot(at: elapsed)
        slots[i].dropped &+= 1
    }

    /// Samples the active VUs `elapsed` seconds in.
    public mutating func sampleVUs(_ n: Int, at elapsed: Double) {
        let i = slot(at: elapsed)
        slots[i].activeVUs = n
    }

    /// Merges another thread's or part's timeline: counts add, and VUs add when `sumVUs`
    /// (parts running side by side) or take the larger (threads that sampled the same VUs).
    public mutating func merge(_ o: RunTimeline, sumVUs: Bool) {
        var o = o
        while slotSeconds < o.slotSeconds { widen() }
        while o.slotSeconds < slotSeconds { o.widen() }
        if slots.count < o.slots.count { slots.append(contentsOf: repeatElement(Slot(), count: o.slots.count - slots.count)) }
        for (i, s) in o.slots.enumerated() { slots[i].merge(s, sumVUs: sumVUs) }
    }

    /// Twice as wide slots: neighbours merge (VUs: the later sample).
    mutating func widen() {
        var merged: [Slot] = []
        merged.reserveCapacity(slots.count / 2 + 1)
        var k = 0
        while k < slots.count {
            var s = slots[k]
            if k + 1 < slots.count {
                let vus = slots[k + 1].activeVUs
                s.merge(slots[k + 1], sumVUs: false)
                s.activeVUs = vus
            }
            merged.append(s)
            k += 2
        }
        slots = merged
        slotSeconds *= 2
    }

    /// JSON-ready: the slot width and per slot `[requests, failed, started, dropped, vus, latency]`.
    public var archive: [String: Any] {
        ["slot_seconds": slotSeconds,
         "slots": slots.map { [$0.requests, $0.failed, $0.iterationsStarted, $0.dropped, $0.activeVUs, $0.latency.archive] as [Any] }]
    }

    /// The timeline `archive` wrote; nil when it does not make one.
    public init?(archive a: [String: Any]) {
        guard let width = ArchiveValue.double(a["slot_seconds"]), width >= 1, let rows = a["slots"] as? [[Any]] else { return nil }
        slotSeconds = width
        for row in rows {
            guard row.count == 6, let req = ArchiveValue.uint64(row[0]), let failed = ArchiveValue.uint64(row[1]),
                  let started = ArchiveValue.uint64(row[2]), let dropped = ArchiveValue.uint64(row[3]),
                  let vus = ArchiveValue.int(row[4]), let h = (row[5] as? [String: Any]).flatMap(LogLinearHistogram.init(archive:))
            else { return nil }
            slots.append(Slot(requests: req, failed: failed, iterationsStarted: started, dropped: dropped, activeVUs: vus, latency: h))
        }
    }
}

/// Records each engine thread's results into its own timeline (no lock between threads) and
/// passes everything on to `next`.
public final class TimelineSink: ResultSink, @unchecked Sendable {
    // Unchecked: `start` is set once by `begin(at:)` before the engine's threads start.
    private let next: ResultSink
    private var start: UInt64 = 0
    private let lock = Locked(RunTimeline())

    /// A sink for one engine thread; `begin(at:)` sets the run's start.
    public init(forwardingTo next: ResultSink) {
        self.next = next
    }

    /// The run started at monotonic `t0` (call before the engine's threads run).
    public func begin(at t0: UInt64) { start = t0 }

    private func elapsed(_ at: UInt64) -> Double { at > start ? Double(at - start) / 1e9 : 0 }

    public func record(_ result: RequestResult) {
        let t = elapsed(result.finishedAt)
        lock.withLock { $0.record(result, elapsed: t) }
        next.record(result)
    }

    public func recordIteration(probe: Int, duration: Duration) {
        let t = elapsed(MonotonicClock.now())
        lock.withLock { $0.countIteration(at: t) }
        next.recordIteration(probe: probe, duration: duration)
    }

    public func recordDroppedIteration(probe: Int) {
        let t = elapsed(MonotonicClock.now())
        lock.withLock { $0.countDropped(at: t) }
        next.recordDroppedIteration(probe: probe)
    }

    public func recordStartLag(probe: Int, lag: Duration) { next.recordStartLag(probe: probe, lag: lag) }
    public func recordCertificateExpiry(probe: Int, unixSeconds: Double) { next.recordCertificateExpiry(probe: probe, unixSeconds: unixSeconds) }
    public func recordTokenFetch(probe: Int, failure: FailureReason?, duration: Duration) {
        next.recordTokenFetch(probe: probe, failure: failure, duration: duration)
    }

    /// This thread's timeline so far.
    public var timeline: RunTimeline { lock.withLock { $0 } }
}
