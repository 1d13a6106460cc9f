import Foundation
import KalmTestSupport
import TestServer
import Testing

/// The issue's acceptance test: a real Prometheus scrapes a running agent; through
/// Prometheus's HTTP API, `up` is 1 and the median from the agent's duration histogram
/// falls in the bucket that holds the endpoint's injected latency.
///
/// Prometheus 2.42 asks for OpenMetrics first (`Accept: application/openmetrics-text;
/// version=1.0.0,...`), so `up == 1` also proves Prometheus parses kalm's OpenMetrics.
@Suite("Prometheus scrapes kalm agent", .serialized, .timeLimit(.minutes(2)),
       .enabled(if: PrometheusProcess.isInstalled,
                "needs /usr/bin/prometheus (Debian package `prometheus`; scripts/test installs it)"))
final class PrometheusIntegrationTests {
    /// The endpoint's injected latency: `/sleep?ms=30`, in the (0.025, 0.05] bucket.
    static let latency = 0.030

    let server: FaultServer
    let agent: AgentProcess
    let prometheus: PrometheusProcess

    init() throws {
        server = try FaultServer.start(threads: 2)
        agent = try AgentProcess(yaml: """
            agent:
              labels: {region: it-1}
            probes:
              - name: slow
                request: {url: "${BASE}/sleep?ms=30"}
            scenarios:
              steady: {vus: 4, continuous: true}
            """, args: ["-e", "BASE=\(server.baseURL)", "--threads", "1"])
        prometheus = try PrometheusProcess(targets: [agent.address])
    }

    deinit {
        agent.child.forceStop()
        server.shutdown()
    }

    /// Polls `expr` (≤ `timeout` s) until it has a sample that is a number.
    func awaitResult(_ expr: String, timeout: Double = 45) throws -> [(labels: [String: String], value: Double)] {
        let r = try pollValue(timeout: timeout, interval: 0.5) { () throws -> [(labels: [String: String], value: Double)]? in
            guard prometheus.isRunning else { throw TestFailure("prometheus exited:\n\(prometheus.output)") }
            let r = (try? prometheus.query(expr)) ?? []
            return r.contains { !$0.value.isNaN } ? r : nil
        }
        guard let r else {
            throw TestFailure("no result for \(expr) within \(timeout) s; prometheus says:\n\(prometheus.output)\nagent:\n\(agent.output)")
        }
        return r
    }

    @Test func prometheusSeesTheInjectedLatency() throws {
        let up = try awaitResult(#"up{job="kalm"}"#)
        #expect(up.count == 1)
        #expect(up.first?.value == 1, "up: \(up)")

        let median = try awaitResult(
            #"histogram_quantile(0.5, rate(kalm_http_request_duration_seconds_bucket{job="kalm",probe="slow"}[1m]))"#)
        #expect(median.count == 1, "\(median)")
        let p50 = median.first?.value ?? .nan
        #expect(p50 > 0.025 && p50 <= 0.05, "histogram_quantile(0.5) = \(p50), not in the (0.025, 0.05] bucket")
        #expect(median.first?.labels["scenario"] == "steady" && median.first?.labels["region"] == "it-1")

        let window = try awaitResult(#"kalm_window_latency_seconds{job="kalm",probe="slow",quantile="0.5",window="1m"}"#)
        #expect(window.count == 1, "\(window)")
        let w50 = window.first?.value ?? .nan
        // The server sleeps 30 ms; loopback adds a fraction of a ms. Within 10%, never below
        // 30 ms (minus the histogram's 0.78% relative error).
        #expect(w50 >= Self.latency * 0.99 && w50 <= Self.latency * 1.10,
                "window p50 \(w50) s is not within 10% of \(Self.latency) s")

        // Prometheus ingested whole scrapes: every probe family arrived.
        let families = try awaitResult(#"count({job="kalm",__name__=~"kalm_.+"})"#)
        #expect((families.first?.value ?? 0) > 50)
    }
}
