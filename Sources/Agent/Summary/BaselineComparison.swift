import Foundation

/// `--baseline F.json` and `--max-regression P%` (README.md): this run beside an earlier
/// export (kalm's or k6's), and whether it regressed.
struct BaselineComparison {
    struct Row {
        var metric: String
        var stat: String
        var baseline: Double
        var current: Double
        /// Percent change; nil when the baseline is 0.
        var changePercent: Double? {
            baseline == 0 ? nil : (current - baseline) / baseline * 100
        }
    }

    struct Verdict {
        var what: String
        var ok: Bool
        var detail: String
    }

    let path: String
    let rows: [Row]
    let verdicts: [Verdict]

    var passed: Bool { verdicts.allSatisfy(\.ok) }

    /// Reads the baseline's metrics. Throws `UsageError` naming the file when it is not an export.
    static func load(path: String) throws -> [String: [String: Double]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError(.unreadableFile, "--baseline: cannot read \(path)")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let metrics = obj["metrics"] as? [String: Any] else {
            throw UsageError(.unreadableFile, "--baseline: \(path) is not a --summary-export file (no \"metrics\" object); write one with kalm run or k6 run --summary-export")
        }
        var out: [String: [String: Double]] = [:]
        for (name, v) in metrics {
            guard let m = v as? [String: Any] else { continue }
            var stats: [String: Double] = [:]
            for (k, x) in m { if let d = (x as? NSNumber)?.doubleValue { stats[k] = d } }
            out[name] = stats
        }
        guard out["http_req_duration"] != nil else {
            throw UsageError(.unreadableFile, "--baseline: \(path) has no http_req_duration metric")
        }
        return out
    }

    /// Parses `10%` or `10`.
    static func parsePercent(_ text: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let num = t.hasSuffix("%") ? String(t.dropLast()) : t
        guard let v = Double(num), v >= 0, v.isFinite else {
            throw UsageError(.invalidValue, "--max-regression expects a percentage like 10%, got \"\(text)\"")
        }
        return v
    }

    init(path: String, baseline: [String: [String: Double]], current: [String: Any], maxRegression: Double?) {
        self.path = path
        var rows: [Row] = []
        let cur = current.compactMapValues { $0 as? [String: Any] }
        func value(_ m: [String: Any]?, _ k: String) -> Double? { (m?[k] as? NSNumber)?.doubleValue ?? (m?[k] as? Double) }
        for stat in ["avg", "med", "p(90)", "p(95)", "p(99)", "max"] {
            if let b = baseline["http_req_duration"]?[stat], let c = value(cur["http_req_duration"], stat) {
                rows.append(Row(metric: "http_req_duration", stat: stat, baseline: b, current: c))
            }
        }
        for (metric, stat) in [("http_req_failed", "value"), ("checks", "value"), ("http_reqs", "rate"), ("iterations", "rate")] {
            if let b = baseline[metric]?[stat], let c = value(cur[metric], stat) {
                rows.append(Row(metric: metric, stat: stat == "value" ? "rate" : stat, baseline: b, current: c))
            }
        }
        self.rows = rows
        var verdicts: [Verdict] = []
        if let p = maxRegression {
            for stat in ["p(95)", "p(99)"] {
                guard let r = rows.first(where: { $0.metric == "http_req_duration" && $0.stat == stat }) else { continue }
                let limit = r.baseline * (1 + p / 100)
                verdicts.append(Verdict(
                    what: "http_req_duration \(stat) grew ≤ \(Self.fmt(p))%", ok: r.current <= limit,
                    detail: String(format: "%.2fms → %.2fms (%@)", r.baseline, r.current, Self.change(r.changePercent))))
            }
            if let r = rows.first(where: { $0.metric == "http_req_failed" }) {
                // Growth allowed: max(P% of the baseline's rate, 0.1 percentage point).
                let allowed = max(r.baseline * p / 100, 0.001)
                verdicts.append(Verdict(
                    what: "error rate grew ≤ max(\(Self.fmt(p))% of baseline, 0.1 pt)", ok: r.current - r.baseline <= allowed + 1e-12,
                    detail: String(format: "%.3f%% → %.3f%% (allowed +%.3f pt)", r.baseline * 100, r.current * 100, allowed * 100)))
            }
        }
        self.verdicts = verdicts
    }

    func render() -> String {
        var out = "\n   BASELINE  \(path)\n"
        for r in rows {
            let isRate = r.stat == "rate" && (r.metric == "http_req_failed" || r.metric == "checks")
            let b = isRate ? String(format: "%.3f%%", r.baseline * 100) : (r.metric == "http_req_duration" ? String(format: "%.2fms", r.baseline) : String(format: "%.2f/s", r.baseline))
            let c = isRate ? String(format: "%.3f%%", r.current * 100) : (r.metric == "http_req_duration" ? String(format: "%.2fms", r.current) : String(format: "%.2f/s", r.current))
            let name = "\(r.metric) \(r.stat)"
            out += "     \(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(b.padding(toLength: 12, withPad: " ", startingAt: 0)) → \(c.padding(toLength: 12, withPad: " ", startingAt: 0)) \(Self.change(r.changePercent))\n"
        }
        for v in verdicts {
            out += "   \(v.ok ? "✓" : "✗") \(v.what): \(v.detail)\n"
        }
        return out
    }

    static func change(_ p: Double?) -> String {
        guard let p else { return "n/a" }
        return String(format: "%@%.1f%%", p >= 0 ? "+" : "", p)
    }

    static func fmt(_ v: Double) -> String {
        v.rounded() == v ? String(Int(v)) : String(v)
    }
}
