/// One `/latency` request as the server saw it.
public struct LatencyLogEntry: Sendable {
    /// The request's `tag=` query value ("" without one): tells clients apart.
    public var tag: String
    /// The delay drawn, milliseconds.
    public var ms: Int
    /// The `traceparent` header, if the request carried one.
    public var traceparent: String?
    /// The `tracestate` header, if the request carried one.
    public var tracestate: String?
    /// Seconds from the delay's start to the answer (the delay plus the timer's lateness).
    public var elapsed: Double = 0
    /// Unix seconds when the request arrived.
    public var arrivedAt: Double = 0
}
