/// The outcome of one request (one iteration's request). A plain value: recording it never allocates.
///
/// Phase times are microseconds, derived from libcurl's `CURLINFO_*_TIME_T` as docs/metrics.md ("Phases")
/// defines them, each clamped at 0.
public struct RequestResult: Sendable {
    /// Index of the probe in the running scenario's `probes`.
    public var probe: Int
    /// Index of the step in the probe's `steps` (0 for a single-request probe).
    public var step: Int
    /// Index in the probe's `checks` of this step's first check: bit i of `checksPassed` is check `checkBase + i`.
    public var checkBase: Int
    /// Whether this request ended its iteration (always, for a single-request probe).
    public var endsIteration: Bool
    /// A step that failed before anything was sent (no token, a missing captured value): it
    /// counts as a failed request with code 0 but adds no durations.
    public var unsent: Bool
    /// With `endsIteration`, a journey's outcome: whether every step it ran succeeded; nil: `success` (a single request).
    public var iterationSucceeded: Bool?
    /// HTTP status of the last response, or 0 when none arrived.
    public var status: Int
    /// Nil when the request succeeded (completed with an expected status).
    public var failure: FailureReason?
    /// DNS lookup time, in microseconds.
    public var dns: Int64
    /// TCP connect time after the DNS lookup, in microseconds.
    public var connect: Int64
    /// TLS handshake time, in microseconds (0 without a handshake).
    public var tls: Int64
    /// k6 `http_req_blocked`: time before the request could be sent (pretransfer).
    public var blocked: Int64
    /// Time spent sending the request body, in microseconds (0 without a body).
    public var send: Int64
    /// Time from the request sent to the first response byte, in microseconds.
    public var wait: Int64
    /// Time from the first response byte to completion, in microseconds.
    public var receive: Int64
    /// send + wait + receive (k6 `http_req_duration`).
    public var duration: Int64
    /// Bytes sent: request headers plus body.
    public var bytesSent: Int64
    /// Bytes received: response headers plus body.
    public var bytesReceived: Int64
    /// Bit i set: check i passed. Only the low `checkCount` bits mean anything.
    public var checksPassed: UInt64
    /// Number of the probe's checks: the meaningful bits of `checksPassed`.
    public var checkCount: Int
    /// The step succeeded: completed, expected status, every check passed, every capture found.
    public var success: Bool
    /// Monotonic nanoseconds (see `MonotonicClock`) when the request completed.
    public var finishedAt: UInt64
    /// The W3C trace id sent in `traceparent` (a probe with `trace:`); `.none` otherwise.
    public var trace: TraceID

    /// An empty result for probe index `probe`: no status, no failure, all times 0, not successful.
    public init(probe: Int) {
        self.probe = probe
        step = 0
        checkBase = 0
        endsIteration = true
        unsent = false
        iterationSucceeded = nil
        status = 0
        failure = nil
        dns = 0; connect = 0; tls = 0; blocked = 0; send = 0; wait = 0; receive = 0; duration = 0
        bytesSent = 0; bytesReceived = 0
        checksPassed = 0; checkCount = 0
        success = false
        finishedAt = 0
        trace = .none
    }

    /// k6's `expected_response:true`: a response arrived and its status is expected.
    @inlinable public var expectedResponse: Bool { failure == nil }

    /// With `endsIteration`: whether the iteration succeeded.
    @inlinable public var iterationSuccess: Bool { iterationSucceeded ?? success }

    /// Whether check `i` passed.
    @inlinable public func checkPassed(_ i: Int) -> Bool { checksPassed & (1 << UInt64(i)) != 0 }
}
