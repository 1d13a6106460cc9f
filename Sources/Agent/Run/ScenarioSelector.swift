import Measurements
import Probes

/// Picks the scenario `kalm run` runs (README.md, `kalm run`): `--scenario NAME`; else the only
/// scenario; else the only one with neither `continuous` nor `schedule`/`every`.
enum ScenarioSelector {
    static func select(from config: KalmConfig, name: String?) throws -> ScenarioConfig? {
        let all = config.scenarios
        if let name {
            guard let s = all.first(where: { $0.name == name }) else {
                let names = all.map(\.name)
                throw UsageError(.noScenario, "--scenario \(name): no such scenario in \(config.sourcePath); "
                    + (names.isEmpty ? "the file defines none" : "choose one of: \(names.joined(separator: ", "))"))
            }
            return s
        }
        if all.isEmpty { return nil }
        if all.count == 1 { return all[0] }
        let oneShot = all.filter { !$0.continuous && $0.schedule == nil && $0.every == nil }
        if oneShot.count == 1 { return oneShot[0] }
        throw UsageError(.noScenario, "\(config.sourcePath) has \(all.count) scenarios; pick one with --scenario NAME: \(all.map(\.name).joined(separator: ", "))")
    }
}
