import Foundation
import KalmTestSupport
import TestServer
import Yams

// Shared by the operations-kit tests (rules/, dashboards/): where the files are, promtool,
// PromQL helpers (Grafana variables, metric names), and a "catalogue" agent that exposes
// every family kalm has, so the tests can check that rules and panels only use real names.

enum OpsPaths {
    /// The package root: this file is Tests/AgentTests/Ops/OpsTestSupport.swift.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let rules = root.appendingPathComponent("rules")
    static let recordingRules = rules.appendingPathComponent("kalm-recording.yml")
    static let alertRules = rules.appendingPathComponent("kalm-alerts.yml")
    static let ruleTests = rules.appendingPathComponent("tests")
    static let dashboards = root.appendingPathComponent("dashboards")
    static let dashboardFiles = ["kalm-overview.json", "kalm-soak.json"].map { dashboards.appendingPathComponent($0) }
}

/// Debian's `prometheus` package (scripts/test installs it).
enum Promtool {
    static let path = "/usr/bin/promtool"
    static let prometheus = "/usr/bin/prometheus"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: path) }
    static var prometheusAvailable: Bool { FileManager.default.isExecutableFile(atPath: prometheus) }

    /// promtool resolves a test file's rule_files relative to the test file.
    static func run(_ args: [String], timeout: Double = 120) throws -> (status: Int32, stdout: String, stderr: String) {
        try runTool(path, args, timeout: timeout)
    }

    /// `promtool check rules` on a file with one recording rule per expression: each must
    /// parse. Returns the expressions that do not, with promtool's message.
    static func unparsable(_ expressions: [String]) throws -> [(expr: String, error: String)] {
        func check(_ exprs: [String]) throws -> (ok: Bool, output: String) {
            let dir = try tempDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            var yaml = "groups:\n  - name: parse-check\n    rules:\n"
            for (i, e) in exprs.enumerated() {
                yaml += "      - record: parse_check:expr_\(i)\n        expr: |\n"
                for line in e.split(separator: "\n", omittingEmptySubsequences: false) {
                    yaml += "          \(line)\n"
                }
            }
            let file = dir.appendingPathComponent("exprs.yml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let r = try run(["check", "rules", file.path])
            return (r.status == 0, r.stdout + r.stderr)
        }
        if try check(expressions).ok { return [] }
        var bad: [(String, String)] = []
        for e in expressions {
            let r = try check([e])
            if !r.ok { bad.append((e, r.output)) }
        }
        return bad
    }
}

// MARK: - YAML and JSON

enum OpsYAML {
    static func load(_ url: URL) throws -> Any {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let value = try Yams.load(yaml: text) else { throw TestFailure("\(url.path) is empty") }
        return value
    }

    /// Every rule (a dictionary) of a Prometheus rule file.
    static func rules(_ url: URL) throws -> [[String: Any]] {
        guard let doc = try load(url) as? [String: Any], let groups = doc["groups"] as? [[String: Any]] else {
            throw TestFailure("\(url.path): no groups")
        }
        return groups.flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }
    }

    static func json(_ url: URL) throws -> [String: Any] {
        guard let d = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw TestFailure("\(url.path) is not a JSON object")
        }
        return d
    }
}

// MARK: - PromQL

enum PromQL {
    /// Grafana's variables replaced by values Prometheus accepts: intervals by `5m`, the
    /// others by `.*` (they only appear inside label matchers).
    static func substituteGrafanaVariables(_ expr: String) -> String {
        var s = expr
        for interval in ["$__rate_interval", "${__rate_interval}", "$__interval", "${__interval}", "$__range", "${__range}"] {
            s = s.replacingOccurrences(of: interval, with: "5m")
        }
        s = s.replacingOccurrences(of: #"\$\{[A-Za-z0-9_]+(:[A-Za-z]+)?\}"#, with: ".*", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\$[A-Za-z_][A-Za-z0-9_]*"#, with: ".*", options: .regularExpression)
        return s
    }

    static let keywords: Set<String> = [
        "and", "or", "unless", "bool", "by", "without", "on", "ignoring", "group_left", "group_right",
        "offset", "inf", "nan", "Inf", "NaN",
    ]

    /// The metric names an expression selects: identifiers that are not functions,
    /// aggregations, keywords, label names (in matchers and grouping clauses) or strings.
    /// A `{__name__=...}` selector is not supported (and not used).
    static func metricNames(_ expr: String) -> Set<String> {
        var s = expr
        s = s.replacingOccurrences(of: #""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`"#, with: "\"\"", options: .regularExpression)
        s = s.replacingOccurrences(of: #"#[^\n]*"#, with: "", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\{[^}]*\}"#, with: "{}", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\[[^\]]*\]"#, with: "", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#, with: " ",
                                   options: .regularExpression)
        s = s.replacingOccurrences(of: #"\boffset\s+-?[0-9a-z]+"#, with: " ", options: .regularExpression)
        var names = Set<String>()
        let regex = try! NSRegularExpression(pattern: #"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*"#)
        let ns = s as NSString
        for m in regex.matches(in: s, range: NSRange(location: 0, length: ns.length)) {
            let word = ns.substring(with: m.range)
            if keywords.contains(word) { continue }
            // A function or aggregation: the next non-blank character is "(".
            var i = m.range.location + m.range.length
            while i < ns.length, ns.character(at: i) == 32 || ns.character(at: i) == 10 { i += 1 }
            if i < ns.length, ns.character(at: i) == 40 { continue }
            names.insert(word)
        }
        return names
    }

    /// The range of every `rate(`, `irate(` and `increase(` call (the text inside `[...]`
    /// within the call's parentheses, subqueries excluded).
    static func rateRanges(_ expr: String) -> [String] {
        var out: [String] = []
        let call = try! NSRegularExpression(pattern: #"\b(rate|irate|increase)\s*\("#)
        let range = try! NSRegularExpression(pattern: #"\[([^\]:]*)\]"#)
        for m in call.matches(in: expr, range: NSRange(expr.startIndex..., in: expr)) {
            guard let open = Range(m.range, in: expr) else { continue }
            // The call's argument: up to the matching parenthesis.
            var depth = 1
            var i = open.upperBound
            var inner = ""
            while i < expr.endIndex, depth > 0 {
                let c = expr[i]
                if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
                if depth > 0 { inner.append(c) }
                i = expr.index(after: i)
            }
            inner = inner.replacingOccurrences(of: #""(?:[^"\\]|\\.)*""#, with: "\"\"", options: .regularExpression)
            for rm in range.matches(in: inner, range: NSRange(inner.startIndex..., in: inner)) {
                if let r = Range(rm.range(at: 1), in: inner) { out.append(String(inner[r])) }
            }
        }
        return out
    }

    /// The series selector of a Grafana `label_values(SELECTOR, label)` query (nil for
    /// `label_values(label)`); other query forms are returned whole.
    static func variableQueryExpression(_ query: String) -> String? {
        let q = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard q.hasPrefix("label_values(") else { return q }
        let inner = q.dropFirst("label_values(".count).dropLast()
        guard let comma = inner.lastIndex(of: ",") else { return nil }
        return String(inner[..<comma]).trimmingCharacters(in: .whitespaces)
    }
}

// MARK: - The catalogue agent

/// A running agent that exposes every family kalm has: continuous and scheduled scenarios
/// (soak windows with a steady state, a breakpoint window with `abort_on`, arrival-rate
/// executors), thresholds, checks, failures, an HTTPS probe (certificate expiry) and a
/// journey with an OAuth2 token (token fetches).
final class CatalogueAgent: Sendable {
    let server: FaultServer
    let dir: URL
    let tlsServer: ChildProcess
    let agent: AgentProcess

    init() throws {
        server = try FaultServer.start(threads: 1)
        dir = try tempDirectory()
        let (cert, key) = try TLSCertificateTests.makeCertificate(in: dir, days: 30)
        let port = try freeLoopbackPort()
        tlsServer = try TLSCertificateTests.serve(certPath: cert, keyPath: key, port: port)
        try "[{\"targets\": [\"127.0.0.1:\(server.port)/ok\"], \"labels\": {\"env\": \"ops\"}}]"
            .write(to: dir.appendingPathComponent("targets.json"), atomically: true, encoding: .utf8)
        agent = try AgentProcess(yaml: """
            agent:
              labels: {region: catalogue}
            probes:
              - name: api
                labels: {team: ops}
                request: {url: "\(server.baseURL)/sleep?ms=5"}
                checks:
                  - {name: status is 200, status: [200]}
              - name: flaky
                request: {url: "\(server.baseURL)/flaky?every=3"}
              - name: secure
                request:
                  url: https://127.0.0.1:\(port)/
                  tls: {ca_file: "\(cert)"}
              - name: fleet
                targets: {file_sd: ["\(dir.path)/targets.json"]}
                series: lean
                request: {url: "http://{{ target }}"}
              - name: journey
                auth:
                  oauth2: {token_url: "\(server.baseURL)/oauth/token", client_id: kalm, client_secret: s3cret}
                steps:
                  - name: create
                    request: {method: POST, url: "\(server.baseURL)/api/items", body: {n: "{{ iteration }}"}}
                    expected_status: [201]
                    capture: {id: {json_path: $.id}}
                  - name: read
                    request: {url: "\(server.baseURL)/api/items/{{ id }}"}
            scenarios:
              smoke:
                vus: 1
                think_time: 100ms
                continuous: true
              soak:
                probes: [api]
                every: 1s
                executor: ramping-vus
                start_vus: 1
                stages: [{duration: 1s, target: 2}, {duration: 2s, target: 2}]
                think_time: 20ms
              capacity:
                probes: [api]
                every: 1s
                executor: ramping-arrival-rate
                start_rate: 5
                time_unit: 1s
                preallocated_vus: 1
                max_vus: 2
                stages: [{duration: 3s, target: 20}]
                abort_on: [http_req_failed]
                thresholds:
                  http_req_failed: ["rate<0.5"]
            thresholds:
              http_req_duration: ["p(95)<200"]
              availability: ["rate>0.5"]
            """, args: ["--threads", "1"])
    }

    deinit {
        agent.child.forceStop()
        tlsServer.forceStop()
        server.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Every sample name and family name of one scrape.
    static func names(_ m: Exposition) -> Set<String> {
        Set(m.samples.map(\.name)).union(m.types.keys)
    }

    /// Scrapes until every name in `wanted` is exposed (scheduled windows need a few
    /// seconds to end and report) or `timeout` passes; returns the exposed names.
    func exposedNames(covering wanted: Set<String>, timeout: Double = 45) throws -> Set<String> {
        let (m, _) = try agent.scrape(until: timeout) { wanted.isSubset(of: Self.names($0)) }
        return Self.names(m)
    }
}
