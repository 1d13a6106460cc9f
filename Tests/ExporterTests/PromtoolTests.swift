import Foundation
import KalmTestSupport
import Measurements
import Testing
@testable import Exporter

/// `promtool check metrics` (Debian package `prometheus`, 2.42) on the text
/// format: it must print nothing and exit 0. promtool 2.42 parses only the
/// Prometheus text format (OpenMetrics `# EOF`/`# UNIT` are read as comments
/// and `_total` counter samples become HELP-less metrics), so the
/// OpenMetrics output is checked with `OpenMetricsLint` instead.
@Suite struct PromtoolTests {
    static let promtool = "/usr/bin/promtool"

    static func run(_ input: [UInt8]) throws -> (status: Int32, output: String) {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("kalm-promtool-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).prom")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(input).write(to: url)
        let r = try runTool(promtool, ["check", "metrics"], stdin: try Data(contentsOf: url))
        return (r.status, r.stdout + r.stderr)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: promtool)))
    func textFormatPassesPromtool() throws {
        let result = try Self.run(TextFormatWriter.render(ExpositionFixtures.families()))
        #expect(result.output == "")
        #expect(result.status == 0)
    }

    /// A larger, agent-shaped exposition (every kalm family type, many series).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: promtool)))
    func agentSizedExpositionPassesPromtoolAndLint() throws {
        let families = AgentShapedFamilies.make(probes: 5)
        let result = try Self.run(TextFormatWriter.render(families))
        #expect(result.output == "")
        #expect(result.status == 0)
        #expect(OpenMetricsLint.problems(String(decoding: OpenMetricsWriter.render(families), as: UTF8.self)) == [])
    }

    /// promtool is not a rubber stamp: it does complain about a bad exposition.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: promtool)))
    func promtoolComplainsAboutAMissingHelp() throws {
        let result = try Self.run(Array("# TYPE kalm_x_total counter\nkalm_x_total 1\n".utf8))
        #expect(result.output.contains("no help text"))
        #expect(result.status != 0)
    }
}

/// The families an agent with `probes` probes × 1 scenario × 4 windows exposes
/// (docs/metrics.md), with realistic label sets.
enum AgentShapedFamilies {
    static func make(probes: Int) -> [MetricFamily] {
        let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10]
        let phaseBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
        let windows = ["1m", "5m", "15m", "1h"]
        var requests = MetricFamily(name: "kalm_http_requests_total", help: "HTTP requests by status code (0: transport error).", type: .counter)
        var failures = MetricFamily(name: "kalm_http_request_failures_total", help: "Failed requests by reason.", type: .counter)
        var duration = MetricFamily(name: "kalm_http_request_duration_seconds", help: "Request duration of answered requests.", type: .histogram, unit: "seconds")
        var phases = MetricFamily(name: "kalm_http_request_phase_seconds", help: "Request phases.", type: .histogram, unit: "seconds")
        var iterations = MetricFamily(name: "kalm_iterations_total", help: "Iterations by result.", type: .counter)
        var window = MetricFamily(name: "kalm_window_latency_seconds", help: "Latency quantiles over rolling windows.", type: .summary, unit: "seconds")
        var availability = MetricFamily(name: "kalm_window_availability_ratio", help: "Successful iterations / iterations over the window.", type: .gauge, unit: "ratio")
        var rps = MetricFamily(name: "kalm_window_requests_per_second", help: "Requests per second over the window.", type: .gauge)
        var success = MetricFamily(name: "kalm_probe_success", help: "1 when the last iteration succeeded.", type: .gauge)
        var lastSuccess = MetricFamily(name: "kalm_probe_last_success_timestamp_seconds", help: "Time of the last successful iteration.", type: .gauge, unit: "seconds")
        for p in 0..<probes {
            let base: MetricLabels = [("probe", "probe_\(p)"), ("scenario", "smoke"), ("region", "eu-west-1")]
            for code in ["0", "200", "503"] {
                requests.add(Double(1000 * p + code.count), labels: [("probe", "probe_\(p)"), ("scenario", "smoke"), ("code", code), ("region", "eu-west-1")])
            }
            for reason in ["connect", "dns", "other", "status", "timeout", "tls", "body_limit"] {
                failures.add(Double(p), labels: [("probe", "probe_\(p)"), ("scenario", "smoke"), ("reason", reason), ("region", "eu-west-1")])
            }
            let counts = (0...buckets.count).map { UInt64(($0 * 37 + p) % 100) }
            duration.addHistogram(labels: base, upperBounds: buckets, bucketCounts: counts, sum: 12.5 + Double(p))
            for phase in ["connect", "dns", "receive", "send", "tls", "wait"] {
                let pc = (0...phaseBuckets.count).map { UInt64(($0 * 13 + p) % 50) }
                phases.addHistogram(labels: [("probe", "probe_\(p)"), ("scenario", "smoke"), ("phase", phase), ("region", "eu-west-1")],
                                    upperBounds: phaseBuckets, bucketCounts: pc, sum: 0.25 * Double(p + 1))
            }
            iterations.add(Double(10 * p), labels: base + [("result", "failure")])
            iterations.add(Double(1000 * p), labels: base + [("result", "success")])
            for w in windows {
                window.addSummary(labels: base + [("window", w)],
                                  quantiles: [(0.5, 0.1 + Double(p) / 1000), (0.9, 0.2), (0.95, 0.25), (0.99, 0.4)])
                availability.add(0.999, labels: base + [("window", w)])
                rps.add(12.345, labels: base + [("window", w)])
            }
            success.add(1, labels: base)
            lastSuccess.add(1_712_345_678.5 + Double(p), labels: base)
        }
        var build = MetricFamily(name: "kalm_build_info", help: "kalm's version and revision; the value is 1.", type: .gauge)
        build.add(1, labels: [("version", "0.1.0"), ("revision", "abc1234")])
        return [requests, failures, duration, phases, iterations, window, availability, rps, success, lastSuccess, build]
    }
}
