import Foundation
import KalmTestSupport
import Probes
import Testing
@testable import Agent

/// A config with one probe, for tests that add to it.
private let probeYAML = """
probes:
  - name: api
    request:
      url: https://example.com/

"""

@Suite("Config loader")
struct ConfigLoaderTests {
    // MARK: Errors and their form

    @Test func errorDescription() {
        let e = ConfigError(file: "kalm.yml", line: 12, column: 7, path: "probes[0].request.timout",
                            message: "unknown key \"timout\"; did you mean \"timeout\"?")
        #expect(e.description == #"kalm.yml:12:7: probes[0].request.timout: unknown key "timout"; did you mean "timeout"?"#)
        let whole = ConfigError(file: "/etc/kalm.yml", line: 0, column: 0, path: "", message: "cannot read the config file: no such file")
        #expect(whole.description == "/etc/kalm.yml: cannot read the config file: no such file")
        #expect(ConfigErrors(errors: [e, whole]).description == "\(e)\n\(whole)")
    }

    @Test func missingFile() {
        #expect {
            try ConfigLoader.load(path: "/nonexistent/kalm.yml", env: [:])
        } throws: { error in
            guard let e = error as? ConfigErrors, e.errors.count == 1 else { return false }
            return e.errors[0].line == 0 && e.errors[0].file == "/nonexistent/kalm.yml"
                && e.errors[0].message.contains("no such file")
        }
    }

    @Test("errors come sorted by line, whatever order the sections are checked in")
    func errorsSorted() {
        let errors = configErrors("""
        thresholds:
          http_req_duration: ["p(95)"]
        scenarios:
          smoke: {vus: 0, duration: 1m}
        probes:
          - name: api
            request: {url: https://example.com/, timeout: fast}
        agent:
          windows: [0s]
        """)
        #expect(errors.map(\.line) == [2, 4, 7, 9])
        #expect(errors.map(\.path) == [
            "thresholds.http_req_duration[0]", "scenarios.smoke.vus", "probes[0].request.timeout", "agent.windows[0]",
        ])
    }

    @Test("a probe may have 64 checks, not 65")
    func checkLimit() throws {
        func yaml(_ n: Int) -> String {
            probeYAML + "    checks:\n" + (1...n).map { "      - {name: c\($0), status: [200]}\n" }.joined()
        }
        #expect(try parseConfig(yaml(64)).probes[0].checks.count == 64)
        let errors = configErrors(yaml(65))
        #expect(errors.count == 1)
        #expect(errors.first?.path == "probes[0].checks[64]")
        #expect(errors.first?.line == 6 + 64 && errors.first?.column == 9)
        #expect(errors.first?.message.contains("at most 64 checks") == true)
    }

    // MARK: Variables and secrets

    @Test("-e wins over the process environment, which is used when -e lacks the key")
    func envPrecedence() throws {
        let yaml = """
        probes:
          - name: api
            request:
              url: ${BASE}/x
              headers: {X-Token: "${TOKEN}", X-Literal: "$${TOKEN}"}
        """
        let c = try parseConfig(yaml, env: ["BASE": "https://e.example"],
                                processEnvironment: ["BASE": "https://env.example", "TOKEN": "t"])
        #expect(c.probes[0].request.url == "https://e.example/x")
        #expect(c.probes[0].request.headers.map(\.value) == ["t", "${TOKEN}"])
    }

    @Test("messages quote ${...} as written, never the secret it expands to")
    func secretsNotInErrors() {
        let secret = "hunter2-secret"
        let errors = configErrors("""
        probes:
          - name: api
            request:
              url: ${BASE}/v1
              method: ${M}
              timeout: ${T}
              headers: {Authorization: "${H}"}
              body_size_limit: ${T}
        scenarios:
          s: {vus: "${T}", duration: 1m, think_time: "${T}", every: "${T}", schedule: "${T}"}
        """, env: ["BASE": "ftp://\(secret)@host", "M": secret + "/", "T": secret, "H": "a\n\(secret)"])
        #expect(errors.count == 10, "\(ConfigErrors(errors: errors))")
        for e in errors {
            #expect(!e.message.contains("hunter2"), "\(e)")
        }
        #expect(errors[0].message.contains("\"${BASE}/v1\" (after expansion)"))
    }

    @Test("any message that would show an expanded value shows the reference instead")
    func secretsScrubbed() {
        let errors = configErrors("""
        probes:
          - {name: "${N}", request: {url: https://example.com/}}
          - {name: "${N}", request: {url: https://example.com/}}
        scenarios:
          s: {probes: ["${N}", "${N}"], duration: 1m}
        """, env: ["N": "hunter2name"])
        #expect(errors.map(\.path) == ["probes[1].name", "scenarios.s.probes[1]"])
        #expect(errors.allSatisfy { !$0.message.contains("hunter2") && $0.message.contains("${N}") },
                "\(ConfigErrors(errors: errors))")
    }

    @Test func unsetVariableInScenario() {
        let errors = configErrors(probeYAML + "scenarios:\n  s: {vus: \"${KALM_UNSET_VUS}\", duration: 1m}\n")
        #expect(errors.map(\.description) == [
            "kalm.yml:6:12: scenarios.s.vus: ${KALM_UNSET_VUS} is not set; pass -e KALM_UNSET_VUS=... or set it in the environment",
        ])
    }

    @Test("numbers and durations may come from variables")
    func typedVariables() throws {
        let c = try parseConfig(probeYAML + "scenarios:\n  s: {vus: \"${VUS}\", duration: \"${D}\"}\n",
                                env: ["VUS": "7", "D": "90s"])
        #expect(c.scenarios[0].spec.executor == .constantVUs(vus: 7, duration: 90))
    }

    // MARK: Bodies

    @Test("a string body is sent as written; mappings and lists become compact JSON")
    func bodies() throws {
        let c = try parseConfig("""
        probes:
          - name: text
            request: {method: POST, url: "http://h/", body: "a: b ${X}"}
          - name: block
            request:
              method: POST
              url: http://h/
              body: |
                {"raw": true}
          - name: json
            request:
              method: POST
              url: http://h/
              bodies:
                - [1, "2", -3.5e2, x, {"quoted key": "v\\"q\\n", n: null}]
                - {id: "007", on: yes, price: 1_000}
                - plain text
        """, env: ["X": "x"])
        func text(_ i: Int) -> [String] { c.probes[i].request.bodies.map { String(decoding: $0, as: UTF8.self) } }
        #expect(text(0) == ["a: b x"])
        #expect(text(1) == ["{\"raw\": true}\n"])
        #expect(text(2) == [
            #"[1,"2",-3.5e2,"x",{"quoted key":"v\"q\n","n":null}]"#,
            #"{"id":"007","on":"yes","price":"1_000"}"#,
            "plain text",
        ])
    }

    @Test func bodiesFileMustExist() {
        let errors = configErrors(probeYAML.replacingOccurrences(of: "url: https://example.com/", with: "url: https://example.com/\n      bodies_file: missing.jsonl"))
        #expect(errors.count == 1 && errors[0].message.hasPrefix("cannot read bodies_file \"missing.jsonl\""))
    }

    // MARK: Defaults

    @Test("executor defaults follow k6")
    func executorDefaults() throws {
        let c = try parseConfig(probeYAML + """
        scenarios:
          plain: {duration: 1m}
          ramp: {executor: ramping-vus, stages: [{duration: 1m, target: 5}]}
          rate: {executor: constant-arrival-rate, rate: 5, duration: 1m, preallocated_vus: 3}
          ramprate: {executor: ramping-arrival-rate, stages: [{duration: 1m, target: 5}], preallocated_vus: 2, max_vus: 4}
          forever: {executor: constant-arrival-rate, rate: 1, time_unit: 10s, preallocated_vus: 1, continuous: true}
        """)
        #expect(c.scenarios.map(\.spec.executor) == [
            .constantVUs(vus: 1, duration: 60),
            .rampingVUs(startVUs: 1, stages: [Stage(duration: 60, target: 5)], gracefulRampDown: 30),
            .constantArrivalRate(rate: 5, timeUnit: 1, duration: 60, preallocatedVUs: 3, maxVUs: 3),
            .rampingArrivalRate(startRate: 0, timeUnit: 1, stages: [Stage(duration: 60, target: 5)], preallocatedVUs: 2, maxVUs: 4),
            .constantArrivalRate(rate: 1, timeUnit: 10, duration: .infinity, preallocatedVUs: 1, maxVUs: 1),
        ])
        let plain = c.scenarios[0]
        #expect(plain.spec.thinkTime == .zero && plain.spec.connectionReuse && plain.spec.gracefulStop == 30)
        #expect(plain.probeNames == ["api"] && plain.thresholds.isEmpty && plain.abortOn == nil && plain.isOneShot)
    }

    @Test("empty sections are allowed where they mean 'none'")
    func nullSections() throws {
        let c = try parseConfig("agent:\n" + probeYAML + "scenarios:\nthresholds: {}\n")
        #expect(c.scenarios.isEmpty && c.thresholds.isEmpty && c.agent.windows == AgentSettings.defaultWindows)
    }

    @Test("agent settings are sorted")
    func agentSorted() throws {
        let c = try parseConfig("agent: {windows: [1h, 30s, 90s], quantiles: [0.99, 0.5], labels: {z: '1', a: b}}\n" + probeYAML)
        #expect(c.agent.windows == [WindowSetting(name: "30s", seconds: 30), WindowSetting(name: "1m30s", seconds: 90),
                                    WindowSetting(name: "1h", seconds: 3600)])
        #expect(c.agent.quantiles == [0.5, 0.99])
        #expect(c.agent.labels.map(\.0) == ["a", "z"])
    }

    // MARK: More mistakes

    @Test("more mistakes, each with its message", arguments: [
        (probeYAML + "    labels: {__x: y}\n", "probes[0].labels.__x", "reserved by Prometheus"),
        ("agent: {labels: {team: a}}\n" + probeYAML + "    labels: {team: b}\n", "probes[0].labels.team", "already set in agent.labels"),
        (probeYAML + "    labels: {team: ''}\n", "probes[0].labels.team", "empty label value"),
        (probeYAML + "scenarios:\n  s: {schedule: '0 2 * * *', timezone: Mars/Olympus, duration: 1m}\n", "scenarios.s.timezone", "invalid timezone \"Mars/Olympus\""),
        (probeYAML + "scenarios:\n  s: {executor: ramping-vus, continuous: true, stages: [{duration: 1m, target: 1}]}\n", "scenarios.s.continuous", "continuous: true needs constant-vus"),
        (probeYAML + "scenarios:\n  s: {every: 1h, schedule: '0 * * * *', duration: 1m}\n", "scenarios.s.every", "\"schedule\" and \"every\" cannot both be set"),
        (probeYAML + "scenarios:\n  s: {connection_reuse: yes, duration: 1m}\n", "scenarios.s.connection_reuse", "expected true or false, got \"yes\""),
        (probeYAML + "scenarios:\n  s: {vus: 0, duration: 1m}\n", "scenarios.s.vus", "must be at least 1"),
        (probeYAML + "scenarios:\n  s: {probes: [], duration: 1m}\n", "scenarios.s.probes", "no probes listed"),
        (probeYAML + "scenarios:\n  s: {probes: [api, api], duration: 1m}\n", "scenarios.s.probes[1]", "listed twice"),
        (probeYAML + "scenarios:\n  \"bad name\": {duration: 1m}\n", "scenarios[\"bad name\"]", "invalid scenario name"),
        (probeYAML + "scenarios:\n  s: {executor: ramping-vus, stages: []}\n", "scenarios.s.stages", "no stages"),
        (probeYAML + "scenarios:\n  s: {executor: ramping-vus, stages: [{duration: 0s, target: 1}]}\n", "scenarios.s.stages", "last 0s in total"),
        (probeYAML + "scenarios:\n  s: {executor: ramping-vus, stages: [{target: 1}]}\n", "scenarios.s.stages[0].duration", "missing required key \"duration\""),
        (probeYAML + "scenarios:\n  s: {duration: 1m, think_time: 1s..2s..3s}\n", "scenarios.s.think_time", "more than one \"..\""),
        (probeYAML + "scenarios:\n  s: {duration: 1m, url: http://x/}\n", "scenarios.s.url", "is a probe setting"),
        (probeYAML + "    vus: 3\n", "probes[0].vus", "is a scenario setting"),
        (probeYAML + "    checks:\n      - {name: x}\n", "probes[0].checks[0]", "a check needs one of status, json_path"),
        (probeYAML + "    checks:\n      - {json_path: $.a, equals: 1, matches: x}\n", "probes[0].checks[0].matches", "\"equals\" and \"matches\" cannot both be set"),
        (probeYAML + "    checks:\n      - {header: {name: X}}\n", "probes[0].checks[0].header.matches", "missing required key \"matches\""),
        (probeYAML + "    checks:\n      - {max_duration: 0s}\n", "probes[0].checks[0].max_duration", "greater than 0"),
        (probeYAML + "    checks:\n      - {status: 200}\n      - {status: [200]}\n", "probes[0].checks[1]", "check name \"status is 200\" is used twice"),
        (probeYAML + "    expected_status: []\n", "probes[0].expected_status", "no status codes"),
        (probeYAML.replacingOccurrences(of: "url: https://example.com/", with: "url: https://example.com/\n      headers: {Accept: a, accept: b}"), "probes[0].request.headers.accept", "set twice"),
        (probeYAML.replacingOccurrences(of: "url: https://example.com/", with: "url: https://example.com/\n      tls: {key_file: ca.pem}"), "probes[0].request.tls.key_file", "key_file needs cert_file"),
        (probeYAML.replacingOccurrences(of: "url: https://example.com/", with: "url: https://example.com/\n      tls: {ca_file: nope.pem}"), "probes[0].request.tls.ca_file", "cannot read ca_file \"nope.pem\""),
        (probeYAML.replacingOccurrences(of: "url: https://example.com/", with: "url: \"https://\""), "probes[0].request.url", "invalid url"),
        (probeYAML.replacingOccurrences(of: "url: https://example.com/", with: "url: https://example.com/\n      timeout: 0s"), "probes[0].request.timeout", "greater than 0"),
        (probeYAML + "thresholds:\n  http_req_duration: [{threshold: p(95)<1, delayAbortEval: 1s}]\n", "thresholds.http_req_duration[0].delayAbortEval", "only matters with abortOnFail"),
        (probeYAML + "thresholds:\n  \"bad metric!\": [p(95)<1]\n", "thresholds[\"bad metric!\"]", "invalid metric"),
        (probeYAML + "thresholds:\n  http_reqs: \"rate>1\"\n", "thresholds.http_reqs", "expected a list of thresholds"),
        (probeYAML + "thresholds:\n  http_reqs: [{abortOnFail: true}]\n", "thresholds.http_reqs[0].threshold", "missing required key \"threshold\""),
        (probeYAML + "thresholds:\n  http_reqs: [rate>1]\nscenarios:\n  s: {duration: 1m, abort_on: [http_req]}\n", "scenarios.s.abort_on[0]", "did you mean \"http_reqs\"?"),
        ("agent: {buckets: [0.2, 0.5, -1]}\n" + probeYAML, "agent.buckets[2]", "greater than 0"),
        ("agent: {phase_buckets: [0.5, 0.5]}\n" + probeYAML, "agent.phase_buckets[1]", "strictly ascending"),
        ("agent: {quantiles: [0.5, 0.5]}\n" + probeYAML, "agent.quantiles[1]", "listed twice"),
        ("probes: {name: api}\nscenarios:\n  s: {probes: [api], duration: 1m}\n", "probes", "expected a list of probes, got a mapping"),
        (probeYAML + "    checks:\n      - {json_path: $.a, equals: ~}\n      - {json_path: $.a, equals: null}\n", "probes[0].checks[1]", "check name \"$.a equals null\" is used twice"),
        ("probes:\n  - name: api\n    request: https://example.com/\n", "probes[0].request", "expected a request mapping"),
        ("probes:\n  - name: api\n    request:\n      url: https://example.com/\n      <<: {timeout: 1s}\n", "probes[0].request[\"<<\"]", "merge keys"),
    ])
    func mistakes(_ yaml: String, _ path: String, _ message: String) {
        let errors = configErrors(yaml)
        #expect(errors.count == 1, "\(ConfigErrors(errors: errors))")
        #expect(errors.first?.path == path, "\(ConfigErrors(errors: errors))")
        #expect(errors.first?.message.contains(message) == true, "\(ConfigErrors(errors: errors))")
        #expect((errors.first?.line ?? 0) > 0)
    }
}
