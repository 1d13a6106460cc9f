import Foundation
import KalmTestSupport
import TestServer
import Testing

/// `kalm_threshold_passing` over rolling windows, from a running agent.
@Suite("agent thresholds", .serialized)
final class AgentThresholdTests {
    let server: FaultServer
    var agent: AgentProcess?

    init() throws {
        server = try FaultServer.start()
    }

    deinit {
        // AgentProcess SIGKILLs: graceful shutdown is tested elsewhere, and would wait for slow requests here.
        agent = nil
        server.shutdown()
    }

    /// Starts `kalm agent` on an ephemeral port; returns the metrics URL.
    func startAgent(_ yaml: String) throws -> String {
        let a = try AgentProcess(yaml: yaml)
        agent = a
        return a.url("/metrics")
    }

    /// The value of the first sample whose line contains every fragment, or nil.
    static func sample(_ text: String, _ fragments: [String]) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && fragments.allSatisfy({ line.contains($0) }) {
            return Double(line.split(separator: " ").last!)
        }
        return nil
    }

    /// One scrape's text ("" when the agent did not answer).
    static func scrape(_ url: String) -> String {
        Curl.request(url, timeout: 2).text
    }

    /// Scrapes until `condition` holds for the text, at most `timeout` seconds.
    static func waitFor(_ url: String, timeout: Double, _ condition: (String) -> Bool) -> (ok: Bool, seconds: Double) {
        let start = Date()
        let ok = poll(timeout: timeout, interval: 0.25) { condition(scrape(url)) }
        return (ok, ok ? Date().timeIntervalSince(start) : timeout)
    }

    @Test func passingFlipsToZeroWhenTheEndpointFailsAndBackAfterTheWindow() throws {
        server.setSwitch("flip", status: 200)
        let url = try startAgent("""
            agent: {windows: [4s, 1m]}
            probes:
              - name: api
                request: {url: "\(server.baseURL)/switch?name=flip"}
            scenarios:
              smoke: {vus: 2, think_time: 50ms, continuous: true}
            thresholds:
              http_req_failed: ["rate<0.01"]
              "http_req_duration{probe:api}": ["p(95)<1000"]
            """)
        let failed = ["kalm_threshold_passing{", "metric=\"http_req_failed\"", "window=\"4s\""]
        let up = Self.waitFor(url, timeout: 10) { Self.sample($0, failed) == 1 }
        #expect(up.ok, "the threshold never passed")
        server.setSwitch("flip", status: 503)
        let down = Self.waitFor(url, timeout: 8) { Self.sample($0, failed) == 0 }
        #expect(down.ok, "the threshold never failed")
        #expect(down.seconds < 4)
        // The duration threshold reads all requests; 503s are fast, so it keeps passing.
        let text = Self.scrape(url)
        #expect(Self.sample(text, ["kalm_threshold_passing{", "metric=\"http_req_duration{probe:api}\"", "window=\"4s\""]) == 1)
        server.setSwitch("flip", status: 200)
        // Back to 1 once the failures have slid out of the 4 s window (the 1 m one still fails).
        let back = Self.waitFor(url, timeout: 12) { Self.sample($0, failed) == 1 }
        #expect(back.ok, "the threshold did not recover")
        // Any failure in the window fails `rate<0.01`: recovery waits until the last one slid out
        // (the window covers 11/12 to 12/12 of its 4 s).
        #expect(back.seconds >= 3.3, "recovered after \(back.seconds)s, before the failures could leave the window")
        // The 1 m window still holds the failures.
        #expect((Self.sample(Self.scrape(url), ["kalm_window_error_ratio{", "window=\"1m\""]) ?? 0) > 0)
    }

    @Test func windowWithoutDataHasNoThresholdSample() throws {
        let url = try startAgent("""
            probes:
              - name: never
                request: {url: "\(server.baseURL)/sleep?ms=60000", timeout: 30s}
            scenarios:
              smoke: {vus: 1, continuous: true}
            thresholds:
              http_req_duration: ["p(95)<200"]
            """)
        let ready = Self.waitFor(url, timeout: 10) { $0.contains("kalm_build_info") }
        #expect(ready.ok)
        // No request has finished: no window has data, so no kalm_threshold_passing sample.
        #expect(!Self.scrape(url).contains("kalm_threshold_passing{"))
    }
}
