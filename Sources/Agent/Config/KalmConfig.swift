import Probes

/// A loaded and validated config file: what `kalm agent`, `kalm run` and `kalm check` work from.
struct KalmConfig: Sendable {
    /// The path the config was loaded from (or the source name given to `ConfigLoader.parse`).
    var sourcePath: String
    var agent: AgentSettings
    /// In file order, `${...}` expanded.
    var probes: [ProbeSpec]
    /// In file order.
    var scenarios: [ScenarioConfig]
    /// Top-level thresholds, in file order; they apply to every scenario.
    var thresholds: [ThresholdDeclaration]

    /// The probe called `name`, if any.
    func probe(named name: String) -> ProbeSpec? {
        probes.first { $0.name == name }
    }

    /// The scenario called `name`, if any.
    func scenario(named name: String) -> ScenarioConfig? {
        scenarios.first { $0.name == name }
    }
}
