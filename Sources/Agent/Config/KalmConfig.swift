import Exporter
import Measurements
import Probes

/// A loaded and validated config file: what `kalm agent`, `kalm run` and `kalm check` work from.
struct KalmConfig: Sendable {
    /// The path the config was loaded from (or the source name given to `ConfigLoader.parse`).
    var sourcePath: String
    var agent: AgentSettings
    /// In file order, `${...}` expanded; a probe with `targets:` appears once per target this
    /// agent owns (`Fleet.expand`).
    var probes: [ProbeSpec]
    /// The probes as written, templates unexpanded: what a targets change expands again.
    var templates: [ProbeSpec] = []
    /// The probes with `targets:`.
    var fleets: [FleetTemplate] = []
    /// The scenarios as written, before expansion (one with no probe on this agent is not
    /// in `scenarios` until targets arrive).
    var scenarioTemplates: [ScenarioConfig] = []
    /// The targets read for them when `probes` was expanded.
    var fleetTargets = FleetTargets()

    /// This config with its fleets' targets read again (a file that fails keeps its last good
    /// targets) and expanded; the files that failed.
    func withTargetsReread() -> (KalmConfig, [Fleet.FileError]) {
        let (targets, errors) = Fleet.read(self, previous: fleetTargets)
        var out = Fleet.expand(self, targets: targets)
        out.fleetTargets = targets
        return (out, errors)
    }
    /// In file order.
    var scenarios: [ScenarioConfig]
    /// Top-level thresholds, in file order; they apply to every scenario.
    var thresholds: [ThresholdDeclaration]

    /// The thresholds that apply to a scenario: the top-level ones, then its own
    /// (only the top-level ones without a scenario).
    func thresholds(for scenario: ScenarioConfig?) -> [Threshold] {
        (thresholds + (scenario?.thresholds ?? [])).map(\.compiled)
    }
}
