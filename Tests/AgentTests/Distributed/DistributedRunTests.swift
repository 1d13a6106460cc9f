import Foundation
import KalmTestSupport
import TestServer
import Testing

/// Issue 14's acceptance on loopback: the commands an Indexed Job runs, as four processes
/// against one target. Parts split the load exactly, start together at `--start-at` although
/// launched seconds apart, and `kalm merge` judges the whole: a threshold every part passes
/// alone can fail the union and the other way round; a missing part is named and refused.
/// The CSV columns as docs/configuration.md lists them.
enum RequestOutputColumns {
    static let all = ["timestamp", "scenario", "probe", "step", "url", "status", "failure", "duration_ms", "blocked_ms",
                      "connecting_ms", "tls_handshaking_ms", "sending_ms", "waiting_ms", "receiving_ms", "bytes_sent",
                      "bytes_received", "checks_passed", "checks_failed", "iteration_end", "trace_id"]
    static func index(_ name: String) -> Int { all.firstIndex(of: name)! }
}

@Suite("Distributed runs: parts and merge", .serialized, .timeLimit(.minutes(3)))
final class DistributedRunTests {
    let server: FaultServer
    let dir: URL
    let config: String

    init() throws {
        server = try FaultServer.start(threads: 2)
        dir = try tempDirectory()
        config = dir.appendingPathComponent("kalm.yml").path
        try """
            probes:
              - name: api
                request: {url: "${BASE}/latency?mean_ms=2&sigma=0.3&tag=${PART}"}
                checks: [{name: ok, status: [200]}]
            scenarios:
              arrivals:
                executor: constant-arrival-rate
                rate: 400
                time_unit: 1s
                duration: 5s
                preallocated_vus: 20
                max_vus: 40
              users:
                executor: constant-vus
                vus: 10
                duration: 1s
              ramp:
                executor: ramping-vus
                start_vus: 0
                stages: [{duration: 10s, target: 7}]
                graceful_ramp_down: 0s
              long:
                executor: constant-vus
                vus: 2
                duration: 30s
            thresholds:
              http_reqs: ["count<1900", "count>600"]
            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    deinit {
        server.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }

    func part(_ i: Int, scenario: String, extra: [String] = []) -> [String] {
        ["run", "-c", config, "--scenario", scenario, "--execution-parts", "4", "--execution-part", "\(i)", "--no-thresholds",
         "-e", "BASE=\(server.baseURL)", "-e", "PART=p\(i)", "--threads", "1",
         "--summary-export", dir.appendingPathComponent("\(scenario)-\(i).json").path] + extra
    }

    func export(_ scenario: String, _ i: Int) throws -> [String: Any] {
        let data = try Data(contentsOf: dir.appendingPathComponent("\(scenario)-\(i).json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func metric(_ e: [String: Any], _ name: String, _ key: String) -> Double? {
        ((e["metrics"] as? [String: Any])?[name] as? [String: Any])?[key] as? Double
    }

    func merge(_ files: [String], extra: [String] = []) throws -> KalmProcess.Result {
        try KalmProcess.run(["merge"] + files.map { dir.appendingPathComponent($0).path } + extra, timeout: 30)
    }

    @Test func arrivalRatePartsStartTogetherAndMergeExactly() throws {
        let startAt = Date().addingTimeInterval(5)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Launched 0, 1, 2 and 3 s apart; the same --start-at.
        var children: [ChildProcess] = []
        for i in 0..<4 {
            if i > 0 { Thread.sleep(forTimeInterval: 1) }
            children.append(try ChildProcess(KalmProcess.binary, part(i, scenario: "arrivals", extra: [
                "--start-at", f.string(from: startAt), "--out", "csv=\(dir.appendingPathComponent("arrivals-\(i).csv").path)",
            ])))
        }
        for (i, c) in children.enumerated() {
            let status = c.waitForExit(timeout: 40)
            #expect(status == 0, "part \(i): \(c.output)")
        }
        // 400/s for 5 s: 2000 iterations in all, 500 ± 1 per part (started, or dropped for want
        // of a free VU on a loaded machine: either way that part's, and no other's).
        let counts = try (0..<4).map { i -> Double in
            let e = try export("arrivals", i)
            return (Self.metric(e, "http_reqs", "count") ?? -1) + (Self.metric(e, "dropped_iterations", "count") ?? 0)
        }
        #expect(counts.reduce(0, +) == 2000, "\(counts)")
        #expect(counts.allSatisfy { abs($0 - 500) <= 1 }, "\(counts)")
        // The target saw each part's first request within 50 ms of the others'.
        let log = server.latencyLog
        let firsts = (0..<4).compactMap { i in log.filter { $0.tag == "p\(i)" }.map(\.arrivedAt).min() }
        #expect(firsts.count == 4)
        let spread = (firsts.max() ?? 0) - (firsts.min() ?? 0)
        print("distributed: first requests within \(String(format: "%.1f", spread * 1000)) ms; start-at \(f.string(from: startAt))")
        #expect(spread < 0.05, "first requests \(firsts.map { $0 - startAt.timeIntervalSince1970 }) s after --start-at")
        #expect(abs((firsts.min() ?? 0) - startAt.timeIntervalSince1970) < 0.05)

        // Every part passes count<1900 alone (500) and fails count>600; the union is the other way round.
        let report = dir.appendingPathComponent("report.html")
        let merged = try merge((0..<4).map { "arrivals-\($0).json" }, extra: ["--summary-export", dir.appendingPathComponent("merged.json").path,
                                                                              "--report", report.path])
        #expect(merged.status == 99, "\(merged.output)")
        #expect(merged.stdout.contains("all 4 segments"))
        let m = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("merged.json"))) as? [String: Any])
        #expect((Self.metric(m, "http_reqs", "count") ?? 0) + (Self.metric(m, "dropped_iterations", "count") ?? 0) == 2000)
        let verdicts = (m["thresholds"] as? [[String: Any]] ?? []).map { ($0["threshold"] as? String ?? "", $0["ok"] as? Bool) }
        #expect(verdicts.contains { $0.0 == "count<1900" && $0.1 == false } && verdicts.contains { $0.0 == "count>600" && $0.1 == true }, "\(verdicts)")
        // The merged report charts the union: four parts, every chart with data.
        let html = try String(contentsOf: report, encoding: .utf8)
        for chart in ["chart-requests", "chart-latency", "chart-errors", "chart-vus", "chart-iterations"] {
            #expect(html.contains("id=\"\(chart)\""), "\(chart) missing")
        }
        #expect(html.components(separatedBy: "<polyline").count > 5)
        #expect(html.contains(">4<") && html.contains("count&lt;1900"))
        let alone = try merge(["arrivals-0.json"], extra: ["--allow-missing"])
        #expect(alone.status == 99 && alone.stderr.contains("count>600") && !alone.stderr.contains("count<1900"), "\(alone.output)")
        // The merged count and quantiles are those of the four parts' --out csv rows together,
        // within the trend histogram's 0.39 % (plus the rows' 1 µs rounding).
        var durations: [Double] = []
        for i in 0..<4 {
            let rows = try String(contentsOf: dir.appendingPathComponent("arrivals-\(i).csv"), encoding: .utf8)
                .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let column = RequestOutputColumns.index("duration_ms")
            durations += rows.compactMap { Double($0[column]) }
        }
        durations.sort()
        #expect(Double(durations.count) == Self.metric(m, "http_reqs", "count"))
        for (q, key) in [(0.5, "med"), (0.95, "p(95)"), (0.99, "p(99)")] {
            let merged = try #require(Self.metric(m, "http_req_duration", key))
            let exact = durations[max(0, Int((Double(durations.count) * q).rounded(.up)) - 1)]
            #expect(abs(merged - exact) <= exact * 0.004 + 0.002, "\(key): merged \(merged) ms, rows \(exact) ms")
        }
    }

    @Test func rampingPartsAddUpToTheUnsplitRampEverySecond() throws {
        let startAt = Date().addingTimeInterval(3)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let children = try (0..<4).map { i in
            try ChildProcess(KalmProcess.binary, part(i, scenario: "ramp", extra: ["--start-at", f.string(from: startAt)]))
        }
        for c in children { #expect(c.waitForExit(timeout: 40) == 0, "\(c.output)") }
        // Each part samples its active VUs once a second into its timeline (slot i: at i + 1 s).
        let slots = try (0..<4).map { i -> [Int] in
            let timeline = (try export("ramp", i)["kalm"] as? [String: Any])?["timeline"] as? [String: Any]
            return (timeline?["slots"] as? [[Any]] ?? []).map { ($0[4] as? Int) ?? Int(($0[4] as? Double) ?? -100) }
        }
        for second in 1...9 {
            let whole = 7 * second / 10   // k6's ramp: ⌊7·t/10⌋ VUs at t seconds
            let sum = slots.map { second - 1 < $0.count ? $0[second - 1] : -100 }.reduce(0, +)
            #expect(abs(sum - whole) <= 1, "at \(second) s the parts run \(sum) VUs, the unsplit ramp \(whole): \(slots)")
        }
    }

    /// `pick: unique` rows are dealt out like iterations: over the four parts every row is
    /// used once, none twice.
    @Test func uniqueRowsAreUsedOnceAcrossParts() throws {
        let rows = dir.appendingPathComponent("rows.csv")
        try (["id"] + (0..<10).map { "row\($0)" }).joined(separator: "\n").write(to: rows, atomically: true, encoding: .utf8)
        let cfg = dir.appendingPathComponent("unique.yml").path
        try """
            probes:
              - name: once
                data: {rows: {file: rows.csv, pick: unique}}
                request: {url: "\(server.baseURL)/latency?mean_ms=1&sigma=0.1&tag={{ rows.id }}"}
            scenarios:
              s: {executor: constant-vus, vus: 4, duration: 2s}   # one VU per part
            """.write(toFile: cfg, atomically: true, encoding: .utf8)
        for i in 0..<4 {
            let r = try KalmProcess.run(["run", "-c", cfg, "--execution-parts", "4", "--execution-part", "\(i)", "--no-thresholds",
                                         "--threads", "1"], timeout: 30)
            #expect(r.status == 0, "\(r.output)")
        }
        let used = server.latencyLog.map(\.tag).filter { $0.hasPrefix("row") }.sorted()
        #expect(used == (0..<10).map { "row\($0)" }.sorted(), "\(used)")
    }

    @Test func tenVUsOverFourPartsAreThreeThreeTwoTwo() throws {
        for i in 0..<4 {
            let r = try KalmProcess.run(part(i, scenario: "users"), timeout: 30)
            #expect(r.status == 0, "\(r.output)")
        }
        let vus = try (0..<4).map { try Self.metric(export("users", $0), "vus_max", "value") ?? -1 }
        #expect(vus == [3, 3, 2, 2])
    }

    @Test func aMissingPartIsNamedAndRefused() throws {
        // Part 2 is killed mid-run: it writes no export.
        var children: [ChildProcess] = []
        for i in 0..<4 {
            children.append(try ChildProcess(KalmProcess.binary, part(i, scenario: "long", extra: ["--duration", i == 2 ? "30s" : "2s"])))
        }
        Thread.sleep(forTimeInterval: 1)
        children[2].forceStop()
        for (i, c) in children.enumerated() where i != 2 { #expect(c.waitForExit(timeout: 40) == 0, "\(c.output)") }
        let files = [0, 1, 3].map { "long-\($0).json" }
        let refused = try merge(files)
        #expect(refused.status == 104)
        #expect(refused.stderr.contains("missing part: 1/2:3/4 (part 2 of 4)"), "\(refused.stderr)")
        let allowed = try merge(files, extra: ["--allow-missing"])
        #expect(allowed.status == 0 || allowed.status == 99, "\(allowed.output)")
        #expect(allowed.stdout.contains("missing 1/2:3/4"))
        // Parts of different runs are refused too.
        #expect(try KalmProcess.run(part(1, scenario: "users"), timeout: 30).status == 0)
        let mixed = try merge(["long-0.json", "users-1.json"])
        #expect(mixed.status == 104 && mixed.stderr.contains("is a part of another run"), "\(mixed.output)")
    }
}
