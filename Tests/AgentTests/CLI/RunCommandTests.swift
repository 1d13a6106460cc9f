import Foundation
import KalmTestSupport
import TestServer
import Testing

/// `kalm run` as a user runs it: the real binary, a real server, real exit codes.
@Suite("kalm run", .serialized)
final class RunCommandTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    func config(path: String = "/json", vus: Int = 2, duration: String = "1s") -> String {
        """
        probes:
          - name: api
            request:
              url: ${BASE}\(path)
              headers:
                Authorization: "Bearer ${SECRET_TOKEN}"
            checks:
              - {name: status is 200, status: [200]}
              - {name: has id, json_path: $.id}
        scenarios:
          quick:
            vus: \(vus)
            duration: \(duration)
        """
    }

    @Test func runsPrintsTheSummaryAndExports() throws {
        let cfg = try tempFile(config())
        let export = cfg + ".json"
        let r = try KalmProcess.run(["run", "-c", cfg, "-e", "BASE=\(server.baseURL)", "-e", "SECRET_TOKEN=s3cr3t-value",
                                     "--summary-export", export, "--threads", "1", "--log.level", "debug"])
        #expect(r.status == 0, "\(r.output)")
        for line in ["✓ status is 200", "✓ has id", "http_req_duration", "{ expected_response:true }", "http_req_failed",
                     "http_reqs", "iterations", "data_received", "data_sent", "vus", "p(95)=", "p(99)="] {
            #expect(r.stdout.contains(line), "summary lacks \(line)")
        }
        #expect(!r.output.contains("s3cr3t-value"), "a secret reached the output")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export))) as! [String: Any]
        let metrics = json["metrics"] as! [String: [String: Any]]
        for name in ["http_req_duration", "http_req_blocked", "http_req_connecting", "http_req_tls_handshaking",
                     "http_req_sending", "http_req_waiting", "http_req_receiving", "http_reqs", "http_req_failed",
                     "checks", "iterations", "iteration_duration", "vus", "vus_max", "data_sent", "data_received",
                     "http_req_duration{expected_response:true}"] {
            #expect(metrics[name] != nil, "export lacks \(name)")
        }
        #expect(Set(metrics["http_req_duration"]!.keys) == ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"])
        #expect(Set(metrics["http_reqs"]!.keys) == ["count", "rate"])
        #expect(Set(metrics["http_req_failed"]!.keys) == ["passes", "fails", "value"])
        #expect(Set(metrics["vus"]!.keys) == ["value", "min", "max"])
        let reqs = metrics["http_reqs"]!["count"] as! Int
        #expect(reqs == server.requestCount(path: "/json"))
        let checks = (json["root_group"] as! [String: Any])["checks"] as! [String: [String: Any]]
        #expect(checks["has id"]?["passes"] as? Int == reqs)
        #expect(checks["has id"]?["fails"] as? Int == 0)
        #expect(json["passed"] as? Bool == true)
    }

    @Test func failingChecksAreShownWithCounts() throws {
        let cfg = try tempFile(config(path: "/status?code=500"))
        let r = try KalmProcess.run(["run", "-c", cfg, "-e", "BASE=\(server.baseURL)", "-e", "SECRET_TOKEN=x"])
        #expect(r.status == 0)  // no thresholds: failures are data, not an exit code
        #expect(r.stdout.contains("✗ status is 200"))
        #expect(r.stdout.contains("↳  0% — ✓ 0 / ✗"))
        #expect(r.stdout.range(of: #"http_req_failed\.+: 100\.00%"#, options: .regularExpression) != nil)
    }

    @Test func flagsOverrideTheScenario() throws {
        let cfg = try tempFile(config(vus: 1, duration: "30s"))
        let export = cfg + ".json"
        let start = Date()
        let r = try KalmProcess.run(["run", "-c", cfg, "-e", "BASE=\(server.baseURL)", "-e", "SECRET_TOKEN=x",
                                     "--vus", "3", "--duration", "1500ms", "--summary-export", export])
        #expect(r.status == 0, "\(r.output)")
        #expect(Date().timeIntervalSince(start) < 10)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export))) as! [String: Any]
        let vus = (json["metrics"] as! [String: [String: Any]])["vus_max"]!
        #expect(vus["value"] as? Double == 3)
    }

    @Test func sigintStopsGracefullyAndExits105() throws {
        let cfg = try tempFile(config(path: "/sleep?ms=300", duration: "1m"))
        let export = cfg + ".json"
        let r = try KalmProcess.run(["run", "-c", cfg, "-e", "BASE=\(server.baseURL)", "-e", "SECRET_TOKEN=x",
                                     "--summary-export", export], timeout: 20, signal: (1.2, SIGINT))
        #expect(r.status == 105, "\(r.output)")
        #expect(r.stdout.contains("http_reqs"), "the summary is still printed")
        #expect(FileManager.default.fileExists(atPath: export))
    }

    @Test func progressIsPrintedAsPlainLinesWhenNotATerminal() throws {
        let cfg = try tempFile(config(path: "/ok", vus: 1, duration: "11s"))
        let r = try KalmProcess.run(["run", "-c", cfg, "-e", "BASE=\(server.baseURL)", "-e", "SECRET_TOKEN=x"], timeout: 40)
        #expect(r.status == 0)
        // Every 10 s in CI logs: elapsed/total, VUs, rate, current p95, errors.
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("running (") }
        #expect(line != nil, "\(r.stdout)")
        if let line {
            #expect(line.range(of: #"^running \(0m1\d\.\ds/0m11\.0s\), 1 VUs, [0-9.]+ req/s, p95 [0-9.]+(µs|ms), errors 0\.00%, \d+ requests$"#,
                               options: .regularExpression) != nil, "\(line)")
        }
        #expect(!r.stdout.contains("\u{1B}[2K"), "no terminal control codes when stdout is not a TTY")
    }

    @Test func noScenarioNeedsDuration() throws {
        let cfg = try tempFile("probes:\n  - name: a\n    request: {url: \"\(server.baseURL)/ok\"}\n")
        let bad = try KalmProcess.run(["run", "-c", cfg])
        #expect(bad.status == 104)
        #expect(bad.stderr.contains("--duration"))
        let ok = try KalmProcess.run(["run", "-c", cfg, "--duration", "300ms", "--vus", "2"])
        #expect(ok.status == 0, "\(ok.output)")
    }
}

/// Bad input always exits 104 with a message that names the place; never a stack trace.
@Suite("bad input")
struct BadInputTests {
    @Test func missingConfigFile() throws {
        let r = try KalmProcess.run(["run", "-c", "/nonexistent/kalm.yml"])
        #expect(r.status == 104)
        #expect(r.stderr.contains("/nonexistent/kalm.yml"))
    }

    @Test func unknownFlag() throws {
        let r = try KalmProcess.run(["run", "-c", "x.yml", "--vuz", "3"])
        #expect(r.status == 104)
        #expect(r.stderr.contains("--vuz"))
    }

    @Test func badDurationFlag() throws {
        let r = try KalmProcess.run(["run", "-c", "x.yml", "--duration", "5 minutes"])
        #expect(r.status == 104)
        #expect(r.stderr.contains("duration"))
    }

    @Test func badEnvPair() throws {
        let r = try KalmProcess.run(["run", "-c", "x.yml", "-e", "NOEQUALS"])
        #expect(r.status == 104)
        #expect(r.stderr.contains("KEY=VALUE"))
    }

    @Test func configMistakesNameFileLineColumnAndKey() throws {
        let cfg = try tempFile("""
            probes:
              - name: api
                request:
                  url: http://127.0.0.1:1/
                  timout: 5s
            scenarios:
              s:
                vus: 2
                duration: 10 minutes
            """)
        for cmd in ["run", "check"] {
            let r = try KalmProcess.run([cmd, "-c", cfg])
            #expect(r.status == 104)
            #expect(r.stderr.contains("\(cfg):5:7: probes[0].request.timout"), "\(r.stderr)")
            #expect(r.stderr.contains("did you mean \"timeout\""))
            #expect(r.stderr.contains("\(cfg):9:15: scenarios.s.duration"), "\(r.stderr)")
            #expect(!r.stderr.contains("Fatal error"))
        }
    }

    @Test func unknownScenarioListsTheNames() throws {
        let cfg = try tempFile("""
            probes: [{name: a, request: {url: "http://127.0.0.1:1/"}}]
            scenarios:
              one: {vus: 1, duration: 1s}
              two: {vus: 1, duration: 1s}
            """)
        let r = try KalmProcess.run(["run", "-c", cfg, "--scenario", "three"])
        #expect(r.status == 104)
        #expect(r.stderr.contains("one, two"))
        let amb = try KalmProcess.run(["run", "-c", cfg])
        #expect(amb.status == 104)
        #expect(amb.stderr.contains("--scenario"))
    }

    @Test func checkAcceptsAGoodConfig() throws {
        let cfg = try tempFile("probes: [{name: a, request: {url: \"http://127.0.0.1:1/\"}}]\n")
        let r = try KalmProcess.run(["check", "-c", cfg])
        #expect(r.status == 0, "\(r.output)")
    }

    @Test func versionAndHelp() throws {
        let v = try KalmProcess.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.hasPrefix("kalm "))
        let h = try KalmProcess.run(["run", "--help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("--summary-export"))
    }
}

/// `kalm run --web.listen-address`: /metrics while a one-shot run goes.
@Suite("kalm run /metrics", .serialized)
final class RunMetricsTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    @Test func servesMetricsWhileRunning() throws {
        let cfg = try tempFile("""
            probes: [{name: api, request: {url: "\(server.baseURL)/sleep?ms=5"}}]
            scenarios:
              s: {vus: 2, duration: 4s}
            """)
        let port = try freeLoopbackPort()
        let p = try ChildProcess(KalmProcess.binary, ["run", "-c", cfg, "--web.listen-address", "127.0.0.1:\(port)"])
        let url = "http://127.0.0.1:\(port)/metrics"
        let seen = AgentThresholdTests.waitFor(url, timeout: 4) {
            (AgentThresholdTests.sample($0, ["kalm_http_requests_total{", "scenario=\"s\"", "code=\"200\""]) ?? 0) > 10
        }
        #expect(seen.ok, "no live metrics during the run")
        let text = AgentThresholdTests.scrape(url)
        #expect(AgentThresholdTests.sample(text, ["kalm_scenario_active{", "scenario=\"s\""]) == 1)
        #expect(AgentThresholdTests.sample(text, ["kalm_vus{", "probe=\"api\""]) == 2)
        #expect(p.waitForExit(timeout: 30) == 0, "\(p.output)")
        let busy = try KalmProcess.run(["run", "-c", cfg, "--web.listen-address", "not-an-address"])
        #expect(busy.status == 104)
    }
}
