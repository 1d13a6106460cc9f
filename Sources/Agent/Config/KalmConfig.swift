import Exporter
import Measurements
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

    /// The thresholds that apply to a scenario: the top-level ones, then its own
    /// (only the top-level ones without a scenario).
    func thresholds(for scenario: ScenarioConfig?) -> [Threshold] {
        (thresholds + (scenario?.thresholds ?? [])).map(\.compiled)
    }
}
