import Foundation
import KalmTestSupport
import TestServer
import Testing

/// The agent's log lines: JSON and logfmt as Prometheus exporters write them, and no
/// secret from `-e` anywhere in the output, at debug level and on a failed reload.
@Suite("kalm agent logging", .serialized, .timeLimit(.minutes(2)))
final class LoggingTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    var config: String {
        """
        probes:
          - name: api
            request: {url: "${BASE}/ok"}
        scenarios:
          s: {vus: 1, think_time: 100ms, continuous: true}
        """
    }

    /// Runs an agent with `args`, scrapes it once, reloads a broken config (an error line),
    /// stops it with SIGTERM and returns its stderr lines.
    func logLines(_ args: [String]) throws -> [String] {
        let cfg = try tempFile(config)
        let agent = try AgentProcess(configPath: cfg, args: ["-e", "BASE=\(server.baseURL)", "--web.enable-lifecycle"] + args)
        _ = try agent.scrape(until: 10) { $0.sum("kalm_iterations_total") >= 1 }
        try "probes: [".write(toFile: cfg, atomically: true, encoding: .utf8)
        #expect(Curl.request(agent.url("/-/reload"), method: "POST").status == 500)
        agent.child.signal(SIGTERM)
        #expect(agent.child.waitForExit(timeout: 15) == 0, "\(agent.output)")
        #expect(agent.child.stdout.isEmpty, "the agent logs to stderr only: \(agent.child.stdout)")
        return agent.stderr.split(separator: "\n").map(String.init)
    }

    @Test func jsonLinesHaveTsLevelMsg() throws {
        let lines = try logLines(["--log.format", "json", "--log.level", "debug"])
        #expect(lines.count >= 5, "\(lines)")
        var messages: [String] = []
        var levels = Set<String>()
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                Issue.record("not a JSON object: \(line)")
                continue
            }
            let ts = object["ts"] as? String ?? ""
            #expect(ts.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil,
                    "ts \(ts)")
            let level = object["level"] as? String ?? ""
            #expect(["debug", "info", "warn", "error"].contains(level), "level \(level)")
            levels.insert(level)
            messages.append(object["msg"] as? String ?? "")
        }
        for msg in ["kalm agent starting", "listening", "scenario started", "config reload failed; keeping the running config",
                    "stopped"] {
            #expect(messages.contains(msg), "no \"\(msg)\" line in \(messages)")
        }
        #expect(levels.isSuperset(of: ["debug", "info", "error"]), "levels seen: \(levels)")
    }

    @Test func logfmtLinesAreKeyValuePairs() throws {
        let lines = try logLines([])
        #expect(lines.count >= 5, "\(lines)")
        let value = #"("(?:[^"\\]|\\.)*"|[^\s"=]+)"#
        let pattern = #"^ts=\S+ level=(info|warn|error) msg="# + value + #"( [A-Za-z_][A-Za-z0-9_.]*="# + value + ")*$"
        for line in lines {
            #expect(line.range(of: pattern, options: .regularExpression) != nil, "not logfmt: \(line)")
        }
        #expect(lines.contains { $0.contains("level=error msg=\"config reload failed; keeping the running config\"") })
        #expect(!lines.contains { $0.contains("level=debug") }, "info is the default level")
    }

    @Test func secretsNeverReachTheOutput() throws {
        let secret = "kalm-secret-4f7a9c2e81"
        let cfg = try tempFile("""
            probes:
              - name: api
                request:
                  url: "${BASE}/echo?headers=X-Api-Key"
                  headers:
                    Authorization: "Bearer ${API_KEY}"
                    X-Api-Key: "${API_KEY}"
                checks:
                  - {name: key sent, header: {name: X-Echo-X-Api-Key, matches: "^kalm-secret-"}}
            scenarios:
              s: {vus: 1, think_time: 100ms, continuous: true}
            """)
        let agent = try AgentProcess(configPath: cfg, args: ["-e", "BASE=\(server.baseURL)", "-e", "API_KEY=\(secret)", "--web.enable-lifecycle",
                                                             "--log.level", "debug"])
        let pass = ["probe": "api", "check": "key sent", "result": "pass"]
        let (m, used) = try agent.scrape(until: 10) { ($0.value("kalm_checks_total", pass) ?? 0) >= 2 }
        #expect(used, "the secret header was not sent: \(agent.output)")
        #expect(!m.text.contains(secret), "the secret is in /metrics")
        let page = Curl.request(agent.url("/"))
        #expect(!page.text.contains(secret), "the secret is on the status page")

        // A reload whose errors involve the secret's value: a URL and a timeout made of it.
        try """
            probes:
              - name: api
                request:
                  url: "${API_KEY}"
                  timeout: "${API_KEY}"
                  headers:
                    Authorization: "Bearer ${API_KEY}"
            scenarios:
              s: {vus: 1, think_time: 100ms, continuous: true}
            """.write(toFile: cfg, atomically: true, encoding: .utf8)
        agent.child.signal(SIGHUP)
        let (_, rejected) = try agent.scrape(until: 10) { $0.value("kalm_config_last_reload_successful") == 0 }
        #expect(rejected, "\(agent.output)")
        let reload = Curl.request(agent.url("/-/reload"), method: "POST")
        #expect(reload.status == 500)
        #expect(reload.text.contains("${API_KEY}"), "the error should name the variable: \(reload.text)")
        #expect(!reload.text.contains(secret), "the secret is in the /-/reload answer: \(reload.text)")

        agent.child.signal(SIGTERM)
        #expect(agent.child.waitForExit(timeout: 15) == 0)
        #expect(agent.stderr.contains("level=debug"), "debug logging was not on")
        #expect(agent.stderr.contains("config reload failed"))
        #expect(!agent.output.contains(secret), "the secret reached the output:\n\(agent.output)")
        #expect(!agent.output.contains("4f7a9c2e81"))
    }
}
