/// Receives what an engine thread measures. Each engine thread has its own sink
/// (from `ResultSinkFactory`), and calls it only from that thread, so an
/// implementation needs no lock against other engine threads; it needs one only
/// against its readers (the exporter on scrape).
public protocol ResultSink: AnyObject, Sendable {
    /// One request completed (successfully or not).
    func record(_ result: RequestResult)
    /// One iteration ended, think time included (k6 `iteration_duration`).
    func recordIteration(probe: Int, duration: Duration)
    /// An arrival-rate iteration could not start: no free VU.
    func recordDroppedIteration(probe: Int)
    /// How late an arrival-rate iteration started against its schedule.
    func recordStartLag(probe: Int, lag: Duration)
    /// The earliest certificate expiry in the chain an HTTPS probe saw (Unix seconds).
    func recordCertificateExpiry(probe: Int, unixSeconds: Double)
    /// One OAuth2 token fetch of probe `probe` ended: `failure` nil when it got a token.
    /// Called from the probe's token thread, not an engine thread.
    func recordTokenFetch(probe: Int, failure: FailureReason?, duration: Duration)
}

extension ResultSink {
    /// Ignores dropped iterations.
    public func recordDroppedIteration(probe: Int) {}
    /// Ignores start lag.
    public func recordStartLag(probe: Int, lag: Duration) {}
    /// Ignores certificate expiry.
    public func recordCertificateExpiry(probe: Int, unixSeconds: Double) {}
    /// Ignores token fetches.
    public func recordTokenFetch(probe: Int, failure: FailureReason?, duration: Duration) {}
}

/// Makes the sink for engine thread `index`.
public typealias ResultSinkFactory = (_ threadIndex: Int) -> ResultSink
