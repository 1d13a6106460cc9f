import Foundation
import KalmTestSupport
import TestServer
import Testing

/// Scheduled windows in a running agent (issue 5): cron and `every`, alongside continuous smoke.
@Suite("agent schedules", .serialized)
final class AgentScheduleTests {
    let server: FaultServer
    var agent: AgentProcess?

    init() throws {
        server = try FaultServer.start(threads: 2)
    }

    deinit {
        agent = nil
        server.shutdown()
    }

    func start(_ yaml: String) throws -> String {
        let a = try AgentProcess(yaml: yaml)
        agent = a
        return a.url("/metrics")
    }

    func value(_ text: String, _ fragments: [String]) -> Double? { AgentThresholdTests.sample(text, fragments) }

    @Test func everyMinuteCronRunsAWindowWhileSmokeContinues() throws {
        let url = try start("""
            agent: {windows: [1m]}
            probes:
              - name: api
                request: {url: "\(server.baseURL)/sleep?ms=10"}
            scenarios:
              smoke: {vus: 1, think_time: 200ms, continuous: true}
              soak:
                schedule: "* * * * *"
                executor: ramping-vus
                start_vus: 3
                stages: [{duration: 20s, target: 3}]
                thresholds:
                  http_req_failed: ["rate<0.01"]
            """)
        // Before the window: scheduled but idle.
        let idle = AgentThresholdTests.waitFor(url, timeout: 10) { self.value($0, ["kalm_scenario_active{", "scenario=\"smoke\""]) == 1 }
        #expect(idle.ok)
        // Within the next minute the window starts (3 VUs under scenario="soak")...
        let active = AgentThresholdTests.waitFor(url, timeout: 65) { self.value($0, ["kalm_scenario_active{", "scenario=\"soak\""]) == 1 }
        #expect(active.ok, "the window did not start within a minute")
        let during = AgentThresholdTests.scrape(url)
        #expect(value(during, ["kalm_vus{", "scenario=\"soak\""]) == 3)
        let smokeBefore = value(during, ["kalm_http_requests_total{", "scenario=\"smoke\"", "code=\"200\""]) ?? 0
        // ...runs 20 s, then reports its verdict and the soak metrics, kept afterwards.
        let ended = AgentThresholdTests.waitFor(url, timeout: 40) { self.value($0, ["kalm_scenario_last_run_passed{", "scenario=\"soak\""]) != nil }
        #expect(ended.ok, "the window did not end")
        let after = AgentThresholdTests.scrape(url)
        #expect(value(after, ["kalm_scenario_last_run_passed{", "scenario=\"soak\""]) == 1)
        #expect(value(after, ["kalm_scenario_active{", "scenario=\"soak\""]) == 0)
        #expect(value(after, ["kalm_scenario_last_run_timestamp_seconds{", "scenario=\"soak\""])! > Date().timeIntervalSince1970 - 30)
        for stat in ["p50", "p95", "p99"] {
            let d = value(after, ["kalm_soak_latency_drift_ratio{", "scenario=\"soak\"", "stat=\"\(stat)\""])
            #expect(d != nil && d! > 0.5 && d! < 2, "\(stat) drift \(String(describing: d))")
            #expect(value(after, ["kalm_soak_latency_slope_seconds_per_hour{", "scenario=\"soak\"", "stat=\"\(stat)\""]) != nil)
        }
        #expect(value(after, ["kalm_soak_error_ratio{", "scenario=\"soak\""]) == 0)
        let start = value(after, ["kalm_soak_window_start_timestamp_seconds{", "scenario=\"soak\""])!
        let end = value(after, ["kalm_soak_window_end_timestamp_seconds{", "scenario=\"soak\""])!
        #expect(abs(end - start - 20) < 0.5)
        // Smoke kept probing throughout, under its own label.
        let smokeAfter = value(after, ["kalm_http_requests_total{", "scenario=\"smoke\"", "code=\"200\""]) ?? 0
        #expect(smokeAfter > smokeBefore + 30)
        #expect((value(after, ["kalm_http_requests_total{", "scenario=\"soak\"", "code=\"200\""]) ?? 0) > 500)
        #expect(value(after, ["kalm_scenario_skipped_runs_total{", "scenario=\"soak\""]) == 0)
    }

    @Test func firingWhileTheWindowRunsIsSkippedAndCounted() throws {
        let url = try start("""
            probes:
              - name: api
                request: {url: "\(server.baseURL)/ok"}
            scenarios:
              often: {every: 2s, vus: 1, duration: 5s, think_time: 100ms}
            """)
        // Fires at 2 s (runs to 7 s); the firings at 4 s and 6 s are skipped; 8 s runs again.
        let skipped = AgentThresholdTests.waitFor(url, timeout: 15) {
            (self.value($0, ["kalm_scenario_skipped_runs_total{", "scenario=\"often\""]) ?? 0) >= 2
        }
        #expect(skipped.ok)
        let ended = AgentThresholdTests.waitFor(url, timeout: 10) { self.value($0, ["kalm_scenario_last_run_passed{", "scenario=\"often\""]) == 1 }
        #expect(ended.ok, "the first window never reported")
    }

    @Test func sigtermEndsAWindowCleanly() throws {
        let url = try start("""
            probes:
              - name: api
                request: {url: "\(server.baseURL)/sleep?ms=300"}
            scenarios:
              long: {every: 1s, vus: 2, duration: 10m}
            """)
        let running = AgentThresholdTests.waitFor(url, timeout: 10) { self.value($0, ["kalm_scenario_active{", "scenario=\"long\""]) == 1 }
        #expect(running.ok)
        let began = Date()
        agent!.child.signal(SIGTERM)
        #expect(agent!.child.waitForExit(timeout: 10) == 0)
        #expect(Date().timeIntervalSince(began) < 3)
    }
}
