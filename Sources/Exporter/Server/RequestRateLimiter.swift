import KalmSupport
import NIOCore

/// `rate_limit` of `--web.config.file` (exporter-toolkit's): a token bucket refilled with one
/// request per `interval`, holding at most `burst`; a request finding it empty is answered
/// 429 before any other work (docs/configuration.md, "The endpoint").
public final class RequestRateLimiter: Sendable {
    private let interval: TimeAmount
    private let burst: Int
    private let state: Locked<(tokens: Double, last: NIODeadline)>

    /// One request per `interval`, bursts of up to `burst` (at least 1).
    public init(interval: TimeAmount, burst: Int) {
        self.interval = interval
        self.burst = max(1, burst)
        self.state = Locked((Double(max(1, burst)), .now()))
    }

    /// Takes a token if one is there.
    public func allow(now: NIODeadline = .now()) -> Bool {
        state.withLock { s in
            let elapsed = Double((now - s.last).nanoseconds)
            s.tokens = min(Double(burst), s.tokens + elapsed / Double(interval.nanoseconds))
            s.last = now
            guard s.tokens >= 1 else { return false }
            s.tokens -= 1
            return true
        }
    }
}
