import Exporter
import Foundation
import Measurements
import Probes

/// The page at `/`: every probe with its windows, sparklines, recent failures by reason,
/// and every threshold's verdict per window. Self-contained HTML (inline CSS and SVG),
/// refreshed every 10 s; readable at a glance: a red badge means look here.
enum StatusPage {
    static func render(runtime: AgentRuntime) -> String {
        let cfg = runtime.config
        let memo = WindowSnapshotMemo(now: MonotonicClock.now())
        let thresholds = runtime.thresholdVerdicts(memo)
        var body = ""
        let sources = runtime.sources
        var down = 0, failingThresholds = 0
        for source in sources {
            var section = ""
            let verdicts = thresholds[source.name] ?? []
            failingThresholds += Set(verdicts.filter { !$0.ok }.map { "\($0.threshold.key) \($0.threshold.source)" }).count
            for p in source.probes {
                let st = p.recorder.snapshot()
                let state = st.lastFinishedAt == 0 ? "waiting" : (st.lastSuccess ? "up" : "down")
                if state == "down" { down += 1 }
                section += probeCard(p, stats: st, state: state, memo: memo, traceURL: cfg.agent.traceURL)
            }
            section += thresholdTable(verdicts)
            let header = runtime.scenarioSummary(source.name)
            body += "<section><h2>scenario <code>\(html(source.name))</code> <small>\(html(header))</small></h2>\(section)</section>\n"
        }
        if sources.isEmpty { body = "<p>No continuous or scheduled scenario is configured.</p>" }
        let labels = cfg.agent.labels.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        let overall = down == 0 && failingThresholds == 0
            ? "<span class=\"badge up\">all probes up, all thresholds passing</span>"
            : "<span class=\"badge down\">\(down) probe\(down == 1 ? "" : "s") down, \(failingThresholds) threshold\(failingThresholds == 1 ? "" : "s") failing</span>"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>kalm</title>
            <style>
            body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1f2328}
            header{background:#1f2328;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
            header a{color:#9ecbff}main{padding:8px 24px 32px}h1{font-size:20px;margin:0}h2{font-size:16px;margin:24px 0 8px}
            h2 small{font-weight:normal;color:#57606a}.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;margin:8px 0}
            .card h3{margin:0 0 8px;font-size:15px;display:flex;gap:8px;align-items:center}
            table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{padding:3px 10px;text-align:right;border-bottom:1px solid #eaeef2}
            th{color:#57606a;font-weight:600}td:first-child,th:first-child{text-align:left}
            .badge{border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600}.up{background:#dafbe1;color:#116329}
            .down{background:#ffebe9;color:#a40e26}.waiting{background:#eaeef2;color:#57606a}
            .pass{color:#116329}.fail{color:#a40e26;font-weight:600}.row{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
            .spark{background:#f6f8fa;border-radius:4px}.muted{color:#57606a}
            </style></head><body>
            <header><h1>kalm</h1><span>\(html(BuildInfo.versionLine))</span><span class="muted">\(html(cfg.sourcePath))</span>
            <span>\(html(labels))</span>\(overall)<a href="/metrics">/metrics</a></header>
            <main>
            \(body)
            </main></body></html>
            """
    }

    private static func probeCard(_ p: ProbeSource, stats st: ProbeStats, state: String, memo: WindowSnapshotMemo,
                                  traceURL: String?) -> String {
        let windows = memo.snapshots(p.recorder)
        var rows = ""
        for w in windows {
            func q(_ x: Double) -> String { w.latency(quantile: x).map { ms($0 * 1000) } ?? "–" }
            rows += "<tr><td>\(html(w.spec.name))</td><td>\(q(0.5))</td><td>\(q(0.9))</td><td>\(q(0.95))</td><td>\(q(0.99))</td>"
                + "<td>\(w.availability.map { pct($0) } ?? "–")</td><td>\(w.errorRatio.map { pct($0) } ?? "–")</td>"
                + "<td>\(w.requestsPerSecond.map { String(format: "%.2f", $0) } ?? "–")</td><td>\(w.data.requests)</td></tr>"
        }
        // Sparklines over the longest window up to 15 min, one point per slot.
        var sparks = ""
        if let series = p.recorder.windowSeries(maxSeconds: 900, now: memo.now) {
            let p95 = series.slots.map { $0.slot?.latency.quantile(0.95).map { $0 / 1000 } }
            let avail = series.slots.map { s -> Double? in
                guard let d = s.slot, d.iterations > 0 else { return nil }
                return Double(d.iterationsSucceeded) / Double(d.iterations) * 100
            }
            sparks = "<div><div class=\"muted\">p95 latency, last \(html(series.spec.name))</div>"
                + Sparkline.svg(p95, floor: 0, label: "\(p.name) p95 latency") + "</div>"
                + "<div><div class=\"muted\">availability, last \(html(series.spec.name))</div>"
                + Sparkline.svg(avail, stroke: "#1a7f37", floor: min(99, avail.compactMap { $0 }.min() ?? 99), ceiling: 100,
                                label: "\(p.name) availability") + "</div>"
        }
        // Recent failures by reason: the shortest window's counts, then the totals since start.
        var failures = ""
        if let recent = windows.first {
            let parts = FailureReason.allCases.compactMap { r -> String? in
                let n = recent.data.failuresByReason[Int(r.rawValue)]
                return n > 0 ? "\(r): \(n)" : nil
            }
            failures = "<div><div class=\"muted\">failures, last \(html(recent.spec.name))</div>"
                + (parts.isEmpty ? "<span class=\"pass\">none</span>" : "<span class=\"fail\">\(html(parts.joined(separator: ", ")))</span>") + "</div>"
        }
        let totals = FailureReason.allCases.compactMap { r -> String? in
            let n = st.failuresByReason[Int(r.rawValue)]
            return n > 0 ? "\(r): \(n)" : nil
        }
        failures += "<div><div class=\"muted\">failures since start</div>\(totals.isEmpty ? "none" : html(totals.joined(separator: ", ")))</div>"
        failures += slowTraces(st, memo: memo, traceURL: traceURL)
        let labels = p.labels.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        let steps = stepTable(p, memo: memo)
        return """
            <div class="card" id="probe-\(html(p.name))"><h3><span class="badge \(state)">\(state)</span> probe <code>\(html(p.name))</code>
            <small class="muted">\(html(labels)) · \(st.requests) requests, \(st.failedRequests) failed</small></h3>
            <div class="row"><table><tr><th>window</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>availability</th><th>errors</th><th>req/s</th><th>requests</th></tr>
            \(rows)</table>\(sparks)\(failures)</div>\(steps)</div>
            """
    }

    /// A traced probe's slowest recent requests (docs/configuration.md, "Tracing"): trace ids,
    /// linked through `agent.trace_url` when it is set.
    private static func slowTraces(_ st: ProbeStats, memo: WindowSnapshotMemo, traceURL: String?) -> String {
        guard let slowest = st.slowTraces?.slowest(now: memo.now), !slowest.isEmpty else { return "" }
        let items = slowest.map { e -> String in
            let id = e.trace.hex
            let idHTML = traceURL.map { "<a href=\"\(html(TraceLink.url($0, traceID: id)))\"><code>\(id)</code></a>" } ?? "<code>\(id)</code>"
            return "<tr><td>\(ms(e.seconds * 1000))</td><td>\(idHTML)</td></tr>"
        }
        return "<div><div class=\"muted\">slowest traced requests, last 5–10 min</div><table class=\"traces\">\(items.joined())</table></div>"
    }

    /// A journey's steps in order: requests, failures by reason, and the shortest window's latency.
    private static func stepTable(_ p: ProbeSource, memo: WindowSnapshotMemo) -> String {
        guard !p.journey.steps.isEmpty else { return "" }
        let totals = p.recorder.stepSnapshots()
        let windows = p.recorder.stepWindowSnapshots(now: memo.now)
        var rows = ""
        for (k, name) in p.journey.steps.enumerated() where k < totals.count {
            let st = totals[k]
            let recent = k < windows.count ? windows[k].first : nil
            func q(_ x: Double) -> String { recent?.latency(quantile: x).map { ms($0 * 1000) } ?? "–" }
            let reasons = FailureReason.allCases.compactMap { r -> String? in
                let n = st.failuresByReason[Int(r.rawValue)]
                return n > 0 ? "\(r): \(n)" : nil
            }
            rows += "<tr><td>\(k + 1)</td><td><code>\(html(name))</code></td><td>\(q(0.5))</td><td>\(q(0.95))</td>"
                + "<td>\(st.requests)</td><td>\(reasons.isEmpty ? "<span class=\"pass\">none</span>" : "<span class=\"fail\">\(html(reasons.joined(separator: ", ")))</span>")</td></tr>"
        }
        let window = windows.first?.first.map { " (\(html($0.spec.name)))" } ?? ""
        return "<div class=\"row\"><table><tr><th>#</th><th>step</th><th>p50\(window)</th><th>p95\(window)</th><th>requests</th><th>failures since start</th></tr>\(rows)</table></div>"
    }

    private static func thresholdTable(_ verdicts: [WindowThresholdResult]) -> String {
        guard !verdicts.isEmpty else { return "" }
        var keys: [String] = []
        var windows: [String] = []
        for v in verdicts {
            let k = "\(v.threshold.key)\u{0}\(v.threshold.source)"
            if !keys.contains(k) { keys.append(k) }
            if !windows.contains(v.window) { windows.append(v.window) }
        }
        var rows = ""
        for k in keys {
            let parts = k.split(separator: "\u{0}", omittingEmptySubsequences: false)
            var cells = ""
            for w in windows {
                if let v = verdicts.first(where: { "\($0.threshold.key)\u{0}\($0.threshold.source)" == k && $0.window == w }) {
                    cells += "<td class=\"\(v.ok ? "pass" : "fail")\">\(v.ok ? "✓" : "✗") \(html(v.threshold.describe(observed: v.observed)))</td>"
                } else {
                    cells += "<td class=\"muted\">no data</td>"
                }
            }
            rows += "<tr><td><code>\(html(String(parts[0])))</code> <code>\(html(String(parts[1])))</code></td>\(cells)</tr>"
        }
        return "<div class=\"card\"><h3>thresholds</h3><table><tr><th>threshold</th>"
            + windows.map { "<th>\(html($0))</th>" }.joined() + "</tr>\(rows)</table></div>"
    }

    static func ms(_ v: Double) -> String {
        v >= 1000 ? String(format: "%.2fs", v / 1000) : (v >= 10 ? String(format: "%.1fms", v) : String(format: "%.2fms", v))
    }

    static func pct(_ r: Double) -> String {
        r == 1 ? "100%" : String(format: "%.2f%%", r * 100)
    }

    static func html(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
