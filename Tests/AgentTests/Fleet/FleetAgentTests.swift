import Foundation
import KalmTestSupport
import TestServer
import Testing

/// Fleets in a running agent (docs/configuration.md, "Fleets"): a targets file edited while
/// it runs, and agents sharing one targets file by shard.
@Suite("fleets in the agent", .serialized)
final class FleetAgentTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    func targets(_ range: Range<Int>) -> [String] { range.map { "127.0.0.1:\(server.port)/ok?t=\($0)" } }

    static func write(_ targets: [String], to path: String) throws {
        let json = "[{\"targets\": [" + targets.map { "\"\($0)\"" }.joined(separator: ", ") + "], \"labels\": {\"env\": \"test\"}}]"
        // As Prometheus asks of file_sd writers: a new file renamed over the old one.
        try json.write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
        _ = rename(path + ".tmp", path)
    }

    static func config(_ glob: String, shard: String = "", think: String = "200ms") -> String {
        """
        agent: {windows: [1m, 5m]\(shard)}
        probes:
          - name: api
            targets: {file_sd: ["\(glob)"]}
            series: lean
            request: {url: "http://{{ target }}", timeout: 2s}
          - name: home
            request: {url: "http://127.0.0.1:1/"}
        scenarios:
          smoke: {vus: 1, think_time: \(think), continuous: true}
        """
    }

    /// Successful iterations per target label, for the targets probed successfully at least once.
    static func successes(_ e: Exposition) -> [String: Double] {
        var out: [String: Double] = [:]
        for s in e.all("kalm_iterations_total", ["probe": "api", "result": "success"]) where s.value > 0 {
            out[s.labels["target"]!] = s.value
        }
        return out
    }

    @Test func addedTargetsStartRemovedOnesGoAndTheRestKeepTheirCounters() throws {
        let dir = try tempDirectory().path
        try Self.write(targets(0..<300), to: dir + "/api.json")
        let agent = try AgentProcess(yaml: Self.config(dir + "/*.json"))
        defer { agent.child.forceStop() }
        let (first, ok) = try agent.scrape(until: 30) { e in
            let s = Self.successes(e)
            return s.count == 300 && s.values.allSatisfy { $0 > 0 }
        }
        #expect(ok, "not every target was probed: \(Self.successes(first).count)")
        #expect(first.value("kalm_targets", ["probe": "api"]) == 300)
        let before = Self.successes(first)
        // A lean target answering 200 over plain HTTP: 18 series (docs/metrics.md, "Series profiles").
        let one = first.samples.filter { $0.labels["target"] == targets(0..<1)[0] }
        #expect(one.count == 18, "\(one.map(\.name))")

        try Self.write(targets(100..<400), to: dir + "/api.json")
        let changed = Date()
        let added = Set(targets(300..<400).map { $0 }), removed = Set(targets(0..<100))
        let (after, done) = try agent.scrape(until: 5) { e in
            let s = Self.successes(e)
            return added.allSatisfy { (s[$0] ?? 0) > 0 } && removed.allSatisfy { s[$0] == nil }
        }
        let took = Date().timeIntervalSince(changed)
        #expect(done, "after \(took) s: \(Self.successes(after).count) targets")
        #expect(after.value("kalm_targets", ["probe": "api"]) == 300)
        #expect(!after.text.contains("/ok?t=0\""), "a removed target's series are gone")
        let now = Self.successes(after)
        let kept = targets(100..<300)
        #expect(kept.allSatisfy { (now[$0] ?? 0) >= (before[$0] ?? .infinity) }, "a kept target's counter went back")
        print("fleet: 100 added and 100 removed of 300 applied in \(String(format: "%.2f", took)) s")
    }

    @Test func threeShardsProbeEveryTargetExactlyOnce() throws {
        let dir = try tempDirectory().path
        // The issue's 5,000 targets, each probed once within the 10 s spread of the first iterations.
        let all = targets(0..<5000)
        try Self.write(all, to: dir + "/api.json")
        let agents = try (0..<3).map { i in
            try AgentProcess(yaml: Self.config(dir + "/*.json", shard: ", shard: {index: \(i), total: 3}", think: "10s"))
        }
        defer { agents.forEach { $0.child.forceStop() } }
        var owner: [String: Int] = [:]
        var total = 0.0
        for (i, agent) in agents.enumerated() {
            let (e, _) = try agent.scrape(until: 60) { e in
                let n = e.value("kalm_targets", ["probe": "api"]) ?? -1
                return n >= 0 && Self.successes(e).count == Int(n)
            }
            total += e.value("kalm_targets", ["probe": "api"]) ?? 0
            for t in Self.successes(e).keys {
                #expect(owner[t] == nil, "\(t) probed by agents \(owner[t] ?? -1) and \(i)")
                owner[t] = i
            }
            #expect(!e.all("kalm_iterations_total", ["probe": "home"]).isEmpty == (i == 0), "static probes run on shard 0 only")
        }
        #expect(total == 5000)
        #expect(Set(owner.keys) == Set(all))
    }
}
