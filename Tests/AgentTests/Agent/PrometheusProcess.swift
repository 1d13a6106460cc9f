import Foundation
import KalmTestSupport

/// A real Prometheus (Debian's 2.42) scraping loopback targets every second, with its own
/// data directory, stopped and removed in deinit.
final class PrometheusProcess {
    static let binary = "/usr/bin/prometheus"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    typealias Result = [(labels: [String: String], value: Double)]

    let child: ChildProcess
    /// `http://127.0.0.1:PORT`.
    let url: String
    let dataDir: URL

    /// - Parameters:
    ///   - targets: `host:port` of the agents, all in job `kalm`.
    ///   - ruleFiles: rule files to load (evaluated every second).
    ///   - jobSettings: YAML lines added to the `kalm` job (e.g. `basic_auth:`), indented as its keys.
    ///   - moreJobs: further scrape configs, as YAML list items indented as the `kalm` job.
    ///   - topLevel: further top-level config (`remote_write:`, …), unindented.
    ///   - agentMode: run as Prometheus's agent (`--enable-feature=agent`): scrape and remote-write only.
    ///   - flags: further command-line flags (`--web.enable-remote-write-receiver`).
    init(targets: [String], ruleFiles: [String] = [], jobSettings: String = "", moreJobs: String = "",
         externalLabels: [String: String] = [:], topLevel: String = "", agentMode: Bool = false, flags: [String] = []) throws {
        dataDir = try tempDirectory()
        let port = try freeLoopbackPort()
        url = "http://127.0.0.1:\(port)"
        let config = dataDir.appendingPathComponent("prometheus.yml").path
        let rules = ruleFiles.isEmpty ? "" : "rule_files:\n" + ruleFiles.map { "  - \($0)\n" }.joined()
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
              external_labels: {\(externalLabels.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", "))}
            \(agentMode ? "" : rules)scrape_configs:
              - job_name: kalm
                static_configs:
                  - targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))]
            \(jobSettings)
            \(moreJobs)
            \(topLevel)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let storage = agentMode
            ? ["--enable-feature=agent", "--storage.agent.path=\(dataDir.appendingPathComponent("wal").path)"]
            : ["--storage.tsdb.path=\(dataDir.appendingPathComponent("data").path)"]
        child = try ChildProcess(Self.binary, ["--config.file=\(config)"] + storage + [
            "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ] + flags, currentDirectory: dataDir.path)
    }

    deinit {
        child.signal(SIGTERM)
        if child.waitForExit(timeout: 5) == nil { child.forceStop() }
        try? FileManager.default.removeItem(at: dataDir)
    }

    var isRunning: Bool { child.isRunning }
    var output: String { child.output }

    /// An instant query through `/api/v1/query` at `time` (Unix seconds; now when nil):
    /// each series' labels and value.
    func query(_ expr: String, time: Double? = nil) throws -> Result {
        var extra = ["-G", "--data-urlencode", "query=\(expr)"]
        if let time { extra += ["--data-urlencode", "time=\(String(format: "%.3f", time))"] }
        let reply = Curl.request(url + "/api/v1/query", extra: extra)
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
}
