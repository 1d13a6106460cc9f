import Probes

/// Everything measured for one probe in one scenario: run totals (k6's summary),
/// trends for the summary's percentiles, and Prometheus's fixed-bucket histograms.
/// Sized by the config, never by the number of requests.
public struct ProbeStats: Sendable {
    /// Requests by status code; code 0 is "no response" (transport error).
    public var requestsByCode: StatusCounts
    /// Failed requests by reason, indexed by `FailureReason.rawValue`.
    public var failuresByReason: [UInt64]
    /// Iterations that succeeded: completed, expected status, every check passed.
    public var iterationsSucceeded: UInt64 = 0
    /// Iterations that did not succeed.
    public var iterationsFailed: UInt64 = 0
    /// Iterations that ended, think time included (see `recordIteration`).
    public var iterationsEnded: UInt64 = 0
    /// Arrival-rate iterations that could not start because no VU was free.
    public var droppedIterations: UInt64 = 0
    /// Passes per check, in the probe's check order.
    public var checkPasses: [UInt64]
    /// Failures per check, in the probe's check order.
    public var checkFails: [UInt64]
    /// Bytes sent, headers included.
    public var bytesSent: UInt64 = 0
    /// Bytes received, headers included.
    public var bytesReceived: UInt64 = 0
    /// Trends, indexed by `Trend.rawValue`.
    public var trends: [LogLinearHistogram]
    /// `kalm_http_request_duration_seconds` (expected responses only).
    public var durationBuckets: BucketHistogram
    /// The native part of `kalm_http_request_duration_seconds` (`agent.native_histograms`); nil when off.
    public var durationNative: NativeHistogram?
    /// The latest traced request per `durationBuckets` bucket (the overflow last): the
    /// histogram's exemplars. Empty until a request of a probe with `trace:` arrives.
    public var durationExemplars: [Exemplar?] = []
    /// The slowest recent traced requests, for the status page; nil until one arrives.
    public var slowTraces: SlowTraces?
    /// `kalm_http_request_phase_seconds`, indexed by `Phase.rawValue`.
    public var phaseBuckets: [BucketHistogram]
    /// `kalm_iteration_start_lag_seconds`.
    public var startLagBuckets: BucketHistogram
    /// The last iteration's outcome and when it ended (monotonic ns); 0 = none yet.
    public var lastSuccess: Bool = false
    /// Monotonic nanoseconds when the last request finished; 0 = none yet.
    public var lastFinishedAt: UInt64 = 0
    /// Monotonic nanoseconds when the last successful request finished; 0 = none yet.
    public var lastSuccessAt: UInt64 = 0
    /// Earliest certificate expiry seen (Unix seconds), HTTPS probes.
    public var certExpiry: Double?
    /// `http_req_duration` per status, for the statuses thresholds select (`StatsLayout.statusTrends`).
    public var statusDurations: [(status: Int, trend: LogLinearHistogram)]

    /// Empty stats for a probe with `checkCount` checks, shaped by `layout`.
    public init(checkCount: Int, layout: StatsLayout) {
        requestsByCode = StatusCounts()
        failuresByReason = Array(repeating: 0, count: FailureReason.allCases.count)
        checkPasses = Array(repeating: 0, count: checkCount)
        checkFails = Array(repeating: 0, count: checkCount)
        trends = Trend.allCases.map { _ in LogLinearHistogram(bits: layout.trendBits) }
        durationBuckets = BucketHistogram(bounds: layout.buckets)
        durationNative = layout.native.map(NativeHistogram.init)
        phaseBuckets = Phase.allCases.map { _ in BucketHistogram(bounds: layout.phaseBuckets) }
        startLagBuckets = BucketHistogram(bounds: layout.phaseBuckets)
        statusDurations = layout.statusTrends.map { ($0, LogLinearHistogram(bits: layout.trendBits)) }
    }

    /// Requests over every status code, 0 (no response) included.
    public var requests: UInt64 { requestsByCode.total }
    /// Failed requests over every reason.
    public var failedRequests: UInt64 { failuresByReason.reduce(0, &+) }
    /// Iterations recorded: succeeded plus failed.
    public var iterations: UInt64 { iterationsSucceeded &+ iterationsFailed }

    /// Adds one request's result: counts, trends, histograms (phases only when a response arrived) and the last outcome.
    public mutating func record(_ r: RequestResult) {
        requestsByCode.add(r.status)
        if let f = r.failure { failuresByReason[Int(f.rawValue)] &+= 1 }
        if r.endsIteration {
            if r.iterationSuccess { iterationsSucceeded &+= 1 } else { iterationsFailed &+= 1 }
        }
        for i in 0..<r.checkCount where r.checkBase + i < checkPasses.count {
            if r.checkPassed(i) { checkPasses[r.checkBase + i] &+= 1 } else { checkFails[r.checkBase + i] &+= 1 }
        }
        bytesSent &+= UInt64(r.bytesSent)
        bytesReceived &+= UInt64(r.bytesReceived)
        guard !r.unsent else { return recordOutcome(r) }
        trends[Trend.duration.rawValue].record(r.duration)
        trends[Trend.blocked.rawValue].record(r.blocked)
        trends[Trend.connecting.rawValue].record(r.connect)
        trends[Trend.tlsHandshaking.rawValue].record(r.tls)
        trends[Trend.sending.rawValue].record(r.send)
        trends[Trend.waiting.rawValue].record(r.wait)
        trends[Trend.receiving.rawValue].record(r.receive)
        for i in 0..<statusDurations.count where statusDurations[i].status == r.status {
            statusDurations[i].trend.record(r.duration)
        }
        if r.expectedResponse {
            trends[Trend.durationExpected.rawValue].record(r.duration)
            let bucket = durationBuckets.record(micros: r.duration)
            durationNative?.record(micros: r.duration)
            if r.trace.isSet { recordExemplar(r, bucket: bucket) }
        }
        if r.status > 0 {
            phaseBuckets[Phase.dns.rawValue].record(micros: r.dns)
            phaseBuckets[Phase.connect.rawValue].record(micros: r.connect)
            phaseBuckets[Phase.tls.rawValue].record(micros: r.tls)
            phaseBuckets[Phase.send.rawValue].record(micros: r.send)
            phaseBuckets[Phase.wait.rawValue].record(micros: r.wait)
            phaseBuckets[Phase.receive.rawValue].record(micros: r.receive)
        }
        recordOutcome(r)
    }

    /// Keeps a traced request as its bucket's exemplar and among the slowest recent ones.
    private mutating func recordExemplar(_ r: RequestResult, bucket: Int) {
        let e = Exemplar(trace: r.trace, seconds: Double(r.duration) / 1e6,
                         unixSeconds: MonotonicClock.wallSeconds(ofMonotonic: r.finishedAt))
        if durationExemplars.isEmpty { durationExemplars = Array(repeating: nil, count: durationBuckets.counts.count) }
        durationExemplars[bucket] = e
        if slowTraces == nil { slowTraces = SlowTraces() }
        slowTraces?.record(e, now: r.finishedAt)
    }

    /// The last iteration's outcome.
    private mutating func recordOutcome(_ r: RequestResult) {
        if r.endsIteration {
            lastSuccess = r.iterationSuccess
            lastFinishedAt = r.finishedAt
            if r.iterationSuccess { lastSuccessAt = r.finishedAt }
        }
    }

    /// Counts one ended iteration and adds its duration, in microseconds, to the `iteration_duration` trend.
    public mutating func recordIteration(durationMicros: Int64) {
        iterationsEnded &+= 1
        trends[Trend.iterationDuration.rawValue].record(durationMicros)
    }

    /// Adds `o` into this: another shard's stats of the same probe, or (with
    /// `includingChecks: false`) another probe's, for totals over probes.
    public mutating func merge(_ o: ProbeStats, includingChecks: Bool = true) {
        requestsByCode.merge(o.requestsByCode)
        for i in 0..<failuresByReason.count { failuresByReason[i] &+= o.failuresByReason[i] }
        iterationsSucceeded &+= o.iterationsSucceeded
        iterationsFailed &+= o.iterationsFailed
        iterationsEnded &+= o.iterationsEnded
        droppedIterations &+= o.droppedIterations
        for i in 0..<checkPasses.count where includingChecks {
            checkPasses[i] &+= o.checkPasses[i]
            checkFails[i] &+= o.checkFails[i]
        }
        bytesSent &+= o.bytesSent
        bytesReceived &+= o.bytesReceived
        for i in 0..<trends.count { trends[i].merge(o.trends[i]) }
        durationBuckets.merge(o.durationBuckets)
        if let n = o.durationNative { durationNative?.merge(n) }
        if durationExemplars.isEmpty { durationExemplars = o.durationExemplars }
        for (i, e) in o.durationExemplars.enumerated() where i < durationExemplars.count {
            if let e, e.unixSeconds > durationExemplars[i]?.unixSeconds ?? -1 { durationExemplars[i] = e }
        }
        if let t = o.slowTraces {
            if slowTraces == nil { slowTraces = t } else { slowTraces?.merge(t) }
        }
        for i in 0..<phaseBuckets.count { phaseBuckets[i].merge(o.phaseBuckets[i]) }
        startLagBuckets.merge(o.startLagBuckets)
        for i in 0..<min(statusDurations.count, o.statusDurations.count) where statusDurations[i].status == o.statusDurations[i].status {
            statusDurations[i].trend.merge(o.statusDurations[i].trend)
        }
        if o.lastFinishedAt > lastFinishedAt {
            lastFinishedAt = o.lastFinishedAt
            lastSuccess = o.lastSuccess
        }
        lastSuccessAt = max(lastSuccessAt, o.lastSuccessAt)
        if let e = o.certExpiry { certExpiry = min(certExpiry ?? e, e) }
    }
}
