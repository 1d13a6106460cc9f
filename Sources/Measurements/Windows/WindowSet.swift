import Probes

/// The rolling windows of one probe in one scenario (`agent.windows`).
public struct WindowSet: Sendable {
    /// One window per spec, in the order of the specs.
    public private(set) var windows: [RollingWindow]

    /// Empty windows for `specs`, for a probe with `checkCount` checks, collecting from `now` (monotonic nanoseconds).
    public init(_ specs: [WindowSpec], checkCount: Int, extras: WindowExtras = WindowExtras(), now: UInt64 = MonotonicClock.now()) {
        windows = specs.map { RollingWindow($0, checkCount: checkCount, extras: extras, now: now) }
    }

    mutating func record(_ r: RequestResult) {
        for w in 0..<windows.count {
            let i = windows[w].slotIndex(at: r.finishedAt)
            windows[w].slots[i].record(r)
        }
    }

    mutating func recordIteration(durationMicros: Int64, at now: UInt64) {
        guard windows.first?.slots.first?.extras.trends.contains(.iterationDuration) == true else { return }
        for w in 0..<windows.count {
            let i = windows[w].slotIndex(at: now)
            windows[w].slots[i].recordIteration(durationMicros: durationMicros)
        }
    }

    mutating func recordDropped(at now: UInt64) {
        for w in 0..<windows.count {
            let i = windows[w].slotIndex(at: now)
            windows[w].slots[i].droppedIterations &+= 1
        }
    }

    func snapshots(now: UInt64) -> [WindowSnapshot] {
        windows.map { w in
            let (slot, seconds) = w.merged(now: now)
            return WindowSnapshot(spec: w.spec, data: slot, seconds: seconds)
        }
    }

    /// Slot history of the longest window no longer than `maxSeconds` (for sparklines).
    func series(maxSeconds: Double, now: UInt64) -> (spec: WindowSpec, slots: [(start: UInt64, slot: WindowSlot?)])? {
        guard let w = windows.filter({ $0.spec.seconds <= maxSeconds }).max(by: { $0.spec.seconds < $1.spec.seconds })
            ?? windows.min(by: { $0.spec.seconds < $1.spec.seconds }) else { return nil }
        return (w.spec, w.series(now: now))
    }

    /// Bytes held by every window (the ≤ 512 KiB budget per probe × scenario).
    public var storageBytes: Int { windows.reduce(0) { $0 + $1.storageBytes } }
}

/// One window's merged contents at a moment.
public struct WindowSnapshot: Sendable {
    /// The window's name and length.
    public let spec: WindowSpec
    /// The window's slots merged into one.
    public let data: WindowSlot
    /// Seconds the data covers (≤ the window's length).
    public let seconds: Double

    /// Successful iterations / iterations; nil without iterations.
    public var availability: Double? {
        data.iterations == 0 ? nil : Double(data.iterationsSucceeded) / Double(data.iterations)
    }

    /// Failed requests / requests; nil without requests.
    public var errorRatio: Double? {
        data.requests == 0 ? nil : Double(data.failedRequests) / Double(data.requests)
    }

    /// Requests per second over the covered time; nil without requests.
    public var requestsPerSecond: Double? {
        data.requests == 0 || seconds <= 0 ? nil : Double(data.requests) / seconds
    }

    /// Latency quantile in seconds; nil when no answered request is in the window.
    public func latency(quantile q: Double) -> Double? {
        data.latency.quantile(q).map { $0 / 1e6 }
    }
}
