import Foundation
import KalmTestSupport
import TestServer
import Testing

/// Push for agents behind NAT, with no remote-write code of kalm's own (docs/deploying.md,
/// "Agents behind NAT"): a Prometheus in agent mode next to kalm scrapes it and remote-writes
/// to a central Prometheus with the remote-write receiver on.
@Suite("push through Prometheus agent mode", .enabled(if: PrometheusProcess.isInstalled))
struct AgentModePushTests {
    @Test func theCentralPrometheusSeesKalmsSeriesWithTheRegionsLabels() throws {
        let server = try FaultServer.start()
        defer { server.shutdown() }
        let dir = try tempDirectory().path
        try "[{\"targets\": [\"127.0.0.1:\(server.port)/ok\"], \"labels\": {\"team\": \"pay\"}}]"
            .write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(yaml: """
            agent: {labels: {region: eu-west-1}}
            probes:
              - {name: api, targets: {file_sd: ["\(dir)/t.json"]}, series: lean, request: {url: "http://{{ target }}"}}
            scenarios:
              smoke: {vus: 1, think_time: 200ms, continuous: true}
            """)
        defer { agent.child.forceStop() }
        let central = try PrometheusProcess(targets: [], flags: ["--web.enable-remote-write-receiver"])
        let edge = try PrometheusProcess(targets: [agent.address], externalLabels: ["prometheus_agent": "edge-1"],
                                         topLevel: "remote_write: [{url: \"\(central.url)/api/v1/write\"}]", agentMode: true)
        let seen = pollValue(timeout: 40) { () -> PrometheusProcess.Result? in
            let r = (try? central.query("kalm_probe_success")) ?? []
            return r.isEmpty ? nil : r
        }
        let series = try #require(seen, "no kalm series reached the central Prometheus:\n\(edge.output.suffix(1500))\n\(central.output.suffix(800))")
        let labels = series[0].labels
        #expect(labels["region"] == "eu-west-1" && labels["prometheus_agent"] == "edge-1", "\(labels)")
        #expect(labels["target"] == "127.0.0.1:\(server.port)/ok" && labels["team"] == "pay" && labels["job"] == "kalm", "\(labels)")
        #expect(series[0].value == 1)
        // The whole lean set arrives, the histogram included.
        let buckets = try central.query("kalm_http_request_duration_seconds_bucket{region=\"eu-west-1\"}")
        #expect(buckets.count == 6, "\(buckets.map(\.labels))")
    }
}
