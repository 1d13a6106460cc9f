import Probes

/// What one time slot of a rolling window holds: the latency histogram of answered
/// requests (the duration histogram's population) and the counters the window ratios
/// and window thresholds need.
public struct WindowSlot: Sendable {
    /// `http_req_duration` of expected responses, µs: ≤ 0.78 % quantile error at the default
    /// `extras.latencyBits` (7), ≤ 3.1 % at a lean probe's 5.
    public var latency: LogLinearHistogram
    /// Requests finished in the slot.
    public var requests: UInt64 = 0
    /// Requests that failed, for any reason.
    public var failedRequests: UInt64 = 0
    /// Failed requests by `FailureReason.rawValue`.
    public var failuresByReason: [UInt64] = Array(repeating: 0, count: FailureReason.allCases.count)
    /// Iterations that succeeded: completed, expected status, every check passed.
    public var iterationsSucceeded: UInt64 = 0
    /// Iterations that did not succeed.
    public var iterationsFailed: UInt64 = 0
    /// Passes per check, in the probe's check order.
    public var checkPasses: [UInt64]
    /// Failures per check, in the probe's check order.
    public var checkFails: [UInt64]
    /// Bytes sent, headers included.
    public var bytesSent: UInt64 = 0
    /// Bytes received, headers included.
    public var bytesReceived: UInt64 = 0
    /// Arrival-rate iterations that could not start because no VU was free.
    public var droppedIterations: UInt64 = 0
    /// Extra trends thresholds read, in `extras.trends` order.
    public var trends: [LogLinearHistogram]
    /// Requests and `http_req_duration` per status, in `extras.statuses` order.
    public var statusRequests: [UInt64]
    /// `http_req_duration` per status, in microseconds, in `extras.statuses` order.
    public var statusDurations: [LogLinearHistogram]
    /// The extra trends and statuses this slot keeps.
    public let extras: WindowExtras

    /// An empty slot for a probe with `checkCount` checks, keeping `extras`.
    public init(checkCount: Int, extras: WindowExtras = WindowExtras()) {
        latency = LogLinearHistogram(bits: extras.latencyBits)
        checkPasses = Array(repeating: 0, count: checkCount)
        checkFails = Array(repeating: 0, count: checkCount)
        self.extras = extras
        trends = extras.trends.map { _ in LogLinearHistogram(bits: 7) }
        statusRequests = Array(repeating: 0, count: extras.statuses.count)
        statusDurations = extras.statuses.map { _ in LogLinearHistogram(bits: 7) }
    }

    /// The extra trend `t`, if the window keeps it.
    public func trend(_ t: Trend) -> LogLinearHistogram? {
        if t == .durationExpected { return latency }
        return extras.trends.firstIndex(of: t).map { trends[$0] }
    }

    mutating func record(_ r: RequestResult) {
        requests &+= 1
        if let f = r.failure {
            failedRequests &+= 1
            failuresByReason[Int(f.rawValue)] &+= 1
        } else {
            latency.record(r.duration)
        }
        if r.endsIteration {
            if r.iterationSuccess { iterationsSucceeded &+= 1 } else { iterationsFailed &+= 1 }
        }
        for i in 0..<r.checkCount where r.checkBase + i < checkPasses.count {
            if r.checkPassed(i) { checkPasses[r.checkBase + i] &+= 1 } else { checkFails[r.checkBase + i] &+= 1 }
        }
        bytesSent &+= UInt64(r.bytesSent)
        bytesReceived &+= UInt64(r.bytesReceived)
        guard !r.unsent else { return }
        for (i, t) in extras.trends.enumerated() {
            switch t {
            case .duration: trends[i].record(r.duration)
            case .durationExpected: if r.expectedResponse { trends[i].record(r.duration) }
            case .blocked: trends[i].record(r.blocked)
            case .connecting: trends[i].record(r.connect)
            case .tlsHandshaking: trends[i].record(r.tls)
            case .sending: trends[i].record(r.send)
            case .waiting: trends[i].record(r.wait)
            case .receiving: trends[i].record(r.receive)
            case .iterationDuration: break  // recorded when the iteration ends
            }
        }
        for (i, st) in extras.statuses.enumerated() where st == r.status {
            statusRequests[i] &+= 1
            statusDurations[i].record(r.duration)
        }
    }

    mutating func recordIteration(durationMicros: Int64) {
        if let i = extras.trends.firstIndex(of: .iterationDuration) { trends[i].record(durationMicros) }
    }

    /// Zeroes the slot, keeping its storage.
    mutating func reset() {
        latency.reset()
        // Only a slot that saw failures writes its reasons (the slots start out sharing one
        // zeroed array; a write would copy it into every slot of every probe).
        if failedRequests > 0 { for i in 0..<failuresByReason.count { failuresByReason[i] = 0 } }
        requests = 0; failedRequests = 0
        iterationsSucceeded = 0; iterationsFailed = 0
        for i in 0..<checkPasses.count { checkPasses[i] = 0; checkFails[i] = 0 }
        bytesSent = 0; bytesReceived = 0; droppedIterations = 0
        for i in 0..<trends.count { trends[i].reset() }
        for i in 0..<statusRequests.count { statusRequests[i] = 0; statusDurations[i].reset() }
    }

    mutating func merge(_ o: WindowSlot) {
        latency.merge(o.latency)
        requests &+= o.requests
        failedRequests &+= o.failedRequests
        for i in 0..<failuresByReason.count { failuresByReason[i] &+= o.failuresByReason[i] }
        iterationsSucceeded &+= o.iterationsSucceeded
        iterationsFailed &+= o.iterationsFailed
        for i in 0..<checkPasses.count { checkPasses[i] &+= o.checkPasses[i]; checkFails[i] &+= o.checkFails[i] }
        bytesSent &+= o.bytesSent
        bytesReceived &+= o.bytesReceived
        droppedIterations &+= o.droppedIterations
        for i in 0..<min(trends.count, o.trends.count) { trends[i].merge(o.trends[i]) }
        for i in 0..<min(statusRequests.count, o.statusRequests.count) {
            statusRequests[i] &+= o.statusRequests[i]
            statusDurations[i].merge(o.statusDurations[i])
        }
    }

    /// Iterations recorded: succeeded plus failed.
    public var iterations: UInt64 { iterationsSucceeded &+ iterationsFailed }
}

/// What windows keep beyond answered latency and counters: derived from the thresholds
/// that read windows, so memory follows the config.
public struct WindowExtras: Sendable, Equatable {
    /// Trends kept beyond answered latency; `WindowSlot.trends` follows this order.
    public var trends: [Trend]
    /// Statuses whose requests and `http_req_duration` are kept; `WindowSlot.statusRequests` follows this order.
    public var statuses: [Int]
    /// Sub-bucket bits of each slot's latency histogram (7: ≤ 0.78 % quantile error; a lean
    /// probe's 5: ≤ 3.1 %, a quarter of the memory per slot).
    public var latencyBits: Int

    /// Extras keeping `trends` and `statuses`; by default nothing extra, latency at 7 bits.
    public init(trends: [Trend] = [], statuses: [Int] = [], latencyBits: Int = 7) {
        self.trends = trends
        self.statuses = statuses
        self.latencyBits = latencyBits
    }
}
