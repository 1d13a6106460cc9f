import Foundation
import KalmTestSupport
import TestServer
import Testing

/// `kalm agent` over its life: graceful stop on SIGTERM/SIGINT, reload on SIGHUP and
/// `POST /-/reload` (bad configs rejected, unchanged probes keeping their data), the
/// HTTP endpoints, and 104 for bad configs and busy addresses (README.md).
@Suite("kalm agent lifecycle", .serialized, .timeLimit(.minutes(3)))
final class AgentLifecycleTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    static let brokenYAML = """
        probes:
          - name: api
            request:
              url: https://example.com/
             timeout: 5s
        """

    // MARK: Graceful stop

    @Test(arguments: [SIGTERM, SIGINT])
    func signalLetsTheRequestInFlightFinish(signo: Int32) throws {
        let agent = try AgentProcess(yaml: """
            probes:
              - name: slow
                request:
                  url: ${BASE}/sleep?ms=1500
                  timeout: 5s
            scenarios:
              s: {vus: 1, continuous: true}
            """, args: ["-e", "BASE=\(server.baseURL)"])
        // The first request reached the server: it is in flight now, and will be for 1.5 s.
        #expect(poll(timeout: 10, interval: 0.01) { server.requestCount(path: "/sleep") >= 1 }, "\(agent.output)")
        let inFlightSince = Date()
        Thread.sleep(forTimeInterval: 0.2)
        agent.child.signal(signo)
        let status = agent.child.waitForExit(timeout: 10)
        let elapsed = Date().timeIntervalSince(inFlightSince)
        #expect(status == 0, "exit \(String(describing: status)):\n\(agent.output)")
        // Cut off at the signal, it would exit ~0.2 s after the request started; it must wait
        // for the answer (due 1.5 s after the start), but not for the 5 s timeout.
        #expect(elapsed >= 1.2, "exited \(elapsed) s after the request started: the request was cut off")
        #expect(elapsed < 4.5, "exited \(elapsed) s after the request started: it waited for the timeout")
        #expect(server.requestCount(path: "/sleep") == 1, "no iteration may start after the signal")
        // The agent's own clock: from "stopping" to "stopped" it waited for the rest of the request.
        let stopping = Self.logTime(of: "msg=\"stopping: waiting for in-flight requests\"", in: agent.stderr)
        let stopped = Self.logTime(of: "msg=stopped", in: agent.stderr)
        #expect(stopping != nil && stopped != nil, "\(agent.stderr)")
        if let stopping, let stopped {
            #expect(stopped - stopping >= 0.9 && stopped - stopping < 4.5,
                    "stopping → stopped took \(stopped - stopping) s; the request had ~1.3 s to go")
        }
        #expect(!agent.output.contains("Fatal error"))
    }

    /// The `ts=` of the first logfmt line containing `marker`, as Unix seconds.
    static func logTime(of marker: String, in log: String) -> Double? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains(marker) }),
              let ts = line.split(separator: " ").first, ts.hasPrefix("ts=") else { return nil }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: String(ts.dropFirst(3)))?.timeIntervalSince1970
    }

    // MARK: Reload

    @Test func sighupWithABrokenConfigKeepsTheOldOne() throws {
        let cfg = try tempFile("""
            probes:
              - name: api
                request: {url: "${BASE}/ok"}
            scenarios:
              s: {vus: 1, think_time: 50ms, continuous: true}
            """)
        let agent = try AgentProcess(configPath: cfg, args: ["-e", "BASE=\(server.baseURL)"])
        let api = ["probe": "api", "scenario": "s"]
        let (before, warm) = try agent.scrape(until: 10) { $0.sum("kalm_iterations_total", api) >= 2 }
        #expect(warm, "\(agent.output)")
        #expect(before.value("kalm_config_last_reload_successful") == 1)
        let okAt = before.value("kalm_config_last_reload_success_timestamp_seconds")

        try Self.brokenYAML.write(toFile: cfg, atomically: true, encoding: .utf8)
        agent.child.signal(SIGHUP)
        let (failed, rejected) = try agent.scrape(until: 10) { $0.value("kalm_config_last_reload_successful") == 0 }
        #expect(rejected, "reload not reported as failed:\n\(agent.output)")
        #expect(failed.value("kalm_config_last_reload_success_timestamp_seconds") == okAt,
                "the success timestamp only moves on success")
        #expect(agent.child.isRunning)
        #expect(agent.stderr.contains("level=error msg=\"config reload failed; keeping the running config\""),
                "\(agent.stderr)")
        #expect(agent.stderr.contains("\(cfg):5:6"), "the log names the place:\n\(agent.stderr)")

        // The old probes keep running and counting.
        let n = failed.sum("kalm_iterations_total", api)
        let (_, counting) = try agent.scrape(until: 10) { $0.sum("kalm_iterations_total", api) > n + 2 }
        #expect(counting, "the old config stopped probing")
        #expect(Curl.request(agent.url("/-/healthy")).status == 200)
    }

    @Test func sighupWithAValidConfigKeepsUnchangedProbes() throws {
        // `steady` has a server of its own, shut down before the reload: from then on it only
        // fails, so data from before the reload is recognisable in its window.
        let steadyServer = try FaultServer.start()
        defer { steadyServer.shutdown() }
        let v1 = """
            probes:
              - name: steady
                request: {url: "${A}/ok", timeout: 2s}
              - name: changed
                request: {url: "${B}/ok"}
            scenarios:
              s: {vus: 1, think_time: 50ms, continuous: true}
            """
        let v2 = """
            probes:
              - name: steady
                request: {url: "${A}/ok", timeout: 2s}
              - name: changed
                request: {url: "${B}/status?code=201"}
              - name: added
                request: {url: "${B}/json"}
            scenarios:
              s: {vus: 1, think_time: 50ms, continuous: true}
            """
        let cfg = try tempFile(v1)
        let agent = try AgentProcess(configPath: cfg, args: ["-e", "A=\(steadyServer.baseURL)", "-e", "B=\(server.baseURL)"])
        let steady = ["probe": "steady", "scenario": "s"]
        let changed = ["probe": "changed", "scenario": "s"]
        let added = ["probe": "added", "scenario": "s"]
        let ok = ["code": "200"]
        let (before, warm) = try agent.scrape(until: 15) {
            ($0.value("kalm_http_requests_total", steady.merging(ok) { $1 }) ?? 0) >= 5
                && ($0.value("kalm_http_requests_total", changed.merging(ok) { $1 }) ?? 0) >= 5
        }
        #expect(warm, "\(agent.output)")
        let steadyOK = before.value("kalm_http_requests_total", steady.merging(ok) { $1 }) ?? 0
        let firstOK = before.value("kalm_config_last_reload_success_timestamp_seconds") ?? 0
        #expect(before.all("kalm_iterations_total", added).isEmpty)

        steadyServer.shutdown()
        Thread.sleep(forTimeInterval: 0.05)   // the timestamp has millisecond resolution at least
        try v2.write(toFile: cfg, atomically: true, encoding: .utf8)
        agent.child.signal(SIGHUP)
        let (after, reloaded) = try agent.scrape(until: 15) { m in
            m.value("kalm_config_last_reload_successful") == 1
                && (m.value("kalm_config_last_reload_success_timestamp_seconds") ?? 0) > firstOK
                && m.sum("kalm_iterations_total", added) >= 1
                && (m.value("kalm_http_requests_total", changed.merging(["code": "201"]) { $1 }) ?? 0) >= 1
                && (m.value("kalm_iterations_total", steady.merging(["result": "failure"]) { $1 }) ?? 0) >= 3
        }
        #expect(reloaded, "reload did not take effect:\n\(agent.output)")
        #expect(agent.stderr.contains("msg=\"config reloaded\""), "\(agent.stderr)")

        // The unchanged probe kept its counters (no reset) ...
        let steadyOKAfter = after.value("kalm_http_requests_total", steady.merging(ok) { $1 }) ?? 0
        #expect(steadyOKAfter >= steadyOK, "steady's code=200 count went from \(steadyOK) to \(steadyOKAfter): reset")
        // ... and keeps counting.
        let total = after.sum("kalm_http_requests_total", steady)
        let (_, growing) = try agent.scrape(until: 10) { $0.sum("kalm_http_requests_total", steady) > total }
        #expect(growing, "steady stopped counting after the reload")
        // Its window still holds the answers from before the reload (only failures since).
        let w = steady.merging(["window": "1m"]) { $1 }
        let availability = after.value("kalm_window_availability_ratio", w) ?? -1
        #expect(availability > 0 && availability < 1, "steady's 1m availability \(availability): window was reset")
        #expect(after.all("kalm_window_latency_seconds", w).count == 4, "steady's window lost its latencies")

        // The changed probe restarted: new recorder, no 200s from its old URL.
        #expect(after.all("kalm_http_requests_total", changed.merging(ok) { $1 }).isEmpty,
                "changed probe kept its old counters: \(after.all("kalm_http_requests_total", changed))")
        #expect((after.value("kalm_http_requests_total", changed.merging(["code": "201"]) { $1 }) ?? 0) >= 1)
        // The new probe runs.
        #expect((after.value("kalm_iterations_total", added.merging(["result": "success"]) { $1 }) ?? 0) >= 1)
    }

    @Test func postReloadReportsTheMistakeAndItsPlace() throws {
        let good = """
            probes:
              - name: api
                request:
                  url: ${BASE}/ok
            scenarios:
              s: {vus: 1, think_time: 100ms, continuous: true}
            """
        let cfg = try tempFile(good)
        let agent = try AgentProcess(configPath: cfg, args: ["-e", "BASE=\(server.baseURL)", "--web.enable-lifecycle"])
        try """
            probes:
              - name: api
                request:
                  url: ${BASE}/ok
                  timout: 5s
            scenarios:
              s: {vus: 1, think_time: 100ms, continuous: true}
            """.write(toFile: cfg, atomically: true, encoding: .utf8)
        let bad = Curl.request(agent.url("/-/reload"), method: "POST")
        #expect(bad.status == 500)
        #expect(bad.text.contains("\(cfg):5:7: probes[0].request.timout"), "body: \(bad.text)")
        #expect(bad.text.contains("did you mean \"timeout\""), "body: \(bad.text)")
        let (m, _) = try agent.scrape(until: 5) { $0.value("kalm_config_last_reload_successful") == 0 }
        #expect(m.value("kalm_config_last_reload_successful") == 0)

        try good.write(toFile: cfg, atomically: true, encoding: .utf8)
        let fixed = Curl.request(agent.url("/-/reload"), method: "POST")
        #expect(fixed.status == 200, "body: \(fixed.text)")
        let (m2, _) = try agent.scrape(until: 5) { $0.value("kalm_config_last_reload_successful") == 1 }
        #expect(m2.value("kalm_config_last_reload_successful") == 1)

        let get = Curl.request(agent.url("/-/reload"))
        #expect(get.status == 405)
        #expect(get.headers["allow"]?.contains("POST") == true)
    }

    @Test func reloadOverHTTPNeedsTheLifecycleFlag() throws {
        let cfg = try tempFile("""
            probes: [{name: api, request: {url: "${BASE}/ok"}}]
            scenarios:
              s: {vus: 1, think_time: 100ms, continuous: true}
            """)
        let agent = try AgentProcess(configPath: cfg, args: ["-e", "BASE=\(server.baseURL)"])
        defer { agent.child.forceStop() }
        try "probes: [".write(toFile: cfg, atomically: true, encoding: .utf8)
        for method in ["POST", "PUT"] {
            let r = Curl.request(agent.url("/-/reload"), method: method)
            #expect(r.status == 403, "\(method): \(r.status) \(r.text)")
            #expect(r.text.contains("--web.enable-lifecycle"))
        }
        // Nothing was reloaded: the broken file was never read.
        #expect(try agent.scrape().value("kalm_config_last_reload_successful") == 1)
        #expect(!agent.child.stderr.contains("config reload failed"))
        // SIGHUP still reloads (and rejects the broken file).
        agent.child.signal(SIGHUP)
        let (_, rejected) = try agent.scrape(until: 10) { $0.value("kalm_config_last_reload_successful") == 0 }
        #expect(rejected)
    }

    // MARK: Endpoints

    @Test func healthReadyStatusPageAndNotFound() throws {
        let agent = try AgentProcess(yaml: """
            probes:
              - name: api
                request: {url: "${BASE}/ok"}
            scenarios:
              s: {vus: 1, think_time: 100ms, continuous: true}
            """, args: ["-e", "BASE=\(server.baseURL)"])
        let healthy = Curl.request(agent.url("/-/healthy"))
        #expect(healthy.status == 200)
        #expect(poll(timeout: 5) { (Curl.request(agent.url("/-/ready")).status) == 200 }, "never ready")
        let page = Curl.request(agent.url("/"))
        #expect(page.status == 200)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.text.contains("api") && page.text.contains("/metrics"))
        #expect(Curl.request(agent.url("/nope")).status == 404)
        #expect(Curl.request(agent.url("/metrics/")).status == 404)
        let head = Curl.request(agent.url("/metrics"), extra: ["-I"])   // -I: the "body" file gets the headers
        #expect(head.status == 200)
        #expect(head.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(!head.text.contains("# HELP"), "HEAD must not send the exposition")
    }

    // MARK: Bad input

    @Test func configMistakesExit104NamingThePlace() throws {
        let cfg = try tempFile("""
            probes:
              - name: api
                request:
                  url: http://127.0.0.1:1/
                  timout: 5s
            scenarios:
              s: {vus: 1, continuous: true, think_tme: 1s}
            """)
        let r = try KalmProcess.run(["agent", "-c", cfg, "--web.listen-address", "127.0.0.1:0"], timeout: 20)
        #expect(r.status == 104, "\(r.output)")
        #expect(r.stderr.contains("\(cfg):5:7: probes[0].request.timout"), "\(r.stderr)")
        #expect(r.stderr.contains("\(cfg):7:33: scenarios.s.think_tme"), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))

        let syntax = try tempFile(Self.brokenYAML)
        let s = try KalmProcess.run(["agent", "-c", syntax, "--web.listen-address", "127.0.0.1:0"], timeout: 20)
        #expect(s.status == 104, "\(s.output)")
        #expect(s.stderr.contains("\(syntax):5:6"), "\(s.stderr)")
    }

    @Test func busyListenAddressExits104NamingIt() throws {
        let busy = try ListeningSocket()
        let cfg = try tempFile("probes: [{name: a, request: {url: \"\(server.baseURL)/ok\"}}]\n"
                               + "scenarios: {s: {vus: 1, think_time: 100ms, continuous: true}}\n")
        let address = "127.0.0.1:\(busy.port)"
        let r = try KalmProcess.run(["agent", "-c", cfg, "--web.listen-address", address], timeout: 20)
        #expect(r.status == 104, "\(r.output)")
        #expect(r.stderr.contains("\"\(address)\""), "\(r.stderr)")
        #expect(r.stderr.contains("already in use"), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))

        let garbled = try KalmProcess.run(["agent", "-c", cfg, "--web.listen-address", "localhost"], timeout: 20)
        #expect(garbled.status == 104, "\(garbled.output)")
        #expect(garbled.stderr.contains("\"localhost\""), "\(garbled.stderr)")
    }
}
