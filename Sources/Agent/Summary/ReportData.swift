/// What an HTML report (`--report F.html` on `kalm run` and `kalm merge`) shows: the run
/// over time, per probe and step, and the thresholds (docs/configuration.md, "Reports").
/// Built from one run's recorders or from merged parts; rendered by `HTMLReport`.
struct ReportData: Sendable {
    /// The scenario's name.
    var scenario: String
    /// The executor, as k6 names it (`constant-vus`, `ramping-arrival-rate`, …).
    var executor: String
    /// Unix seconds of the first slot's start.
    var startedAt: Double
    /// Seconds per slot of `timeline`.
    var slotSeconds: Double
    /// The run over time, one slot per `slotSeconds` from `startedAt`.
    var timeline: [ReportSlot]
    /// Per probe (and per step of a journey, `step` set), in config order.
    var probes: [ReportProbe]
    /// Every threshold and its verdict.
    var thresholds: [ReportThreshold]
    /// How many parts were merged (1 for a single run).
    var parts: Int
    /// Whether the run (or the merge) passed its thresholds.
    var passed: Bool
}

/// One slot of the timeline.
struct ReportSlot: Sendable, Equatable {
    /// Requests finished in the slot.
    var requests: UInt64
    /// Failed requests among them.
    var failed: UInt64
    /// Latency quantiles of the slot's answered requests, seconds; nil without one.
    var p50: Double?
    var p95: Double?
    var p99: Double?
    /// VUs active at the slot's end (summed over parts).
    var activeVUs: Int
    /// Iterations started in the slot (arrival-rate executors: the arrival rate × slot).
    var iterationsStarted: UInt64
    /// Arrival-rate iterations dropped in the slot (no free VU).
    var dropped: UInt64
}

/// One row of the per-probe table.
struct ReportProbe: Sendable, Equatable {
    var probe: String
    /// A journey step's name; nil for the probe's own row.
    var step: String?
    var requests: UInt64
    var failed: UInt64
    /// `http_req_duration` quantiles and extremes, seconds; nil without an answered request.
    var p50: Double?
    var p90: Double?
    var p95: Double?
    var p99: Double?
    var max: Double?
    /// Checks: name, passes, failures.
    var checks: [ReportCheck]
}

/// One check's counts.
struct ReportCheck: Sendable, Equatable {
    var name: String
    var passes: UInt64
    var fails: UInt64
}

/// One threshold's verdict.
struct ReportThreshold: Sendable, Equatable {
    /// The metric key as written (`http_req_duration{probe:api}`).
    var metric: String
    /// The expression as written (`p(95)<300`).
    var expression: String
    /// The observed value, formatted as the summary prints it.
    var observed: String
    var ok: Bool
}
