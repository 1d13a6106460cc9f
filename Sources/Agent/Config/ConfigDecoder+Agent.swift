import Foundation

extension ConfigDecoder {
    static let agentKeys = ["labels", "windows", "quantiles", "buckets", "phase_buckets", "shard", "series_budget",
                            "native_histograms", "trace_url"]
    /// Keys docs/configuration.md lists as planned.
    static let agentPlannedKeys = ["state_file"]

    /// `agent:`; defaults for whatever is left out.
    func decodeAgent(_ node: StrictNode) -> AgentSettings? {
        guard let m = node.mapping(keys: Self.agentKeys, planned: Self.agentPlannedKeys) else { return nil }
        var settings = AgentSettings.default
        if let n = m["labels"], let labels = decodeLabels(n) { settings.labels = labels }
        if let n = m["windows"], let w = decodeWindows(n) { settings.windows = w }
        if let n = m["quantiles"], let q = decodeQuantiles(n) { settings.quantiles = q }
        if let n = m["buckets"], let b = decodeBuckets(n, required: AgentSettings.requiredBuckets) { settings.buckets = b }
        if let n = m["phase_buckets"], let b = decodeBuckets(n, required: []) { settings.phaseBuckets = b }
        if let n = m["shard"] { settings.shard = decodeShard(n) }
        if let n = m["series_budget"], let b = n.int(min: 1, what: "a number of series") { settings.seriesBudget = b }
        if let n = m["native_histograms"], let spec = decodeNativeHistograms(n) { settings.nativeHistograms = spec }
        if let n = m["trace_url"], let u = decodeTraceURL(n) { settings.traceURL = u }
        return settings
    }

    /// `shard: {index: I, total: N}`: 0 ≤ I < N.
    func decodeShard(_ node: StrictNode) -> Shard? {
        guard let m = node.mapping(keys: ["index", "total"], what: "a mapping {index: I, total: N}") else { return nil }
        guard let t = m.required("total", example: "total: 3"), let total = t.int(min: 1, what: "the number of agents"),
              let i = m.required("index", example: "index: 0"), let index = i.int(min: 0, what: "this agent's index, from 0")
        else { return nil }
        guard index < total else {
            i.fail("index \(index) is not below total \(total); agents are numbered 0 to \(total - 1) (a StatefulSet's ordinal)")
            return nil
        }
        return Shard(index: index, total: total)
    }

    /// `windows: [1m, 5m, 15m, 1h]`: whole seconds, at least 1s, no repeats; returned shortest first.
    func decodeWindows(_ node: StrictNode) -> [WindowSetting]? {
        guard let items = node.sequence(what: "a list of durations, e.g. [1m, 5m, 15m, 1h]") else { return nil }
        guard !items.isEmpty else {
            node.fail("no windows; list at least one, e.g. [1m, 5m, 15m, 1h], or remove the key for that default")
            return nil
        }
        var windows: [WindowSetting] = []
        for item in items {
            guard let s = item.duration() else { continue }
            guard s >= 1, s == s.rounded() else {
                item.fail("a window must be a whole number of seconds, at least 1s; got \(item.quoted)")
                continue
            }
            let w = WindowSetting(name: GoDuration.format(seconds: s), seconds: s)
            if windows.contains(w) {
                item.fail("window \(w.name) is listed twice; remove one")
                continue
            }
            windows.append(w)
        }
        return windows.sorted { $0.seconds < $1.seconds }
    }

    /// `quantiles: [0.5, 0.9, 0.95, 0.99]`: each in 0...1, no repeats; returned ascending.
    func decodeQuantiles(_ node: StrictNode) -> [Double]? {
        guard let items = node.sequence(what: "a list of numbers between 0 and 1") else { return nil }
        guard !items.isEmpty else {
            node.fail("no quantiles; list at least one, e.g. [0.5, 0.9, 0.95, 0.99]")
            return nil
        }
        var qs: [Double] = []
        for item in items {
            guard let q = item.double(what: "a quantile between 0 and 1") else { continue }
            guard (0...1).contains(q) else {
                item.fail("a quantile must be between 0 and 1 (0.99 is the 99th percentile); got \(item.quoted)")
                continue
            }
            if qs.contains(q) {
                item.fail("quantile \(item.quoted) is listed twice; remove one")
                continue
            }
            qs.append(q)
        }
        return qs.sorted()
    }

    /// Histogram upper bounds in seconds: positive, strictly ascending, containing `required`.
    func decodeBuckets(_ node: StrictNode, required: [Double]) -> [Double]? {
        guard let items = node.sequence(what: "a list of bucket upper bounds in seconds") else { return nil }
        guard !items.isEmpty else {
            node.fail("no buckets; list upper bounds in seconds, or remove the key for the defaults")
            return nil
        }
        var bounds: [Double] = []
        var ok = true
        for item in items {
            guard let b = item.double(what: "a bucket bound in seconds") else {
                ok = false
                continue
            }
            guard b > 0 else {
                item.fail("a bucket bound must be greater than 0 (seconds); got \(item.quoted)")
                ok = false
                continue
            }
            if let last = bounds.last, b <= last {
                item.fail("bucket bounds must be strictly ascending: \(item.quoted) comes after \(Self.number(last)); sort them and remove repeats")
                ok = false
                continue
            }
            bounds.append(b)
        }
        let missing = required.filter { !bounds.contains($0) }
        if ok, !missing.isEmpty {
            node.fail("buckets must contain \(required.map(Self.number).joined(separator: " and ")) (the SLO latency bounds); add \(missing.map(Self.number).joined(separator: ", "))")
            ok = false
        }
        return ok ? bounds : nil
    }

    /// `0.2` → "0.2", `1.0` → "1".
    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
