import Measurements
import Probes

/// One entry of `scenarios:`: what the engine runs plus when the agent runs it.
struct ScenarioConfig: Sendable, Equatable {
    var name: String
    /// Probes resolved (default: all probes), executor, think time, connection reuse, graceful stop.
    var spec: ScenarioSpec
    /// The probes' names as resolved, in `spec.probes` order.
    var probeNames: [String]
    /// The probes it runs as the config names them (a fleet template once): what
    /// `Fleet.expand` expands.
    var declaredProbes: [String] = []
    /// `kalm agent` runs it forever.
    var continuous: Bool
    /// 5-field cron text (fields validated later by the scheduler).
    var schedule: String?
    /// Run every this many seconds.
    var every: Double?
    /// IANA zone for `schedule` (UTC when nil).
    var timezone: String?
    /// Scenario-scoped thresholds; they add to the top-level ones.
    var thresholds: [ThresholdDeclaration]
    /// Metric keys whose thresholds stop the run when they fail; nil means all (breakpoint tests).
    var abortOn: [String]?
    /// Where the scenario's name is written.
    var line: Int
    var column: Int

    /// Neither continuous nor scheduled: a one-shot `kalm run` scenario.
    var isOneShot: Bool { !continuous && schedule == nil && every == nil }
}
