import Foundation
import KalmTestSupport
import Measurements
import Probes
import Testing
@testable import Agent

/// Fleets (docs/configuration.md, "Fleets"): file_sd parsing as Prometheus validates it,
/// `{{ target }}` binding, sharding with Prometheus's hashmod, and the config's errors.
@Suite("fleet config")
struct FleetConfigTests {
    static let reserved = ConfigDecoder.reservedLabels

    @Test func fileSDGroupsParseFromJSONAndYAMLAndInternalLabelsAreDropped() throws {
        let json = try FileSD.parse("""
            [{"targets": ["a:80", "https://u:p@b/x"], "labels": {"env": "prod", "__meta_x": "y"}}, {"targets": []}]
            """, sourceName: "t.json", reserved: Self.reserved, taken: [:])
        #expect(json == [TargetGroup(targets: ["a:80", "https://u:p@b/x"], labels: [("env", "prod")]), TargetGroup(targets: [], labels: [])])
        let yaml = try FileSD.parse("- targets: [c:443]\n  labels: {team: pay, az: b}\n", sourceName: "t.yml", reserved: Self.reserved, taken: [:])
        #expect(yaml == [TargetGroup(targets: ["c:443"], labels: [("az", "b"), ("team", "pay")])])
        #expect(FileSD.label("https://u:p@b/x?q=@") == "https://b/x?q=@")
        #expect(FileSD.label("user@host:1") == "host:1")
        #expect(FileSD.label("host:1/p@x") == "host:1/p@x")
    }

    @Test func fileSDMistakesAreLocated() throws {
        let text = """
            - targets: ["ok:1", "a b", ""]
              labels: {probe: x, 1bad: y, region: z, fine: [1]}
            - {labels: {a: b}}
            - 42
            """
        let e = try #require(throws: ConfigErrors.self) {
            try FileSD.parse(text, sourceName: "t.yml", reserved: Self.reserved, taken: ["region": "agent.labels"])
        }
        let messages = e.errors.map { "\($0.line):\($0.column) \($0.message)" }
        for expected in ["1:21 target \"a b\" contains whitespace", "1:28 an empty target",
                         "2:12 label \"probe\" is one of kalm's own", "2:22 invalid label name \"1bad\"",
                         "2:31 label \"region\" is already set by agent.labels", "expected a label value",
                         "3:3 missing required key \"targets\"", "4:3 expected a target group"] {
            #expect(messages.contains { $0.hasPrefix(expected) || $0.contains(expected) }, "missing \(expected) in \(messages)")
        }
    }

    /// Prometheus's hashmod (md5, last 8 bytes big-endian, mod N) checked against Python's hashlib.
    @Test func hashmodIsPrometheussHashmod() throws {
        let targets = (0..<500).map { "api-\($0).example.net:\(8000 + $0 % 7)" } + ["", "ü", "https://x/y?z"]
        let script = """
            import hashlib, sys
            for line in sys.stdin.read().split("\\n")[:-1]:
                print(int.from_bytes(hashlib.md5(line.encode()).digest()[8:], "big") % 7)
            """
        let r = try runTool("/usr/bin/python3", ["-c", script], stdin: Data((targets.joined(separator: "\n") + "\n").utf8))
        let expected = r.stdout.split(separator: "\n").map { Int($0)! }
        #expect(expected.count == targets.count)
        #expect(targets.map { Hashmod.of($0, modulus: 7) } == expected)
    }

    @Test func bindingATargetLeavesAPlainRequest() throws {
        let dir = try tempDirectory().path
        try #"[{"targets": ["127.0.0.1:9/a", "h:1"], "labels": {"env": "e"}}]"#.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let cfg = try ConfigLoader.parse(yaml: """
            probes:
              - name: api
                targets: {file_sd: [t.json]}
                request:
                  url: "http://{{ target }}/health"
                  headers: {X-Target: "{{ target }}", X-Id: "{{ uuid }}"}
            scenarios: {s: {vus: 1, continuous: true}}
            """, sourceName: dir + "/kalm.yml", env: [:], baseDirectory: dir)
        #expect(cfg.probes.count == 2 && cfg.scenarios[0].spec.probes.count == 2)
        let p = cfg.probes[0]
        #expect(p.request.url == "http://127.0.0.1:9/a/health" && p.steps[0].templates.url == nil)
        #expect(p.request.headers.first { $0.name == "X-Target" }?.value == "127.0.0.1:9/a")
        #expect(p.steps[0].templates.headers.count == 1, "{{ uuid }} stays a run-time value")
        #expect(p.labels.map { "\($0.0)=\($0.1)" } == ["env=e", "target=127.0.0.1:9/a"])
    }

    @Test func shardsSplitTargetsExactlyAndStaticProbesRunOnTheFirst() throws {
        let dir = try tempDirectory().path
        let targets = (0..<300).map { "\"t\($0):80\"" }.joined(separator: ",")
        try "[{\"targets\": [\(targets)]}]".write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        var owners: [String: Int] = [:]
        for index in 0..<3 {
            let cfg = try ConfigLoader.parse(yaml: """
                agent: {shard: {index: \(index), total: 3}}
                probes:
                  - {name: api, targets: {file_sd: [t.json]}, series: lean, request: {url: "http://{{ target }}/"}}
                  - {name: home, request: {url: "http://127.0.0.1:9/"}}
                scenarios: {s: {vus: 1, continuous: true}}
                """, sourceName: dir + "/kalm.yml", env: [:], baseDirectory: dir)
            for p in cfg.probes where p.name == "api" {
                let t = p.labels.first { $0.0 == "target" }!.1
                #expect(owners[t] == nil, "\(t) on two shards")
                owners[t] = index
            }
            #expect(cfg.probes.contains { $0.name == "home" } == (index == 0))
        }
        #expect(owners.count == 300)
        #expect(Set(owners.values) == [0, 1, 2])
    }

    /// Instances come in the order of their series (so a scrape needs no sort), and a lean
    /// recorder keeps only the window it exposes unless a threshold reads every window; a
    /// recorder with other windows is not reused when that changes.
    @Test func instancesAreInSeriesOrderAndLeanRecordersKeepOneWindow() throws {
        let dir = try tempDirectory().path
        try #"[{"targets": ["h:1/r/10", "h:1/r/2", "h:1/r/1"], "labels": {"zone": "b"}}, {"targets": ["h:1/r/9"], "labels": {"zone": "a"}}]"#
            .write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let cfg = try ConfigLoader.parse(yaml: """
            agent: {windows: [1m, 5m, 1h]}
            probes:
              - {name: api, targets: {file_sd: [t.json]}, series: lean, request: {url: "http://{{ target }}/"}}
              - {name: home, request: {url: "http://127.0.0.1:9/"}}
            scenarios: {s: {vus: 1, continuous: true}}
            """, sourceName: dir + "/kalm.yml", env: [:], baseDirectory: dir)
        let api = cfg.probes.filter { $0.name == "api" }.map { $0.labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") }
        #expect(api == ["target=h:1/r/1,zone=b", "target=h:1/r/10,zone=b", "target=h:1/r/2,zone=b", "target=h:1/r/9,zone=a"])

        let probes = cfg.scenarios[0].spec.probes
        let windows = cfg.agent.windows.map { WindowSpec(name: $0.name, seconds: $0.seconds) }
        let trimmed = RecorderSet.make(for: probes, layout: StatsLayout(), windows: windows, previous: nil, keepAllWindows: false)
        #expect(trimmed.map { $0.windowSpecs.map(\.name) } == [["5m"], ["5m"], ["5m"], ["5m"], ["1m", "5m", "1h"]])
        let previous = RecorderSet(layout: StatsLayout(), windows: windows, probes: probes, recorders: trimmed)
        let same = RecorderSet.make(for: probes, layout: StatsLayout(), windows: windows, previous: previous, keepAllWindows: false)
        #expect(zip(same, trimmed).allSatisfy { $0 === $1 }, "unchanged: the recorders carry on")
        let all = RecorderSet.make(for: probes, layout: StatsLayout(), windows: windows, previous: previous, keepAllWindows: true)
        #expect(all.allSatisfy { $0.windowSpecs.count == 3 })
        #expect(all[4] === trimmed[4] && all[0] !== trimmed[0], "a lean recorder with one window is not reused for thresholds")
    }

    @Test func fleetMistakesInTheConfigAndItsFilesAreLocated() throws {
        let dir = try tempDirectory().path
        try "[{\"targets\": [\"ftp://x\"]}]".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let cases: [(String, String)] = [
            ("probes: [{name: a, request: {url: \"http://{{ target }}/\"}}]", "{{ target }} is for probes with targets:"),
            ("probes: [{name: a, targets: {file_sd: [x.json]}, request: {url: \"http://h/\"}}]", "must use {{ target }}"),
            ("probes: [{name: a, targets: {file_sd: []}, request: {url: \"http://{{ target }}/\"}}]", "no files"),
            ("probes: [{name: a, series: slim, request: {url: \"http://h/\"}}]", "invalid series profile \"slim\"; use one of full, lean"),
            ("agent: {shard: {index: 3, total: 3}}\nprobes: [{name: a, request: {url: \"http://h/\"}}]", "index 3 is not below total 3"),
            ("probes: [{name: a, targets: {file_sd: [bad.json]}, request: {url: \"{{ target }}\"}}]",
             "bad.json:1:15: [0].targets[0]: target \"ftp://x\" makes the URL ftp://x, not an absolute http:// or https:// URL"),
        ]
        for (yaml, expected) in cases {
            let e = try #require(throws: ConfigErrors.self) {
                try ConfigLoader.parse(yaml: yaml, sourceName: dir + "/kalm.yml", env: [:], baseDirectory: dir)
            }
            #expect(e.description.contains(expected), "\(yaml)\n→ \(e)")
        }
    }
}
