import Foundation
import Measurements
import Probes
import Yams

/// Turns the YAML tree into a `KalmConfig`, recording every problem in its `DecodeContext`.
///
/// Sections live in `ConfigDecoder+Agent.swift`, `+Probe`, `+Request`, `+Check`,
/// `+Scenario` and `+Thresholds`. Each decode function returns nil (after
/// recording errors) when its part is unusable, and carries on with the rest.
final class ConfigDecoder {
    let context: DecodeContext

    init(context: DecodeContext) {
        self.context = context
    }

    static let topLevelKeys = ["agent", "probes", "scenarios", "thresholds"]

    /// Decodes the whole document; nil when something is missing (errors are in the context).
    func decode(root: StrictNode, sourcePath: String) -> KalmConfig? {
        guard let m = root.mapping(keys: Self.topLevelKeys, what: "a mapping with probes: (and agent:, scenarios:, thresholds:)")
        else { return nil }
        let agent = m["agent"].flatMap(decodeAgent) ?? .default
        let probeNodes = m.required("probes", example: "probes: [{name: api, request: {url: https://example.com/}}]")
        let probes = probeNodes.flatMap { decodeProbes($0, agentLabels: agent.labels.map(\.0)) }
        let thresholds = m["thresholds"].flatMap(decodeThresholds) ?? []
        let scenarios = m["scenarios"].flatMap {
            decodeScenarios($0, probes: probes?.specs ?? [], probeNames: probes?.names, topThresholds: thresholds)
        } ?? []
        guard let probes else { return nil }
        var config = KalmConfig(sourcePath: sourcePath, agent: agent, probes: probes.specs, scenarios: scenarios,
                                thresholds: thresholds)
        config.templates = probes.specs
        config.fleets = probes.fleets
        config.scenarioTemplates = scenarios
        return config
    }

    // MARK: Shared helpers

    /// Kalm's own label names: a config label may not reuse them.
    static let reservedLabels: Set<String> = [
        "probe", "scenario", "code", "reason", "phase", "result", "check", "window", "quantile", "le", "stat",
        "metric", "threshold", "step", "target",
    ]

    /// Prometheus's label-name rule: `[a-zA-Z_][a-zA-Z0-9_]*`.
    static func isValidLabelName(_ name: String) -> Bool {
        name.range(of: "^[a-zA-Z_][a-zA-Z0-9_]*$", options: .regularExpression) != nil
    }

    /// `labels:` of the agent or a probe, sorted by name.
    /// - Parameter taken: label names already set elsewhere (a probe may not repeat an agent label).
    func decodeLabels(_ node: StrictNode, taken: [String] = [], takenWhere: String = "") -> [(String, String)]? {
        guard let entries = node.freeMapping(what: "a mapping of label names to values, e.g. {team: pricing}") else {
            return nil
        }
        var labels: [(String, String)] = []
        var ok = true
        for e in entries {
            let path = e.value.path
            let name = e.key
            if !Self.isValidLabelName(name) {
                context.error("invalid label name \"\(name)\"; use letters, digits and _, not starting with a digit",
                              at: e.keyMark, path: path)
                ok = false
            } else if name.hasPrefix("__") {
                context.error("label names starting with \"__\" are reserved by Prometheus; rename \"\(name)\"",
                              at: e.keyMark, path: path)
                ok = false
            } else if Self.reservedLabels.contains(name) {
                context.error("\"\(name)\" is one of kalm's own labels; choose another name", at: e.keyMark, path: path)
                ok = false
            } else if taken.contains(name) {
                context.error("label \"\(name)\" is already set in \(takenWhere); a series cannot carry it twice",
                              at: e.keyMark, path: path)
                ok = false
            }
            guard let value = e.value.string(what: "a label value (text)") else {
                ok = false
                continue
            }
            if value.isEmpty {
                e.value.fail("empty label value; Prometheus treats it as no label: give a value or remove the label")
                ok = false
            }
            labels.append((name, value))
        }
        return ok ? labels.sorted { $0.0 < $1.0 } : nil
    }

    /// Names of probes and scenarios: `[a-zA-Z0-9_]+`.
    static func isValidName(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// Runs `body` and tells whether it recorded any error.
    func recordsNoErrors(_ body: () -> Void) -> Bool {
        let before = context.errors.count
        body()
        return context.errors.count == before
    }
}
