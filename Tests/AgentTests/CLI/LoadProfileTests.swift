import Foundation
import KalmTestSupport
import TestServer
import Testing

/// Issue 5's acceptance for `kalm run`: soak drift and slope against targets with a known
/// latency shape, and a breakpoint run against a server with a known capacity.
@Suite("load profiles", .serialized)
final class LoadProfileTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start(threads: 2)
    }

    deinit { server.shutdown() }

    func soak(path: String) throws -> [String: Any] {
        server.resetCounts()  // restarts /ramp's clock
        let cfg = try tempFile("""
            probes:
              - name: target
                request: {url: "\(server.baseURL)\(path)"}
            scenarios:
              soak:
                executor: ramping-vus
                start_vus: 8
                stages: [{duration: 30s, target: 8}]
            """)
        let export = cfg + ".json"
        let r = try KalmProcess.run(["run", "-c", cfg, "--summary-export", export],
                                    timeout: 90)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("SOAK  steady state"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export))) as! [String: Any]
        return (json["soak"] as! [String: Any])["target"] as! [String: Any]
    }

    @Test func linearLatencyGrowthGivesTheRampsDriftAndSlope() throws {
        let s = try soak(path: "/ramp?from_ms=20&to_ms=40&over_s=30")
        let drift = (s["drift_ratio"] as! [String: Double])["p50"]!
        let slope = (s["slope_seconds_per_hour"] as! [String: Double])["p50"]!
        // Last 10 % (≈39 ms) over first 10 % (≈21 ms) ≈ 1.86; 20 ms per 30 s = 2.4 s/h.
        #expect(abs(drift - 1.86) / 1.86 <= 0.10, "p50 drift \(drift)")
        #expect(abs(slope - 2.4) / 2.4 <= 0.10, "p50 slope \(slope) s/h")
        #expect((s["error_ratio"] as! Double) == 0)
    }

    @Test func flatLatencyGivesNoDrift() throws {
        let s = try soak(path: "/sleep?ms=30")
        let drift = (s["drift_ratio"] as! [String: Double])["p50"]!
        #expect(abs(drift - 1) <= 0.02, "p50 drift \(drift)")
        let slope = (s["slope_seconds_per_hour"] as! [String: Double])["p50"]!
        #expect(abs(slope) < 0.1, "p50 slope \(slope) s/h")
    }

    @Test func breakpointFindsTheCapacityOfALimitedServer() throws {
        // 10 requests at a time, 50 ms each: the server answers at most 200/s; beyond, a queue builds.
        let cfg = try tempFile("""
            probes:
              - name: limited
                request: {url: "\(server.baseURL)/limited?capacity=10&ms=50", timeout: 10s}
            scenarios:
              capacity:
                executor: ramping-arrival-rate
                start_rate: 20
                time_unit: 1s
                stages: [{duration: 60s, target: 500}]
                preallocated_vus: 50
                max_vus: 500
                abort_on: [http_req_duration]
            thresholds:
              http_req_duration: ["p(95)<150"]
            """)
        let export = cfg + ".json"
        let start = Date()
        let r = try KalmProcess.run(["run", "-c", cfg, "--summary-export", export], timeout: 90)
        #expect(r.status == 99, "\(r.output)")
        #expect(Date().timeIntervalSince(start) < 50, "the run did not stop at the breaking point")
        #expect(r.stdout.contains("BREAKPOINT"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export))) as! [String: Any]
        let bp = json["breakpoint"] as! [String: Any]
        let capacity = (bp["capacity_requests_per_second"] as! [String: Double])["limited"]!
        #expect(abs(capacity - 200) / 200 <= 0.15, "capacity \(capacity)/s, true limit 200/s\n\(r.stdout)")
        #expect((bp["stopped_by"] as! [String: Any])["metric"] as? String == "http_req_duration")
    }

    @Test func breakpointWithoutThresholdsIsRejected() throws {
        let cfg = try tempFile("probes: [{name: a, request: {url: \"\(server.baseURL)/ok\"}}]\n")
        let r = try KalmProcess.run(["run", "-c", cfg, "--profile", "breakpoint"])
        #expect(r.status == 104)
        #expect(r.stderr.contains("breakpoint run stops when a threshold fails"))
    }

    @Test func profilesAndStagesReplaceTheExecutor() throws {
        let cfg = try tempFile("probes: [{name: a, request: {url: \"\(server.baseURL)/ok\"}}]\n")
        let export = cfg + ".json"
        // smoke: 2 VUs; --duration shortens it, --vus overrides the count.
        let r = try KalmProcess.run(["run", "-c", cfg, "--profile", "smoke", "--duration", "1s", "--vus", "3", "--summary-export", export])
        #expect(r.status == 0, "\(r.output)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export))) as! [String: Any]
        #expect(((json["metrics"] as! [String: [String: Any]])["vus_max"]!["value"] as! Double) == 3)
        // --stages on a file without scenarios ramps every probe.
        let s = try KalmProcess.run(["run", "-c", cfg, "--stages", "1s:2,1s:0", "--summary-export", export])
        #expect(s.status == 0, "\(s.output)")
        let bad = try KalmProcess.run(["run", "-c", cfg, "--stages", "1s-2"])
        #expect(bad.status == 104)
        #expect(bad.stderr.contains("--stages"))
        let unknown = try KalmProcess.run(["run", "-c", cfg, "--profile", "marathon"])
        #expect(unknown.status == 104)
    }
}
