import Foundation
import Measurements
import Probes

extension ConfigDecoder {
    /// Each executor's own keys, k6's executors in k6's order.
    static let executorKeys: [(name: String, keys: [String])] = [
        ("constant-vus", ["vus", "duration"]),
        ("ramping-vus", ["start_vus", "stages", "graceful_ramp_down"]),
        ("constant-arrival-rate", ["rate", "time_unit", "duration", "preallocated_vus", "max_vus"]),
        ("ramping-arrival-rate", ["start_rate", "time_unit", "stages", "preallocated_vus", "max_vus"]),
    ]
    static var allExecutorKeys: [String] {
        var keys: [String] = []
        for (_, ks) in executorKeys { for k in ks where !keys.contains(k) { keys.append(k) } }
        return keys
    }

    /// The executor's own keys checked against the others', then its values with k6's defaults.
    func decodeExecutor(_ name: String, _ m: StrictMapping, continuous: Bool) -> ExecutorSpec? {
        guard let own = Self.executorKeys.first(where: { $0.name == name })?.keys else { return nil }
        var misplaced = false
        for e in m.entries where Self.allExecutorKeys.contains(e.key) && !own.contains(e.key) {
            let isVU = name.hasSuffix("-vus")
            let owners = Self.executorKeys.filter { $0.keys.contains(e.key) }.map(\.name)
                .sorted { ($0.hasSuffix("-vus") == isVU ? 0 : 1) < ($1.hasSuffix("-vus") == isVU ? 0 : 1) }
            let use = owners.count > 1 ? "\(owners[0]) (or \(owners.dropFirst().joined(separator: ", ")))" : owners[0]
            context.error("\"\(e.key)\" is not a key of \(name); use executor: \(use), or remove it",
                          at: e.keyMark, path: e.value.path)
            misplaced = true
        }
        if continuous, name.hasPrefix("ramping"), let c = m.entry("continuous") {
            context.error("continuous: true needs constant-vus or constant-arrival-rate (a ramp ends); run ramps with schedule: or every:",
                          at: c.keyMark, path: c.value.path)
            misplaced = true
        }

        func duration() -> Double? {
            if continuous {
                if let d = m.entry("duration") {
                    context.error("duration conflicts with continuous: true (a continuous scenario runs until stopped; `kalm run` takes --duration); remove one",
                                  at: d.keyMark, path: d.value.path)
                    return nil
                }
                return .infinity
            }
            return m.required("duration", example: "duration: 5m (or continuous: true to run forever)")?.duration(positive: true)
        }
        func preallocated() -> (Int, Int)? {
            let pre = m.required("preallocated_vus", example: "preallocated_vus: 10")?.int(min: 1)
            guard let pre else { return nil }
            guard let n = m["max_vus"] else { return (pre, pre) }
            guard let max = n.int(min: 1) else { return nil }
            guard max >= pre else {
                n.fail("max_vus (\(n.hasReferences ? n.quoted : String(max))) must be at least preallocated_vus (\(pre))")
                return nil
            }
            return (pre, max)
        }
        func rate(_ key: String, required: Bool, positive: Bool) -> Double? {
            let n = required ? m.required(key, example: "\(key): 50") : m[key]
            guard let n else { return required ? nil : 0 }
            guard let v = n.double(what: "a number of iterations per time_unit") else { return nil }
            guard v > 0 || (!positive && v == 0) else {
                n.fail("\(key) must be \(positive ? "greater than 0" : "0 or more"), got \(n.quoted)")
                return nil
            }
            return v
        }

        var result: ExecutorSpec?
        switch name {
        case "constant-vus":
            let vus = m["vus"].map { $0.int(min: 1) } ?? 1
            let d = duration()
            if let vus, let d { result = .constantVUs(vus: vus, duration: d) }
        case "ramping-vus":
            let start = m["start_vus"].map { $0.int(min: 0) } ?? 1
            let stages = m.required("stages", example: "stages: [{duration: 1m, target: 10}]").flatMap { decodeStages($0, wholeTargets: true) }
            let rampDown = m["graceful_ramp_down"].map { $0.duration() } ?? 30
            if let start, let stages, let rampDown {
                result = .rampingVUs(startVUs: start, stages: stages, gracefulRampDown: rampDown)
            }
        case "constant-arrival-rate":
            let r = rate("rate", required: true, positive: true)
            let unit = m["time_unit"].map { $0.duration(positive: true) } ?? 1
            let d = duration()
            let vus = preallocated()
            if let r, let unit, let d, let vus {
                result = .constantArrivalRate(rate: r, timeUnit: unit, duration: d, preallocatedVUs: vus.0, maxVUs: vus.1)
            }
        default:
            let start = rate("start_rate", required: false, positive: false)
            let unit = m["time_unit"].map { $0.duration(positive: true) } ?? 1
            let stages = m.required("stages", example: "stages: [{duration: 10m, target: 200}]").flatMap { decodeStages($0, wholeTargets: false) }
            let vus = preallocated()
            if let start, let unit, let stages, let vus {
                result = .rampingArrivalRate(startRate: start, timeUnit: unit, stages: stages, preallocatedVUs: vus.0, maxVUs: vus.1)
            }
        }
        return misplaced ? nil : result
    }

    /// `stages: [{duration: 10m, target: 100}, ...]`: non-empty, lasting more than 0 in total.
    func decodeStages(_ node: StrictNode, wholeTargets: Bool) -> [Stage]? {
        guard let items = node.sequence(what: "a list of stages like {duration: 1m, target: 10}") else { return nil }
        guard !items.isEmpty else {
            node.fail("no stages; list at least one, e.g. [{duration: 1m, target: 10}]")
            return nil
        }
        var stages: [Stage] = []
        var ok = true
        for item in items {
            guard let sm = item.mapping(keys: ["duration", "target"], what: "a stage like {duration: 1m, target: 10}") else {
                ok = false
                continue
            }
            let d = sm.required("duration", example: "duration: 1m")?.duration()
            var target: Double?
            if let t = sm.required("target", example: "target: 10"),
               let v = t.double(what: wholeTargets ? "a number of VUs" : "a number of iterations per time_unit") {
                if v < 0 { t.fail("target must be 0 or more, got \(t.quoted)") }
                else if wholeTargets, v != v.rounded() { t.fail("target is a number of VUs: write a whole number, got \(t.quoted)") }
                else { target = v }
            }
            guard let d, let target else {
                ok = false
                continue
            }
            stages.append(Stage(duration: d, target: target))
        }
        if ok, stages.allSatisfy({ $0.duration == 0 }) {
            node.fail("the stages last 0s in total; give at least one stage a duration")
            ok = false
        }
        return ok ? stages : nil
    }
}
