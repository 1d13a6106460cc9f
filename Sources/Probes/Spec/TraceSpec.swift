/// A probe's `trace:` (docs/configuration.md, "Tracing"): every request carries a W3C
/// `traceparent` with a fresh trace id, sampled, and the `tracestate` given here, if any.
public struct TraceSpec: Sendable, Equatable {
    /// The `tracestate` header sent unchanged with every request; nil: none.
    public var traceState: String?

    /// Tracing, with `traceState` passed through.
    public init(traceState: String? = nil) {
        self.traceState = traceState
    }
}
