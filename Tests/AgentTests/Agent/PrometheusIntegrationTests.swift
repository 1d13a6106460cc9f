import Foundation
import Testing
import TestServer

/// The issue's acceptance test: a real Prometheus scrapes a running agent; through
/// Prometheus's HTTP API, `up` is 1 and the median from the agent's duration histogram
/// falls in the bucket that holds the endpoint's injected latency.
///
/// Prometheus 2.42 asks for OpenMetrics first (`Accept: application/openmetrics-text;
/// version=1.0.0,...`), so `up == 1` also proves Prometheus parses kalm's OpenMetrics.
/// Where Debian's `prometheus` package puts the server.
private let prometheusBinary = "/usr/bin/prometheus"

@Suite("Prometheus scrapes kalm agent", .serialized, .timeLimit(.minutes(2)),
       .enabled(if: FileManager.default.isExecutableFile(atPath: prometheusBinary),
                "needs /usr/bin/prometheus (Debian package `prometheus`; scripts/test installs it)"))
final class PrometheusIntegrationTests {
    /// The endpoint's injected latency: `/sleep?ms=30`, in the (0.025, 0.05] bucket.
    static let latency = 0.030

    let server: FaultServer
    let agent: AgentProcess
    let prometheus: ChildProcess
    let prometheusURL: String
    let dataDir: URL

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
        dataDir = try tempDirectory()
        let port = try freeLoopbackPort()
        prometheusURL = "http://127.0.0.1:\(port)"
        let config = dataDir.appendingPathComponent("prometheus.yml").path
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: kalm
                static_configs:
                  - targets: ["\(agent.address)"]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        prometheus = try ChildProcess(prometheusBinary, [
            "--config.file=\(config)",
            "--storage.tsdb.path=\(dataDir.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ], currentDirectory: dataDir.path)
    }

    deinit {
        prometheus.signal(SIGTERM)
        if prometheus.waitForExit(timeout: 5) == nil { prometheus.forceStop() }
        agent.child.forceStop()
        server.shutdown()
        try? FileManager.default.removeItem(at: dataDir)
    }

    /// An instant query through `/api/v1/query`: each series' labels and value.
    func query(_ expr: String) throws -> [(labels: [String: String], value: Double)] {
        let reply = try Curl.request(prometheusURL + "/api/v1/query", extra: ["-G", "--data-urlencode", "query=\(expr)"])
        guard reply.status == 200,
              let json = try JSONSerialization.jsonObject(with: reply.body) as? [String: Any],
              json["status"] as? String == "success",
              let data = json["data"] as? [String: Any],
              let result = data["result"] as? [[String: Any]] else {
            throw TestFailure("query \(expr): \(reply.status) \(reply.curlError) \(reply.text)")
        }
        return result.compactMap { r in
            guard let metric = r["metric"] as? [String: String], let value = r["value"] as? [Any],
                  value.count == 2, let text = value[1] as? String, let v = Double(text) else { return nil }
            return (metric, v)
        }
    }

    /// Polls `expr` (≤ `timeout` s) until it has a sample that is a number.
    func awaitResult(_ expr: String, timeout: Double = 45) throws -> [(labels: [String: String], value: Double)] {
        let r = try pollValue(timeout: timeout, interval: 0.5) { () throws -> [(labels: [String: String], value: Double)]? in
            guard prometheus.isRunning else { throw TestFailure("prometheus exited:\n\(prometheus.output)") }
            let r = (try? query(expr)) ?? []
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
