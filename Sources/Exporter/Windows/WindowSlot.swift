import Probes

/// What one time slot of a rolling window holds: the latency histogram of answered
/// requests (the duration histogram's population) and the counters the window ratios
/// and window thresholds need.
public struct WindowSlot: Sendable {
    /// `http_req_duration` of expected responses, µs, ≤ 0.78 % quantile error.
    public var latency: LogLinearHistogram
    public var requests: UInt64 = 0
    public var failedRequests: UInt64 = 0
    public var iterationsSucceeded: UInt64 = 0
    public var iterationsFailed: UInt64 = 0
    public var checkPasses: [UInt64]
    public var checkFails: [UInt64]
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    public var droppedIterations: UInt64 = 0

    public init(checkCount: Int) {
        latency = LogLinearHistogram(bits: 7)
        checkPasses = Array(repeating: 0, count: checkCount)
        checkFails = Array(repeating: 0, count: checkCount)
    }

    mutating func record(_ r: RequestResult) {
        requests &+= 1
        if r.failure != nil { failedRequests &+= 1 } else { latency.record(r.duration) }
        if r.success { iterationsSucceeded &+= 1 } else { iterationsFailed &+= 1 }
        for i in 0..<min(r.checkCount, checkPasses.count) {
            if r.checkPassed(i) { checkPasses[i] &+= 1 } else { checkFails[i] &+= 1 }
        }
        bytesSent &+= UInt64(r.bytesSent)
        bytesReceived &+= UInt64(r.bytesReceived)
    }

    /// Zeroes the slot, keeping its storage.
    mutating func reset() {
        latency.reset()
        requests = 0; failedRequests = 0
        iterationsSucceeded = 0; iterationsFailed = 0
        for i in 0..<checkPasses.count { checkPasses[i] = 0; checkFails[i] = 0 }
        bytesSent = 0; bytesReceived = 0; droppedIterations = 0
    }

    mutating func merge(_ o: WindowSlot) {
        latency.merge(o.latency)
        requests &+= o.requests
        failedRequests &+= o.failedRequests
        iterationsSucceeded &+= o.iterationsSucceeded
        iterationsFailed &+= o.iterationsFailed
        for i in 0..<checkPasses.count { checkPasses[i] &+= o.checkPasses[i]; checkFails[i] &+= o.checkFails[i] }
        bytesSent &+= o.bytesSent
        bytesReceived &+= o.bytesReceived
        droppedIterations &+= o.droppedIterations
    }

    public var iterations: UInt64 { iterationsSucceeded &+ iterationsFailed }
}
