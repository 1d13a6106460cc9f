import Foundation

/// The HTML report of `kalm run --report F.html` and `kalm merge --report F.html`: one
/// self-contained page (inline CSS and SVG, no scripts, no fonts or assets from anywhere,
/// so it opens offline and can be mailed or archived as a CI artifact).
///
/// The page holds, top to bottom:
/// - a header: scenario, executor, start time (UTC, ISO 8601), duration, parts merged,
///   totals (requests, failed, error %, peak req/s, peak VUs, iterations, dropped) and the
///   overall verdict as a passed/failed badge;
/// - charts over the run's time, drawn server-side as inline SVG (time axis in seconds
///   from the start, nice round ticks, a legend in each `<figcaption>`):
///   `#chart-requests` requests/s, `#chart-latency` p50/p95/p99 in ms,
///   `#chart-errors` failed requests/s and error % (right axis), `#chart-vus` active VUs,
///   `#chart-iterations` iterations started/s and, when any was dropped or the executor is
///   an arrival-rate one, dropped iterations/s. Each line is one or more
///   `<polyline class="series" data-series="…">`; a slot without a value (a nil quantile,
///   no request for the error %) breaks the line, and a lone point between gaps is a
///   `<circle class="series point" data-series="…">`;
/// - the per-probe table (requests, failed, error %, p50/p90/p95/p99/max), a journey's
///   steps indented under their probe, then every probe's and step's checks
///   (passes, fails, pass %) with failing ones highlighted;
/// - the thresholds table (metric, expression, observed, ✓/✗), failing rows highlighted.
///
/// Every name and expression comes from user config and is HTML-escaped. A long timeline
/// is merged into at most `maxPoints` buckets per line (see `downsample`), so a 24 h soak
/// at 1 s slots stays a page of a few hundred kB.
enum HTMLReport {
    /// The most points a chart line has; longer timelines are merged into buckets.
    static let maxPoints = 1500

    /// Adjacent timeline slots merged into one chart point.
    struct Bucket: Equatable {
        /// The index of the bucket's first slot and how many slots it merges.
        var first: Int
        var count: Int
        /// The merged slot (see `downsample` for how each field merges).
        var slot: ReportSlot
    }

    /// Merges adjacent slots so that at most `maxPoints` buckets remain, every bucket but the
    /// last `ceil(n / maxPoints)` slots wide. Counts (requests, failed, iterations started,
    /// dropped) are summed, so totals are preserved and a bucket's rate is its sum over its
    /// own length. Quantiles and active VUs take the bucket's maximum: a chart of a long run
    /// is read for its peaks, and a p99 spike or a VU peak averaged away into a flat line
    /// would hide exactly what the report is for (the max of per-slot p99s is an upper bound
    /// of the bucket's true p99, never an underestimate). A quantile is nil only when it is
    /// nil in every slot of the bucket.
    static func downsample(_ timeline: [ReportSlot], maxPoints: Int = maxPoints) -> [Bucket] {
        guard !timeline.isEmpty else { return [] }
        let limit = Swift.max(1, maxPoints)
        let size = (timeline.count + limit - 1) / limit
        var out: [Bucket] = []
        out.reserveCapacity(timeline.count / size + 1)
        var i = 0
        while i < timeline.count {
            let end = Swift.min(i + size, timeline.count)
            var m = timeline[i]
            for s in timeline[(i + 1)..<end] {
                m.requests += s.requests
                m.failed += s.failed
                m.iterationsStarted += s.iterationsStarted
                m.dropped += s.dropped
                m.p50 = larger(m.p50, s.p50)
                m.p95 = larger(m.p95, s.p95)
                m.p99 = larger(m.p99, s.p99)
                m.activeVUs = Swift.max(m.activeVUs, s.activeVUs)
            }
            out.append(Bucket(first: i, count: end - i, slot: m))
            i = end
        }
        return out
    }

    private static func larger(_ a: Double?, _ b: Double?) -> Double? {
        guard let a else { return b }
        guard let b else { return a }
        return Swift.max(a, b)
    }

    static func render(_ data: ReportData) -> String {
        let slotSeconds = data.slotSeconds > 0 && data.slotSeconds.isFinite ? data.slotSeconds : 1
        let buckets = downsample(data.timeline)
        let duration = Double(data.timeline.count) * slotSeconds
        let xs = buckets.map { (Double($0.first) + Double($0.count) / 2) * slotSeconds }
        func rate(_ b: Bucket, _ n: UInt64) -> Double { Double(n) / (Double(b.count) * slotSeconds) }
        func millis(_ v: Double?) -> Double? { v.map { $0 * 1000 } }

        let plot = Plot(xs: xs, duration: duration)
        var charts = ""
        charts += plot.chart(id: "chart-requests", title: "Requests per second", unit: "req/s", series: [
            Series(key: "requests", label: "requests/s", color: "#2563eb", values: buckets.map { rate($0, $0.slot.requests) }),
        ])
        charts += plot.chart(id: "chart-latency", title: "Latency (http_req_duration)", unit: "ms", series: [
            Series(key: "p50", label: "p50", color: "#1a7f37", values: buckets.map { millis($0.slot.p50) }),
            Series(key: "p95", label: "p95", color: "#bf8700", values: buckets.map { millis($0.slot.p95) }),
            Series(key: "p99", label: "p99", color: "#cf222e", values: buckets.map { millis($0.slot.p99) }),
        ])
        charts += plot.chart(id: "chart-errors", title: "Errors", unit: "failed/s", rightUnit: "error %", rightCeiling: 100, series: [
            Series(key: "failed", label: "failed requests/s", color: "#cf222e", values: buckets.map { rate($0, $0.slot.failed) }),
            Series(key: "error-rate", label: "error % (right axis)", color: "#8250df",
                   values: buckets.map { b in b.slot.requests == 0 ? nil : Double(b.slot.failed) / Double(b.slot.requests) * 100 },
                   right: true, dashed: true),
        ])
        charts += plot.chart(id: "chart-vus", title: "Active VUs", unit: "VUs", series: [
            Series(key: "vus", label: "active VUs", color: "#0969da", values: buckets.map { Double($0.slot.activeVUs) }),
        ])
        let totalDropped = data.timeline.reduce(UInt64(0)) { $0 + $1.dropped }
        var iterationSeries = [
            Series(key: "iterations", label: "iterations started/s", color: "#1a7f37",
                   values: buckets.map { rate($0, $0.slot.iterationsStarted) }),
        ]
        if totalDropped > 0 || data.executor.hasSuffix("arrival-rate") {
            iterationSeries.append(Series(key: "dropped", label: "dropped iterations/s", color: "#cf222e",
                                          values: buckets.map { rate($0, $0.slot.dropped) }))
        }
        charts += plot.chart(id: "chart-iterations", title: "Iterations", unit: "iter/s", series: iterationSeries)

        let bucketNote = buckets.first.map { $0.count > 1
            ? "<p class=\"muted\">\(data.timeline.count) slots of \(seconds(slotSeconds)) merged into \(buckets.count) points of \(seconds(Double($0.count) * slotSeconds)): counts summed, latency quantiles and VUs the bucket's maximum.</p>"
            : "" } ?? ""

        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>kalm report: \(html(data.scenario))</title>
            <style>
            body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1f2328}
            header{background:#1f2328;color:#fff;padding:12px 24px}header h1{font-size:20px;margin:0 0 6px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
            header dl{display:flex;flex-wrap:wrap;gap:4px 20px;margin:0}header dt{color:#9da7b3}header dd{margin:0 0 0 6px}
            header .kv{display:flex}main{padding:8px 24px 32px}h2{font-size:16px;margin:24px 0 8px}
            .card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;margin:8px 0;overflow-x:auto}
            .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:12px}
            figure{margin:0;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:8px 12px}
            figcaption{display:flex;gap:14px;flex-wrap:wrap;align-items:center;margin-bottom:4px}figcaption .title{font-weight:600;margin-right:auto}
            .key{display:inline-flex;align-items:center;gap:4px;color:#57606a;font-size:12px}.key i{display:inline-block;width:14px;height:3px;border-radius:2px}
            .key i.dashed{background:repeating-linear-gradient(90deg,currentColor 0 4px,transparent 4px 7px)!important}
            svg.chart{width:100%;height:auto;display:block}svg.chart text{font-size:11px;fill:#57606a}
            svg.chart .grid{stroke:#eaeef2}svg.chart .axis{stroke:#8c959f}svg.chart .series{fill:none;stroke-width:1.6;stroke-linejoin:round}
            table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{padding:3px 10px;text-align:right;border-bottom:1px solid #eaeef2}
            th{color:#57606a;font-weight:600}td.l,th.l{text-align:left}tr.step td.step{padding-left:28px}tr.probe td{font-weight:600}
            .badge{border-radius:10px;padding:1px 10px;font-size:13px;font-weight:600}.passed{background:#dafbe1;color:#116329}
            .failed{background:#ffebe9;color:#a40e26}.pass{color:#116329}.fail{color:#a40e26;font-weight:600}
            tr.failrow td{background:#ffebe9}.muted{color:#57606a}header .fail{color:#ff8182}
            </style></head><body>
            \(header(data, duration: duration, slotSeconds: slotSeconds, dropped: totalDropped))
            <main>
            <section id="timeline"><h2>Over time</h2>\(bucketNote)<div class="charts">
            \(charts)</div></section>
            <section id="probes"><h2>Probes</h2><div class="card">\(probeTable(data.probes))</div>
            <h2>Checks</h2><div class="card">\(checkTable(data.probes))</div></section>
            <section id="thresholds"><h2>Thresholds</h2><div class="card">\(thresholdTable(data.thresholds))</div></section>
            </main></body></html>

            """
    }

    // MARK: header

    private static func header(_ data: ReportData, duration: Double, slotSeconds: Double, dropped: UInt64) -> String {
        let started = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: data.startedAt))
        let requests = data.timeline.reduce(UInt64(0)) { $0 + $1.requests }
        let failed = data.timeline.reduce(UInt64(0)) { $0 + $1.failed }
        let iterations = data.timeline.reduce(UInt64(0)) { $0 + $1.iterationsStarted }
        let peakRate = Double(data.timeline.map(\.requests).max() ?? 0) / slotSeconds
        let peakVUs = data.timeline.map(\.activeVUs).max() ?? 0
        let failingThresholds = data.thresholds.filter { !$0.ok }.count
        let verdict = data.passed
            ? "<span class=\"badge passed\" id=\"verdict\">passed</span>"
            : "<span class=\"badge failed\" id=\"verdict\">failed\(failingThresholds > 0 ? ": \(failingThresholds) threshold\(failingThresholds == 1 ? "" : "s") crossed" : "")</span>"
        var items: [(String, String)] = [
            ("executor", "<code>\(html(data.executor))</code>"),
            ("started", "<time datetime=\"\(started)\">\(started)</time>"),
            ("duration", html(seconds(duration))),
            ("parts merged", "\(data.parts)"),
            ("requests", "\(requests)"),
            ("failed", "\(failed) (\(requests == 0 ? "–" : StatusPage.pct(Double(failed) / Double(requests))))"),
            ("peak", String(format: "%.1f req/s", peakRate)),
            ("peak VUs", "\(peakVUs)"),
            ("iterations", "\(iterations)"),
        ]
        if dropped > 0 { items.append(("dropped", "<span class=\"fail\">\(dropped)</span>")) }
        let list = items.map { "<div class=\"kv\"><dt>\($0.0)</dt><dd>\($0.1)</dd></div>" }.joined()
        return "<header><h1>kalm report: <code>\(html(data.scenario))</code> \(verdict)</h1><dl>\(list)</dl></header>"
    }

    /// `90 s`, `2m 5s (125 s)`, `24h 0m 0s (86400 s)`.
    static func seconds(_ s: Double) -> String {
        let plain = s == s.rounded() ? String(format: "%.0f s", s) : String(format: "%.3g s", s)
        guard s >= 60 else { return plain }
        let t = Int(s.rounded())
        let hms = t >= 3600 ? "\(t / 3600)h \(t % 3600 / 60)m \(t % 60)s" : "\(t / 60)m \(t % 60)s"
        return "\(hms) (\(plain))"
    }

    // MARK: tables

    private static func latencyCells(_ p: ReportProbe) -> String {
        [p.p50, p.p90, p.p95, p.p99, p.max].map { "<td>\($0.map { StatusPage.ms($0 * 1000) } ?? "–")</td>" }.joined()
    }

    /// Rows in config order, grouped by probe: the probe's own row, then its steps indented.
    private static func grouped(_ probes: [ReportProbe]) -> [(name: String, own: ReportProbe?, steps: [ReportProbe])] {
        var order: [String] = []
        var rows: [String: [ReportProbe]] = [:]
        for p in probes {
            if rows[p.probe] == nil { order.append(p.probe) }
            rows[p.probe, default: []].append(p)
        }
        return order.map { name in
            let all = rows[name] ?? []
            return (name, all.first { $0.step == nil }, all.filter { $0.step != nil })
        }
    }

    private static func probeTable(_ probes: [ReportProbe]) -> String {
        guard !probes.isEmpty else { return "<p class=\"muted\">No probe ran.</p>" }
        func counts(_ p: ReportProbe) -> String {
            let ratio = p.requests == 0 ? "–" : StatusPage.pct(Double(p.failed) / Double(p.requests))
            let cls = p.failed > 0 ? " class=\"fail\"" : ""
            return "<td>\(p.requests)</td><td\(cls)>\(p.failed)</td><td\(cls)>\(ratio)</td>"
        }
        var rows = ""
        for g in grouped(probes) {
            let stepsNote = g.steps.isEmpty ? "" : "<span class=\"muted\">journey, \(g.steps.count) step\(g.steps.count == 1 ? "" : "s")</span>"
            if let own = g.own {
                rows += "<tr class=\"probe\"><td class=\"l\"><code>\(html(g.name))</code></td><td class=\"l\">\(stepsNote)</td>\(counts(own))\(latencyCells(own))</tr>\n"
            } else {
                rows += "<tr class=\"probe\"><td class=\"l\"><code>\(html(g.name))</code></td><td class=\"l\" colspan=\"9\">\(stepsNote)</td></tr>\n"
            }
            for (k, s) in g.steps.enumerated() {
                rows += "<tr class=\"step\"><td class=\"l\"></td><td class=\"l step\"><span class=\"muted\">\(k + 1).</span> <code>\(html(s.step ?? ""))</code></td>\(counts(s))\(latencyCells(s))</tr>\n"
            }
        }
        return "<table id=\"probe-table\"><tr><th class=\"l\">probe</th><th class=\"l\">step</th><th>requests</th><th>failed</th><th>error %</th>"
            + "<th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th></tr>\n\(rows)</table>"
    }

    private static func checkTable(_ probes: [ReportProbe]) -> String {
        var rows = ""
        for g in grouped(probes) {
            for row in [g.own].compactMap({ $0 }) + g.steps {
                for c in row.checks {
                    let total = c.passes + c.fails
                    let ratio = total == 0 ? "–" : StatusPage.pct(Double(c.passes) / Double(total))
                    let bad = c.fails > 0
                    rows += "<tr\(bad ? " class=\"failrow\"" : "")><td class=\"l\"><code>\(html(row.probe))</code></td>"
                        + "<td class=\"l\">\(row.step.map { "<code>\(html($0))</code>" } ?? "")</td>"
                        + "<td class=\"l\">\(bad ? "<span class=\"fail\">✗</span>" : "<span class=\"pass\">✓</span>") \(html(c.name))</td>"
                        + "<td>\(c.passes)</td><td\(bad ? " class=\"fail\"" : "")>\(c.fails)</td><td>\(ratio)</td></tr>\n"
                }
            }
        }
        guard !rows.isEmpty else { return "<p class=\"muted\">No checks.</p>" }
        return "<table id=\"check-table\"><tr><th class=\"l\">probe</th><th class=\"l\">step</th><th class=\"l\">check</th>"
            + "<th>passes</th><th>fails</th><th>pass %</th></tr>\n\(rows)</table>"
    }

    private static func thresholdTable(_ thresholds: [ReportThreshold]) -> String {
        guard !thresholds.isEmpty else { return "<p class=\"muted\">No thresholds.</p>" }
        var rows = ""
        for t in thresholds {
            rows += "<tr\(t.ok ? "" : " class=\"failrow\"")><td class=\"l\"><code>\(html(t.metric))</code></td>"
                + "<td class=\"l\"><code>\(html(t.expression))</code></td><td>\(html(t.observed))</td>"
                + "<td>\(t.ok ? "<span class=\"pass\">✓</span>" : "<span class=\"fail\">✗</span>")</td></tr>\n"
        }
        return "<table id=\"threshold-table\"><tr><th class=\"l\">metric</th><th class=\"l\">expression</th><th>observed</th><th>ok</th></tr>\n\(rows)</table>"
    }

    private static func html(_ s: String) -> String { StatusPage.html(s) }

    // MARK: charts

    /// One line of a chart: nil values are gaps.
    struct Series {
        var key: String
        var label: String
        var color: String
        var values: [Double?]
        /// Scaled to the right axis (`rightUnit`).
        var right = false
        var dashed = false
    }

    /// The geometry shared by every chart: the buckets' times and the run's duration.
    struct Plot {
        var xs: [Double]
        var duration: Double
        static let width = 640.0, height = 240.0
        static let left = 52.0, top = 26.0, bottom = 34.0

        func chart(id: String, title: String, unit: String, rightUnit: String? = nil, rightCeiling: Double? = nil,
                   series: [Series]) -> String {
            let right = rightUnit == nil ? 14.0 : 48.0
            let w = Self.width, h = Self.height
            let x0 = Self.left, x1 = w - right, y0 = Self.top, y1 = h - Self.bottom
            let keys = series.map { s in
                "<span class=\"key\"><i\(s.dashed ? " class=\"dashed\"" : "") style=\"background:\(s.color);color:\(s.color)\"></i>\(StatusPage.html(s.label))</span>"
            }.joined()
            let caption = "<figcaption><span class=\"title\">\(StatusPage.html(title))</span>\(keys)</figcaption>"
            guard !xs.isEmpty, duration > 0 else {
                return "<figure id=\"\(id)\">\(caption)<svg class=\"chart\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(StatusPage.html(title)): no data\">"
                    + "<text x=\"\(Int(w / 2))\" y=\"\(Int(h / 2))\" text-anchor=\"middle\">no data</text></svg></figure>\n"
            }
            let leftMax = series.filter { !$0.right }.flatMap(\.values).compactMap { $0 }.max() ?? 0
            let leftScale = HTMLReport.niceScale(leftMax)
            var rightScale: (top: Double, step: Double)?
            if rightUnit != nil {
                let m = series.filter(\.right).flatMap(\.values).compactMap { $0 }.max() ?? 0
                var s = HTMLReport.niceScale(m)
                if let c = rightCeiling, s.top > c { s = HTMLReport.niceScale(c) }
                rightScale = s
            }
            func px(_ t: Double) -> Double { x0 + t / duration * (x1 - x0) }
            func py(_ v: Double, _ top: Double) -> Double { y1 - Swift.min(Swift.max(v, 0), top) / top * (y1 - y0) }
            func f(_ v: Double) -> String { String(format: "%.1f", v) }

            var svg = ""
            // Horizontal grid and left ticks.
            for v in HTMLReport.ticks(leftScale) {
                let y = f(py(v, leftScale.top))
                svg += "<line class=\"grid\" x1=\"\(f(x0))\" x2=\"\(f(x1))\" y1=\"\(y)\" y2=\"\(y)\"/>"
                svg += "<text x=\"\(f(x0 - 6))\" y=\"\(y)\" dy=\"0.35em\" text-anchor=\"end\">\(HTMLReport.tickLabel(v, step: leftScale.step))</text>"
            }
            if let rs = rightScale {
                for v in HTMLReport.ticks(rs) {
                    svg += "<text x=\"\(f(x1 + 6))\" y=\"\(f(py(v, rs.top)))\" dy=\"0.35em\">\(HTMLReport.tickLabel(v, step: rs.step))</text>"
                }
            }
            // Time ticks.
            let tStep = HTMLReport.timeStep(duration)
            var t = 0.0
            while t <= duration + tStep * 1e-9 {
                let x = f(px(t))
                svg += "<line class=\"axis\" x1=\"\(x)\" x2=\"\(x)\" y1=\"\(f(y1))\" y2=\"\(f(y1 + 4))\"/>"
                // The last label ends at the axis's end rather than spilling out of the picture.
                let anchor = px(t) > x1 - 16 && right < 20 ? "end" : "middle"
                svg += "<text x=\"\(x)\" y=\"\(f(y1 + 16))\" text-anchor=\"\(anchor)\">\(HTMLReport.plain(t, step: tStep))</text>"
                t += tStep
            }
            svg += "<line class=\"axis\" x1=\"\(f(x0))\" x2=\"\(f(x1))\" y1=\"\(f(y1))\" y2=\"\(f(y1))\"/>"
            svg += "<line class=\"axis\" x1=\"\(f(x0))\" x2=\"\(f(x0))\" y1=\"\(f(y0))\" y2=\"\(f(y1))\"/>"
            svg += "<text x=\"4\" y=\"12\">\(StatusPage.html(unit))</text>"
            if let rightUnit {
                svg += "<line class=\"axis\" x1=\"\(f(x1))\" x2=\"\(f(x1))\" y1=\"\(f(y0))\" y2=\"\(f(y1))\"/>"
                svg += "<text x=\"\(f(w - 4))\" y=\"12\" text-anchor=\"end\">\(StatusPage.html(rightUnit))</text>"
            }
            svg += "<text x=\"\(f((x0 + x1) / 2))\" y=\"\(f(h - 4))\" text-anchor=\"middle\">seconds from start</text>"
            // The lines: one polyline per run of values without a gap; a lone point is a dot.
            for s in series {
                let top = s.right ? (rightScale?.top ?? 1) : leftScale.top
                let dash = s.dashed ? " stroke-dasharray=\"5 3\"" : ""
                var run: [String] = []
                func flush() {
                    if run.count == 1 {
                        let xy = run[0].split(separator: ",")
                        svg += "<circle class=\"series point\" data-series=\"\(s.key)\" cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2\" fill=\"\(s.color)\"/>"
                    } else if run.count > 1 {
                        svg += "<polyline class=\"series\" data-series=\"\(s.key)\" stroke=\"\(s.color)\"\(dash) points=\"\(run.joined(separator: " "))\"/>"
                    }
                    run = []
                }
                for (i, v) in s.values.enumerated() where i < xs.count {
                    guard let v, v.isFinite else { flush(); continue }
                    run.append("\(f(px(xs[i]))),\(f(py(v, top)))")
                }
                flush()
            }
            return "<figure id=\"\(id)\">\(caption)<svg class=\"chart\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(StatusPage.html(title)) over time\">\(svg)</svg></figure>\n"
        }
    }

    /// A y scale from 0: the top a round multiple of a 1/2/5 × 10ⁿ step, at most 6 ticks.
    static func niceScale(_ maximum: Double, ticks: Int = 5) -> (top: Double, step: Double) {
        let m = maximum > 0 && maximum.isFinite ? maximum : 1
        let raw = m / Double(ticks)
        let mag = pow(10, floor(log10(raw)))
        let norm = raw / mag
        let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag
        return (Swift.max(step, (m / step).rounded(.up) * step), step)
    }

    static func ticks(_ scale: (top: Double, step: Double)) -> [Double] {
        let n = Int((scale.top / scale.step).rounded())
        return (0...n).map { Double($0) * scale.step }
    }

    /// A time-axis step in seconds giving at most 8 ticks: 1/2/5 × 10ⁿ below a minute,
    /// then whole minutes and hours.
    static func timeStep(_ duration: Double) -> Double {
        let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        if duration <= 8 { return niceScale(duration, ticks: 5).step }
        if let s = steps.first(where: { duration / $0 <= 8 }) { return s }
        return (duration / 8 / 86400).rounded(.up) * 86400
    }

    /// A value tick's label: decimals as the step needs, `k`/`M` for steps of thousands.
    static func tickLabel(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        if step >= 1_000_000 { return String(format: "%gM", v / 1_000_000) }
        if step >= 1000 { return String(format: "%gk", v / 1000) }
        return plain(v, step: step)
    }

    /// A number with as many decimals as `step` needs.
    static func plain(_ v: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : Int((-log10(step)).rounded(.up))
        return String(format: "%.\(decimals)f", v)
    }
}

extension HTMLReport {
    /// Renders `data` into `path`; throws `UsageError` when the file cannot be written.
    static func write(_ data: ReportData, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(render(data).utf8)) else {
            throw UsageError(.unwritableFile, "--report: cannot write \(path) (does the directory exist and is it writable?)")
        }
    }
}
