import Exporter
import Foundation
import KalmSupport
import Measurements
import Probes

extension ConfigDecoder {
    static let scenarioCommonKeys = [
        "probes", "executor", "think_time", "connection_reuse", "continuous", "schedule", "every", "timezone",
        "thresholds", "abort_on", "graceful_stop",
    ]
    /// `scenarios:`, in file order.
    /// - Parameter probeNames: every probe name written; nil when `probes:` itself is unusable
    ///   (then scenarios' probe lists are not checked, to avoid a cascade of errors).
    func decodeScenarios(_ node: StrictNode, probes: [ProbeSpec], probeNames: [String]?,
                         topThresholds: [ThresholdDeclaration]) -> [ScenarioConfig]? {
        guard let entries = node.freeMapping(what: "a mapping of scenario names to scenarios") else { return nil }
        var result: [ScenarioConfig] = []
        for e in entries {
            if e.key.isEmpty || !e.key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
                context.error("invalid scenario name \"\(e.key)\"; use letters, digits, _ and - (it becomes the scenario label)",
                              at: e.keyMark, path: e.value.path)
            }
            if let s = decodeScenario(e, probes: probes, probeNames: probeNames, topThresholds: topThresholds) {
                result.append(s)
            }
        }
        return result
    }

    /// One scenario; nil when it has any error.
    func decodeScenario(_ e: StrictMapping.Entry, probes: [ProbeSpec], probeNames knownNames: [String]?,
                        topThresholds: [ThresholdDeclaration]) -> ScenarioConfig? {
        var config: ScenarioConfig?
        let clean = recordsNoErrors {
            let node = e.value
            var hints: [String: String] = [:]
            for k in Self.probeKeys + Self.requestKeys where k != "name" {
                hints[k] = "\"\(k)\" is a probe setting; put it on the probe under probes:"
            }
            guard let m = node.mapping(keys: Self.scenarioCommonKeys + Self.allExecutorKeys, hints: hints,
                                       what: "a scenario mapping (executor:, vus:, ...)") else { return }

            // Probes.
            var chosen: [ProbeSpec] = []
            var chosenNames: [String] = []
            let probeNames = knownNames ?? []
            if let n = m["probes"] {
                for item in n.sequenceOrScalar(what: "a list of probe names") ?? [] {
                    guard let name = item.string(what: "a probe name") else { continue }
                    if chosenNames.contains(name) {
                        item.fail("probe \(item.quoted) is listed twice; remove one")
                    } else if let knownNames, !knownNames.contains(name) {
                        var msg = "no probe is named \(item.quoted)"
                        if let s = EditDistance.suggest(name, from: probeNames) { msg += "; did you mean \"\(s)\"?" }
                        else { msg += "; probes: \(probeNames.joined(separator: ", "))" }
                        item.fail(msg)
                    } else {
                        chosenNames.append(name)
                        if let p = probes.first(where: { $0.name == name }) { chosen.append(p) }
                    }
                }
                if case .sequence(let s) = n.node, s.isEmpty {
                    n.fail("no probes listed; name at least one, or remove probes: to run every probe")
                }
            } else {
                chosen = probes
                chosenNames = probeNames
            }

            // When: continuous, schedule or every.
            let continuous = m["continuous"].flatMap { $0.bool() } ?? false
            let when = ["continuous", "schedule", "every"].compactMap { k in m.entry(k) }
                .filter { !($0.key == "continuous" && !continuous) }
            for extra in when.dropFirst() {
                context.error("\"\(when[0].key)\" and \"\(extra.key)\" cannot both be set: a scenario runs continuously, on a cron schedule, or every interval",
                              at: extra.keyMark, path: extra.value.path)
            }
            var schedule: String?
            if let n = m["schedule"], let s = n.string(what: "a 5-field cron expression") {
                let fields = s.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.count == 5 || CronExpression.macros[s.lowercased()] != nil {
                    do {
                        _ = try CronExpression(s)
                        schedule = CronExpression.macros[s.lowercased()] != nil ? s.lowercased() : fields.joined(separator: " ")
                    } catch {
                        n.fail("\(error)")
                    }
                } else {
                    n.fail("schedule \(n.quoted) has \(fields.count) field\(fields.count == 1 ? "" : "s"); write 5: minute hour day-of-month month day-of-week, e.g. \"0 2 * * 0\"")
                }
            }
            let every = m["every"].flatMap { $0.duration(positive: true) }
            var timezone: String?
            if let tz = m.entry("timezone") {
                if !m.has("schedule") {
                    context.error("timezone only applies to schedule:; remove it or add a schedule", at: tz.keyMark, path: tz.value.path)
                } else if let s = tz.value.string(what: "an IANA time zone name like Europe/Paris") {
                    if TimeZone(identifier: s) != nil { timezone = s }
                    else { tz.value.invalid("timezone", reason: nil, fix: "use an IANA name such as UTC, Europe/Paris or America/New_York") }
                }
            }

            // Executor.
            let executorName = m["executor"].flatMap { $0.oneOf(Self.executorKeys.map(\.name), what: "executor") }
                ?? (m.has("executor") ? nil : "constant-vus")
            var executor: ExecutorSpec?
            if let executorName {
                executor = decodeExecutor(executorName, m, continuous: continuous)
            }

            // The rest.
            var thinkTime = ThinkTime.zero
            if let n = m["think_time"], let t = decodeThinkTime(n) { thinkTime = t }
            let reuse = m["connection_reuse"].flatMap { $0.bool() } ?? true
            let gracefulStop = m["graceful_stop"].flatMap { $0.duration() } ?? 30
            let thresholds = m["thresholds"].flatMap(decodeThresholds) ?? []
            var abortOn: [String]?
            if let n = m["abort_on"] {
                abortOn = decodeAbortOn(n, thresholds: topThresholds + thresholds)
            }

            guard let executor else { return }
            config = ScenarioConfig(
                name: e.key,
                spec: ScenarioSpec(name: e.key, probes: chosen, executor: executor, thinkTime: thinkTime,
                                   connectionReuse: reuse, gracefulStop: gracefulStop),
                probeNames: chosenNames, declaredProbes: chosenNames, continuous: continuous, schedule: schedule, every: every, timezone: timezone,
                thresholds: thresholds, abortOn: abortOn, line: e.keyMark?.line ?? 0, column: e.keyMark?.column ?? 0)
        }
        return clean ? config : nil
    }

    /// `think_time: 0.5s..2.5s` or `1s`.
    func decodeThinkTime(_ node: StrictNode) -> ThinkTime? {
        guard let text = node.string(what: "a duration like 1s or a range like 0.5s..2.5s") else { return nil }
        let fix = "write one duration (1s) or a range (0.5s..2.5s)"
        let parts = text.components(separatedBy: "..")
        guard parts.count <= 2 else {
            node.invalid("think_time", reason: "more than one \"..\"", fix: fix)
            return nil
        }
        var values: [Double] = []
        for p in parts {
            do {
                values.append(try GoDuration.parse(p))
            } catch {
                node.invalid("think_time", reason: (error as? ValueError)?.reason, fix: fix)
                return nil
            }
        }
        let lo = values[0], hi = values.count == 2 ? values[1] : values[0]
        guard lo >= 0, hi >= lo else {
            node.invalid("think_time", reason: lo < 0 ? "negative" : "the range goes down", fix: "write a range from low to high, e.g. 0.5s..2.5s")
            return nil
        }
        return ThinkTime(min: lo, max: hi)
    }

    /// `abort_on: [http_req_failed, ...]`: each must name a threshold that applies to the scenario.
    func decodeAbortOn(_ node: StrictNode, thresholds: [ThresholdDeclaration]) -> [String]? {
        guard let items = node.sequenceOrScalar(what: "a list of metric names with thresholds") else { return nil }
        var names: [String] = []
        let known = thresholds.map(\.metric) + thresholds.map(\.metricName)
        for item in items {
            guard let s = item.string(what: "a metric name") else { continue }
            guard known.contains(s) else {
                var msg = "no threshold on \(item.quoted) applies to this scenario"
                if let sug = EditDistance.suggest(s, from: known) { msg += "; did you mean \"\(sug)\"?" }
                else if !thresholds.isEmpty {
                    var seen: [String] = []
                    for m in thresholds.map(\.metric) where !seen.contains(m) { seen.append(m) }
                    msg += "; thresholds: \(seen.joined(separator: ", "))"
                } else { msg += "; add it under thresholds:" }
                item.fail(msg)
                continue
            }
            if !names.contains(s) { names.append(s) }
        }
        return names
    }
}
