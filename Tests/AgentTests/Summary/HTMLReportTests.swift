import Foundation
import KalmTestSupport
import Testing
@testable import Agent

/// A realistic report: 120 one-second slots of a ramping-arrival-rate run (up 30 s, steady,
/// down the last 30 s), with gaps, an error burst and dropped iterations; two probes, one a
/// journey of two steps; checks; three thresholds, one failing; hostile names everywhere.
func sampleReport(executor: String = "ramping-arrival-rate") -> ReportData {
    var timeline: [ReportSlot] = []
    for t in 0..<120 {
        let rate = t < 30 ? t : t < 90 ? 30 : (120 - t)
        // No request in slot 0 nor in 60...62: nil quantiles break the latency lines.
        let quiet = t == 0 || (60...62).contains(t)
        let requests = quiet ? 0 : UInt64(rate * 3)
        let failed = (70..<80).contains(t) ? requests / 20 : 0
        let base = 0.040 + Double(rate) * 0.002
        timeline.append(ReportSlot(requests: requests, failed: failed,
                                   p50: quiet ? nil : base, p95: quiet ? nil : base * 2.5, p99: quiet ? nil : base * 4,
                                   activeVUs: rate / 2 + 1, iterationsStarted: UInt64(rate),
                                   dropped: (40..<45).contains(t) ? 3 : 0))
    }
    let hostile = "<script>alert(1)</script>"
    return ReportData(
        scenario: "checkout \(hostile) & co", executor: executor, startedAt: 1_714_564_800, slotSeconds: 1,
        timeline: timeline,
        probes: [
            ReportProbe(probe: "catalog & search", step: nil, requests: 4_000, failed: 12, p50: 0.051, p90: 0.102, p95: 0.130,
                        p99: 0.240, max: 1.450, checks: [ReportCheck(name: "status is 200", passes: 3_988, fails: 12),
                                                         ReportCheck(name: hostile, passes: 4_000, fails: 0)]),
            ReportProbe(probe: "checkout", step: nil, requests: 2_500, failed: 40, p50: 0.080, p90: 0.150, p95: 0.190,
                        p99: 0.400, max: 2.100, checks: []),
            ReportProbe(probe: "checkout", step: "add to cart <b>", requests: 1_250, failed: 0, p50: 0.060, p90: 0.110,
                        p95: 0.140, p99: 0.300, max: 0.900, checks: [ReportCheck(name: "cart id set", passes: 1_250, fails: 0)]),
            ReportProbe(probe: "checkout", step: "pay & confirm", requests: 1_250, failed: 40, p50: 0.100, p90: 0.190,
                        p95: 0.230, p99: 0.450, max: 2.100, checks: [ReportCheck(name: "paid", passes: 1_210, fails: 40)]),
        ],
        thresholds: [
            ReportThreshold(metric: "http_req_duration{probe:catalog & search}", expression: "p(95)<300", observed: "130ms", ok: true),
            ReportThreshold(metric: "http_req_failed", expression: "rate<0.01", observed: "1.26%", ok: false),
            ReportThreshold(metric: "checks", expression: "rate>0.99", observed: "99.6%", ok: true),
        ],
        parts: 2, passed: false)
}

/// Every `points` attribute of the polylines inside `<figure id="id">` of `page`, by `data-series`.
func chartLines(_ page: String, figure id: String) -> [(series: String, points: [String])]? {
    guard let open = page.range(of: "<figure id=\"\(id)\""),
          let close = page.range(of: "</figure>", range: open.upperBound..<page.endIndex) else { return nil }
    let figure = page[open.lowerBound..<close.upperBound]
    var lines: [(String, [String])] = []
    var rest = figure[...]
    while let start = rest.range(of: "<polyline") {
        guard let end = rest.range(of: ">", range: start.upperBound..<rest.endIndex) else { break }
        let tag = rest[start.lowerBound..<end.upperBound]
        func attr(_ name: String) -> String {
            guard let a = tag.range(of: " \(name)=\""), let b = tag.range(of: "\"", range: a.upperBound..<tag.endIndex) else { return "" }
            return String(tag[a.upperBound..<b.lowerBound])
        }
        lines.append((attr("data-series"), attr("points").split(separator: " ").map(String.init)))
        rest = rest[end.upperBound...]
    }
    return lines
}

@Suite struct HTMLReportUnitTests {
    @Test func downsamplingBoundsPointsAndPreservesTotals() throws {
        var timeline: [ReportSlot] = []
        for i in 0..<86_400 {
            timeline.append(ReportSlot(requests: UInt64(i % 7 + 10), failed: i % 3 == 0 ? 1 : 0,
                                       p50: i % 1000 == 999 ? nil : 0.02, p95: 0.05, p99: i == 50_000 ? 9.0 : 0.1,
                                       activeVUs: i == 70_001 ? 500 : 50, iterationsStarted: 5, dropped: i % 100 == 0 ? 2 : 0))
        }
        let buckets = HTMLReport.downsample(timeline)
        #expect(buckets.count <= HTMLReport.maxPoints && buckets.count > 1_000)
        // Contiguous, covering every slot once.
        #expect(buckets.first?.first == 0)
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.first + $0.count == $1.first })
        #expect(buckets.reduce(0) { $0 + $1.count } == timeline.count)
        // Counts are summed: totals preserved.
        func total(_ k: KeyPath<ReportSlot, UInt64>) -> (UInt64, UInt64) {
            (timeline.reduce(0) { $0 + $1[keyPath: k] }, buckets.reduce(0) { $0 + $1.slot[keyPath: k] })
        }
        for k in [\ReportSlot.requests, \.failed, \.iterationsStarted, \.dropped] {
            let (a, b) = total(k)
            #expect(a == b)
        }
        // Peaks survive: quantiles and VUs take the bucket's maximum.
        #expect(buckets.compactMap(\.slot.p99).max() == 9.0)
        #expect(buckets.map(\.slot.activeVUs).max() == 500)
        #expect(buckets.allSatisfy { $0.slot.p50 != nil })

        let data = ReportData(scenario: "soak", executor: "constant-arrival-rate", startedAt: 1_700_000_000, slotSeconds: 1,
                              timeline: timeline, probes: [], thresholds: [], parts: 1, passed: true)
        let page = HTMLReport.render(data)
        #expect(page.utf8.count < 1_500_000, "page of \(page.utf8.count) bytes")
        for id in ["chart-requests", "chart-latency", "chart-errors", "chart-vus", "chart-iterations"] {
            let lines = try #require(chartLines(page, figure: id))
            #expect(!lines.isEmpty)
            var perSeries: [String: Int] = [:]
            for l in lines { perSeries[l.series, default: 0] += l.points.count }
            #expect(perSeries.values.allSatisfy { $0 <= HTMLReport.maxPoints }, "\(id): \(perSeries)")
        }
        #expect(page.contains("86400 slots of 1 s merged into"))
        if let keep = ProcessInfo.processInfo.environment["KALM_REPORT_KEEP"] {
            try page.write(toFile: "\(keep)/soak.html", atomically: true, encoding: .utf8)
        }
        #expect(page.contains("24h 0m 0s (86400 s)"))
    }

    @Test func shortTimelinesAreNotMerged() {
        let t = sampleReport().timeline
        let b = HTMLReport.downsample(t)
        #expect(b.count == t.count && b.map(\.slot) == t)
    }

    @Test func gapsBreakLinesAndDroppedOnlyWhenRelevant() throws {
        let page = HTMLReport.render(sampleReport())
        let latency = try #require(chartLines(page, figure: "chart-latency"))
        // Slot 0 and slots 60...62 have no quantile: p95 is two lines, 59 + 57 points.
        #expect(latency.filter { $0.series == "p95" }.map(\.points.count) == [59, 57])
        let iterations = try #require(chartLines(page, figure: "chart-iterations"))
        #expect(iterations.contains { $0.series == "dropped" })

        var quiet = sampleReport(executor: "ramping-vus")
        for i in quiet.timeline.indices { quiet.timeline[i].dropped = 0 }
        let plain = HTMLReport.render(quiet)
        let plainIterations = try #require(chartLines(plain, figure: "chart-iterations"))
        #expect(!plainIterations.contains { $0.series == "dropped" })
    }

    @Test func emptyRunStillRendersEveryFigure() {
        let data = ReportData(scenario: "empty", executor: "constant-vus", startedAt: 0, slotSeconds: 1, timeline: [],
                              probes: [], thresholds: [], parts: 1, passed: true)
        let page = HTMLReport.render(data)
        for id in ["chart-requests", "chart-latency", "chart-errors", "chart-vus", "chart-iterations"] {
            #expect(page.contains("<figure id=\"\(id)\""))
        }
        #expect(page.contains("no data") && page.contains("No thresholds.") && page.contains("badge passed"))
        #expect(page.contains("1970-01-01T00:00:00Z"))
    }

    @Test func niceTicks() {
        func scale(_ m: Double) -> [Double] { let s = HTMLReport.niceScale(m); return [s.top, s.step] }
        func close(_ a: [Double], _ b: [Double]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) < 1e-9 } }
        #expect(close(scale(87), [100, 20]))
        #expect(close(scale(0), [1, 0.2]))
        #expect(close(scale(3.2), [4, 1]))
        #expect(close(scale(0.37), [0.4, 0.1]))
        #expect(close(scale(12_345), [15_000, 5_000]))
        #expect(HTMLReport.timeStep(120) == 15)
        #expect(HTMLReport.timeStep(86_400) == 10_800)
        #expect(HTMLReport.tickLabel(12_000, step: 2_000) == "12k")
        #expect(HTMLReport.tickLabel(0.5, step: 0.1) == "0.5")
    }
}

/// The report as a real headless Chromium (Debian `chromium`) renders it, offline from a file.
@Suite("HTML report", .serialized, .enabled(if: chromiumPath != nil, "chromium is not installed (apt-get install chromium)"))
struct HTMLReportTests {
    /// Chromium with a throwaway profile, bounded in time.
    func chromium(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let profile = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: profile) }
        return try runTool(chromiumPath!, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                                            "--user-data-dir=\(profile.path)"] + args, timeout: 90)
    }

    @Test func rendersInChromium() throws {
        let data = sampleReport()
        let page = HTMLReport.render(data)
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("report.html")
        try page.write(to: file, atomically: true, encoding: .utf8)

        // Self-contained: nothing fetched from anywhere, no scripts, no stylesheets.
        for external in ["http://", "https://", "<link", "src=", "@import", "url(", "<script"] {
            #expect(!page.contains(external), "the file contains \(external)")
        }

        let dom = try chromium(["--dump-dom", file.absoluteString])
        #expect(dom.status == 0, "\(dom.stderr)")
        #expect(dom.stdout.contains("</html>"))
        // Every figure is there, every line has at least two points.
        let expected: [String: [String]] = [
            "chart-requests": ["requests"], "chart-latency": ["p50", "p95", "p99"], "chart-errors": ["failed", "error-rate"],
            "chart-vus": ["vus"], "chart-iterations": ["iterations", "dropped"],
        ]
        for (id, series) in expected {
            let lines = try #require(chartLines(dom.stdout, figure: id), "no figure \(id) in the DOM")
            #expect(Set(lines.map(\.series)) == Set(series), "\(id): \(lines.map(\.series))")
            for l in lines {
                #expect(l.points.count >= 2, "\(id) \(l.series) has \(l.points.count) points")
                #expect(l.points.allSatisfy { $0.split(separator: ",").count == 2 && $0.split(separator: ",").allSatisfy { Double($0) != nil } })
            }
        }
        // Every probe, step, check and threshold, escaped as Chromium serializes text.
        let names = ["catalog & search", "checkout", "add to cart <b>", "pay & confirm", "status is 200", "cart id set", "paid",
                     "http_req_duration{probe:catalog & search}", "p(95)<300", "http_req_failed", "rate<0.01", "1.26%",
                     "checks", "rate>0.99", "2024-05-01T12:00:00Z", "ramping-arrival-rate", "2m 0s (120 s)"]
        for name in names {
            #expect(dom.stdout.contains(StatusPage.html(name)), "the page lacks \(name)")
        }
        // The hostile names are text: no script element, no <b> element from a step name.
        #expect(!dom.stdout.contains("<script"))
        #expect(!dom.stdout.contains("<b>"), "a step name became markup")
        #expect(dom.stdout.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        // The failing threshold's row is highlighted, the verdict says failed.
        #expect(dom.stdout.contains("<tr class=\"failrow\"><td class=\"l\"><code>http_req_failed</code>"))
        #expect(dom.stdout.contains("class=\"badge failed\""))

        // A screenshot is not blank: many distinct colours (text, lines, badges).
        let png = dir.appendingPathComponent("report.png").path
        let shot = try chromium(["--window-size=1280,2400", "--screenshot=\(png)", file.absoluteString])
        #expect(shot.status == 0, "\(shot.stderr)")
        let colours = try runTool("/usr/bin/python3", ["-c", StatusPageTests.countColours, png])
        #expect(colours.status == 0, "\(colours.stderr)")
        #expect((Int(colours.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 50, "distinct colours: \(colours.stdout)")
        // To look at it: KALM_REPORT_KEEP=/some/dir keeps the page and its screenshot.
        if let keep = ProcessInfo.processInfo.environment["KALM_REPORT_KEEP"] {
            try? FileManager.default.removeItem(atPath: "\(keep)/report.html")
            try? FileManager.default.removeItem(atPath: "\(keep)/report.png")
            try FileManager.default.copyItem(atPath: file.path, toPath: "\(keep)/report.html")
            try FileManager.default.copyItem(atPath: png, toPath: "\(keep)/report.png")
        }
    }
}
