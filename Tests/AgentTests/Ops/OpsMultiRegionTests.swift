import Foundation
import KalmTestSupport
import TestServer
import Testing

/// Three agents with different `agent.labels.region` on loopback, one real Prometheus
/// scraping all three with rules/kalm-recording.yml loaded: the cross-region recording
/// rules give the request-weighted availability (not the mean of the regions'), and the
/// global latency quantile from the summed histogram buckets.
///
/// Regions (each agent has its own FaultServer, so /flaky's count is per region):
///   eu   3 VUs  /sleep?ms=30              availability 1
///   us   1 VU   /status?code=503, 100 ms think time   availability 0 (no latency: nothing answered)
///   ap   2 VUs  /flaky?every=2&ms=30      availability 1/2
/// Weighted by each region's iterations per second (measured through Prometheus) the global
/// availability is near (100·1 + 10·0 + 66·½) / 176 ≈ 0.75 (iterations/s per region: ~33 per
/// VU at 30 ms, ~10 for us), far from the unweighted mean 0.5.
@Suite("Ops: three regions, one Prometheus", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: Promtool.prometheusAvailable, "needs /usr/bin/prometheus (Debian package `prometheus`; scripts/test installs it)"))
final class OpsMultiRegionTests {
    struct Region {
        var name: String
        var vus: Int
        var path: String
        var availability: Double
    }

    static let regions = [
        Region(name: "eu", vus: 3, path: "/sleep?ms=30", availability: 1),
        Region(name: "us", vus: 1, path: "/status?code=503", availability: 0),
        Region(name: "ap", vus: 2, path: "/flaky?every=2&ms=30", availability: 0.5),
    ]

    var servers: [FaultServer] = []
    var agents: [AgentProcess] = []
    var prometheus: PrometheusProcess!

    init() throws {
        for r in Self.regions {
            let server = try FaultServer.start(threads: 1)
            servers.append(server)
            // us answers at once: it thinks 100 ms between iterations, so its few failures
            // weigh little.
            let think = r.name == "us" ? ", think_time: 100ms" : ""
            agents.append(try AgentProcess(yaml: """
                agent:
                  labels: {region: \(r.name)}
                probes:
                  - name: api
                    request: {url: "\(server.baseURL)\(r.path)"}
                scenarios:
                  smoke: {vus: \(r.vus)\(think), continuous: true}
                """, args: ["--threads", "1"]))
        }
        prometheus = try PrometheusProcess(targets: agents.map(\.address), ruleFiles: [OpsPaths.recordingRules.path])
    }

    deinit {
        prometheus = nil
        for a in agents { a.child.forceStop() }
        for s in servers { s.shutdown() }
    }

    typealias Result = PrometheusProcess.Result

    func query(_ expr: String, time: Double? = nil) throws -> Result {
        try prometheus.query(expr, time: time)
    }

    func waitFor(_ expr: String, timeout: Double = 60, until: (Result) -> Bool) throws -> Result {
        var last: Result = []
        let ok = try poll(timeout: timeout, interval: 0.5) { () throws -> Bool in
            guard prometheus.isRunning else { throw TestFailure("prometheus exited:\n\(prometheus.output)") }
            last = (try? query(expr)) ?? []
            return until(last)
        }
        guard ok else {
            throw TestFailure("""
                \(expr) did not get there within \(timeout) s: \(last)
                prometheus:\n\(prometheus.output)
                agents:\n\(agents.map(\.output).joined(separator: "\n"))
                """)
        }
        return last
    }

    @Test func globalAvailabilityIsTheRequestWeightedCombination() throws {
        // All three targets up, and the recording rules evaluated over a few scrapes each.
        _ = try waitFor(#"up{job="kalm"} == 1"#) { $0.count == 3 }
        _ = try waitFor(#"count(instance_probe:kalm_iterations:rate5m{job="kalm"})"#) { $0.first?.value == 3 }
        // Let every series gather ~30 scrapes: rate() over 5m of a younger series scales with
        // its age, so regions whose first scrapes were a second apart weigh a few % off at first.
        Thread.sleep(forTimeInterval: 30)

        // One evaluation time for every query, a little in the past: the recording rules run
        // every second, the cross-region group reading the per-agent group's last values.
        let at = Date().timeIntervalSince1970 - 2
        let perRegion = try query(#"sum by (region) (instance_probe:kalm_iterations:rate5m{job="kalm", probe="api"})"#, time: at)
        let successes = try query(#"sum by (region) (instance_probe:kalm_iterations_success:rate5m{job="kalm", probe="api"})"#, time: at)
        let rate = Dictionary(uniqueKeysWithValues: perRegion.map { ($0.labels["region"] ?? "?", $0.value) })
        let success = Dictionary(uniqueKeysWithValues: successes.map { ($0.labels["region"] ?? "?", $0.value) })
        #expect(Set(rate.keys) == ["eu", "us", "ap"], "\(perRegion)")

        // Each region's availability is what its server does.
        let regional = try query(#"instance_probe:kalm_availability:ratio_rate5m{job="kalm", probe="api"}"#, time: at)
        #expect(regional.count == 3, "\(regional)")
        for r in Self.regions {
            let got = regional.first { $0.labels["region"] == r.name }?.value ?? .nan
            #expect(abs(got - r.availability) < 0.02, "region \(r.name): availability \(got), expected \(r.availability)")
            // (rate over 5m of series younger than that: scaled down alike for every region.)
            #expect((rate[r.name] ?? 0) > 0, "region \(r.name) made no iterations")
        }

        // The global rule: request-weighted, within 2 percentage points of the combination of
        // the known availabilities by the regions' iteration rates, and far from the plain mean.
        let total = rate.values.reduce(0, +)
        let expected = Self.regions.reduce(0.0) { $0 + (rate[$1.name] ?? 0) * $1.availability } / total
        let fromCounters = success.values.reduce(0, +) / total
        let global = try query(#"probe:kalm_availability:ratio_rate5m{probe="api"}"#, time: at)
        #expect(global.count == 1, "\(global)")
        let got = global.first?.value ?? .nan
        #expect(global.first?.labels.keys.sorted() == ["__name__", "probe"], "\(global)")
        #expect(abs(got - expected) < 0.02, "global availability \(got), expected \(expected) from rates \(rate)")
        #expect(abs(got - fromCounters) < 0.02, "global availability \(got), counters say \(fromCounters)")
        let unweighted = Self.regions.map(\.availability).reduce(0, +) / Double(Self.regions.count)
        #expect(abs(expected - unweighted) > 0.1, "the test's regions must tell weighted from unweighted: \(rate)")
        #expect(abs(got - unweighted) > 0.1, "global availability \(got) looks like the unweighted mean \(unweighted)")

        // Latency across regions from the summed buckets: eu and ap answer in ~30 ms (us
        // answers nothing within expected_status), so the global median is in (0.025, 0.05].
        let p50 = try waitFor(#"probe:kalm_http_request_duration_seconds:quantile_rate5m{probe="api", quantile="0.5"}"#) {
            $0.count == 1 && !$0[0].value.isNaN
        }
        #expect(p50[0].value > 0.025 && p50[0].value <= 0.05, "global p50 \(p50)")
        let good = try query(#"probe:kalm_latency_good:ratio_rate5m{probe="api"}"#)
        #expect(good.first.map { $0.value > 0.99 } == true, "global share within 0.2 s: \(good)")
    }
}
