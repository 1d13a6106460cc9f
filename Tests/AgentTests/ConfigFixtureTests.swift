import Foundation
import KalmTestSupport
import Probes
import Testing
@testable import Agent

/// One error a fixture must produce: position, key path and a part of the message.
struct ExpectedError: Sendable, CustomStringConvertible {
    var line: Int
    var column: Int
    var path: String
    var message: String
    init(_ line: Int, _ column: Int, _ path: String, _ message: String) {
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }
    var description: String { "\(line):\(column) \(path): …\(message)…" }
}

/// An `invalid-*.yml` fixture and every error it must produce, in order.
struct InvalidFixture: Sendable, CustomTestStringConvertible {
    var file: String
    var errors: [ExpectedError]
    init(_ name: String, _ errors: ExpectedError...) {
        self.file = "invalid-\(name).yml"
        self.errors = errors
    }
    var testDescription: String { file }
}

let invalidFixtures: [InvalidFixture] = [
    // Unknown keys, at every level, with "did you mean".
    .init("unknown-top-level-key", .init(5, 1, "threshold", "unknown key \"threshold\"; did you mean \"thresholds\"?")),
    .init("unknown-probe-key", .init(5, 5, "probes[0].check", "unknown key \"check\"; did you mean \"checks\"?")),
    .init("unknown-request-key", .init(5, 7, "probes[0].request.timout", "unknown key \"timout\"; did you mean \"timeout\"?")),
    .init("unknown-check-key", .init(6, 25, "probes[0].checks[0].nmae", "unknown key \"nmae\"; did you mean \"name\"?")),
    .init("unknown-scenario-key", .init(9, 5, "scenarios.smoke.think_tme", "unknown key \"think_tme\"; did you mean \"think_time\"?")),
    .init("camelcase-scenario-key",
          .init(10, 5, "scenarios.capacity.preAllocatedVUs", "unknown key \"preAllocatedVUs\"; did you mean \"preallocated_vus\"?")),
    .init("request-key-on-probe",
          .init(2, 5, "probes[0].request", "missing required key \"request\""),
          .init(3, 5, "probes[0].url", "unknown key \"url\"; \"url\" belongs under request:")),
    .init("threshold-long-form",
          .init(7, 32, "thresholds.http_req_duration[0].abort_on_fail", "unknown key \"abort_on_fail\"; did you mean \"abortOnFail\"?")),
    .init("state-file", .init(2, 3, "agent.state_file", "\"state_file\" is not supported yet")),
    // Types and values.
    .init("wrong-type", .init(7, 10, "scenarios.smoke.vus", "expected a whole number, got a list")),
    .init("top-level-list", .init(1, 1, "", "expected a mapping with probes:")),
    .init("duration", .init(5, 16, "probes[0].request.timeout", "invalid duration \"10\": missing unit")),
    .init("size", .init(5, 24, "probes[0].request.body_size_limit", "invalid size \"10MeB\": unknown unit \"MeB\"")),
    .init("status-range", .init(5, 28, "probes[0].expected_status[1]", "invalid status \"299-200\"; write a code (200)")),
    .init("regex", .init(6, 44, "probes[0].checks[0].body_not_matches", "invalid regular expression \"(unclosed\"")),
    .init("jsonpath", .init(6, 35, "probes[0].checks[0].json_path", "invalid JSONPath \"$.items[x]\": expected an index")),
    .init("method", .init(4, 15, "probes[0].request.method", "invalid method \"GET /\"; use letters only")),
    .init("url-scheme", .init(4, 12, "probes[0].request.url", "invalid url \"ftp://example.com/file\"; write an absolute http:// or https:// URL")),
    .init("header-name", .init(6, 9, "probes[0].request.headers[\"X Request Id\"]", "invalid header name \"X Request Id\"")),
    .init("http-version", .init(5, 21, "probes[0].request.http_version", "invalid http_version \"3\"; use one of 1.1, 2")),
    .init("think-time", .init(9, 17, "scenarios.smoke.think_time", "invalid think_time \"2s..1s\": the range goes down")),
    .init("threshold-expression", .init(6, 23, "thresholds.http_req_duration[0]", "invalid threshold \"p(95)\": no comparison")),
    // Names.
    .init("duplicate-probe-name", .init(5, 11, "probes[1].name", "duplicate probe name \"api\" (first at line 2)")),
    .init("probe-name", .init(2, 11, "probes[0].name", "invalid probe name \"my-api\"; use only letters, digits and _")),
    .init("scenario-unknown-probe", .init(7, 14, "scenarios.smoke.probes[0]", "no probe is named \"valuation\"; did you mean \"valuations\"?")),
    .init("label-name", .init(2, 12, "agent.labels.team-name", "invalid label name \"team-name\"")),
    .init("label-reserved", .init(5, 14, "probes[0].labels.scenario", "\"scenario\" is one of kalm's own labels")),
    // Executors.
    .init("executor-key", .init(10, 5, "scenarios.smoke.stages", "\"stages\" is not a key of constant-vus; use executor: ramping-vus")),
    .init("executor-name", .init(7, 15, "scenarios.load.executor", "invalid executor \"ramping-vu\"; use one of constant-vus, ramping-vus, constant-arrival-rate, ramping-arrival-rate (did you mean \"ramping-vus\"?)")),
    .init("missing-duration", .init(7, 5, "scenarios.smoke.duration", "missing required key \"duration\"")),
    .init("missing-preallocated-vus", .init(7, 5, "scenarios.rate.preallocated_vus", "missing required key \"preallocated_vus\"")),
    .init("max-vus", .init(11, 14, "scenarios.rate.max_vus", "max_vus (5) must be at least preallocated_vus (10)")),
    .init("stage-target", .init(10, 32, "scenarios.load.stages[1].target", "target is a number of VUs: write a whole number, got \"2.5\"")),
    // When a scenario runs.
    .init("continuous-and-schedule",
          .init(8, 5, "scenarios.smoke.duration", "duration conflicts with continuous: true"),
          .init(10, 5, "scenarios.smoke.schedule", "\"continuous\" and \"schedule\" cannot both be set")),
    .init("timezone-without-schedule", .init(8, 5, "scenarios.nightly.timezone", "timezone only applies to schedule:")),
    .init("schedule-fields", .init(7, 15, "scenarios.nightly.schedule", "schedule \"0 2 * *\" has 4 fields; write 5")),
    .init("abort-on", .init(10, 16, "scenarios.breakpoint.abort_on[0]", "no threshold on \"http_req_failed\" applies to this scenario; thresholds: http_req_duration")),
    // Required keys and combinations.
    .init("missing-url", .init(4, 7, "probes[0].request.url", "missing required key \"url\"")),
    .init("body-and-bodies", .init(7, 7, "probes[0].request.bodies", "\"body\" and \"bodies\" cannot both be set; keep one")),
    .init("bodies-file", .init(6, 20, "probes[0].request.bodies_file", "bodies_file \"bad-bodies.jsonl\" line 2 is not valid JSON")),
    .init("check-two-kinds", .init(6, 35, "probes[0].checks[0].max_duration", "a check has one kind, but \"status\" and \"max_duration\" are both set")),
    .init("check-duplicate-name", .init(7, 16, "probes[0].checks[1].name", "check name \"ok\" is used twice in this probe (first at line 6)")),
    .init("equals-without-json-path", .init(6, 38, "probes[0].checks[0].equals", "\"equals\" only goes with json_path")),
    // Agent settings.
    .init("buckets-not-ascending", .init(2, 28, "agent.buckets[3]", "bucket bounds must be strictly ascending: \"0.3\" comes after 0.5")),
    .init("buckets-missing-slo", .init(2, 12, "agent.buckets", "buckets must contain 0.2 and 0.5 (the SLO latency bounds); add 0.2")),
    .init("windows",
          .init(2, 17, "agent.windows[1]", "a window must be a whole number of seconds, at least 1s; got \"500ms\""),
          .init(2, 24, "agent.windows[2]", "window 1m is listed twice")),
    .init("quantiles", .init(2, 20, "agent.quantiles[1]", "a quantile must be between 0 and 1")),
    // Variables.
    .init("unset-variable", .init(4, 12, "probes[0].request.url", "${KALM_TEST_SURELY_UNSET} is not set; pass -e KALM_TEST_SURELY_UNSET=... or set it in the environment")),
    .init("unreadable-file", .init(6, 24, "probes[0].request.headers.Authorization", "cannot read ${file:no-such-secret.txt} (no such file:")),
    // The file as a whole.
    .init("yaml-syntax", .init(5, 6, "", "YAML syntax error: did not find expected key")),
    .init("duplicate-key", .init(5, 7, "", "key \"url\" appears more than once in the same mapping (first at line 4)")),
    .init("empty", .init(1, 1, "", "the config is empty")),
    .init("no-probes", .init(1, 9, "probes", "no probes; add at least one")),
    // Journeys.
    .init("journey-unknown-reference", .init(9, 55, "probes[0].steps[1].request.url", "unknown value {{ item_id }}: no earlier step captures it")),
    .init("journey-later-capture", .init(5, 55, "probes[0].steps[0].request.url", "{{ id }} is captured by step \"create\", which runs after this one")),
    .init("journey-capture-no-source", .init(7, 15, "probes[0].steps[0].capture.id", "capture \"id\" has no source; give one of json_path")),
    .init("journey-step-no-request", .init(4, 9, "probes[0].steps[0].request", "missing required key \"request\"")),
    .init("journey-data-path", .init(4, 24, "probes[0].data.products.file", "cannot read data file \"no-such-products.csv\"")),
    .init("journey-csv-no-header", .init(4, 24, "probes[0].data.products.file", "line 1 is not a header row (column 1 is a number)")),
    .init("journey-pick-mode", .init(4, 44, "probes[0].data.products.pick", "invalid pick \"shuffled\"; use one of random, sequential, unique")),
    .init("journey-unknown-column", .init(7, 78, "probes[0].steps[0].request.body", "data source \"products\" has no column \"colour\"; its columns are brand, category, condition")),
    .init("journey-request-and-steps", .init(3, 5, "probes[0].request", "a probe has request: or steps:, not both")),
    .init("journey-unclosed-reference", .init(5, 55, "probes[0].steps[0].request.url", "\"{{\" is not closed")),
    .init("journey-generator", .init(5, 55, "probes[0].steps[0].request.url", "not a generator (uuid, random_int(MIN, MAX)")),
    .init("journey-oauth2", .init(4, 15, "probes[0].auth.oauth2.client_secret", "missing required key \"client_secret\"")),
    // Every error of a file in one pass, in line order.
    .init("many-errors",
          .init(2, 13, "agent.windows[0]", "invalid duration \"1x\": unknown unit \"x\""),
          .init(7, 7, "probes[0].request.timout", "did you mean \"timeout\"?"),
          .init(8, 15, "probes[0].request.method", "invalid method \"7\""),
          .init(12, 5, "scenarios.smoke.start_vus", "\"start_vus\" is not a key of constant-vus; use executor: ramping-vus")),
]

@Suite("Config fixtures")
struct ConfigFixtureTests {
    @Test("invalid fixture reports exactly its errors", arguments: invalidFixtures)
    func invalidFixture(_ fixture: InvalidFixture) {
        let errors = fixtureErrors(fixture.file)
        #expect(errors.count == fixture.errors.count, "\(ConfigErrors(errors: errors))")
        for (got, want) in zip(errors, fixture.errors) {
            #expect(got.line == want.line && got.column == want.column, "\(got) — want \(want)")
            #expect(got.path == want.path, "\(got) — want \(want)")
            #expect(got.message.contains(want.message), "\(got) — want \(want)")
            #expect(got.file.hasSuffix(fixture.file))
        }
    }

    @Test("every invalid-*.yml fixture is covered by a test")
    func everyFixtureCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: configFixtures).filter {
            $0.hasPrefix("invalid-") && $0.hasSuffix(".yml")
        }
        #expect(Set(files) == Set(invalidFixtures.map(\.file)))
    }

    @Test("good-minimal.yml gets every default")
    func goodMinimal() throws {
        let c = try loadFixture("good-minimal.yml", env: [:])
        #expect(c.scenarios.isEmpty && c.thresholds.isEmpty)
        #expect(c.agent.labels.isEmpty)
        #expect(c.agent.windows == AgentSettings.defaultWindows)
        #expect(c.agent.windows.map(\.name) == ["1m", "5m", "15m", "1h"])
        #expect(c.agent.quantiles == [0.5, 0.9, 0.95, 0.99])
        #expect(c.agent.buckets == AgentSettings.defaultBuckets)
        #expect(c.agent.phaseBuckets == AgentSettings.defaultPhaseBuckets)
        #expect(c.probes == [ProbeSpec(name: "api", request: RequestSpec(url: "https://example.com/"))])
        let r = c.probes[0].request
        #expect(r.method == "GET" && r.timeout == .seconds(10) && r.bodySizeLimit == 10 * 1024 * 1024)
        #expect(r.followRedirects && r.httpVersion == .auto && r.ipProtocol == .any && r.bodies.isEmpty)
        #expect(c.probes[0].expectedStatus == .k6Default)
    }

    @Test("good.yml: agent, probes and requests")
    func goodProbes() throws {
        let c = try loadFixture("good.yml")
        #expect(c.sourcePath.hasSuffix("good.yml"))
        #expect(c.agent.labels.map(\.0) == ["env", "region"])
        #expect(c.probes.map(\.name) == ["valuations", "health", "bulk"])

        let v = c.probes[0]
        #expect(v.labels.map { "\($0.0)=\($0.1)" } == ["team=pricing"])
        #expect(v.request.method == "POST")
        #expect(v.request.url == "https://api.example.com/v1/valuations")
        #expect(v.request.headers == [
            HTTPHeader(name: "Content-Type", value: "application/json"),
            HTTPHeader(name: "Authorization", value: "Bearer k-123"),
            HTTPHeader(name: "X-Price", value: "$5"),
        ])
        #expect(v.request.bodies.map { String(decoding: $0, as: UTF8.self) } == [
            #"{"brand":"Louis Vuitton","category":"bags","condition":"excellent"}"#,
            #"{"brand":"Rolex","category":"watches","condition":"good"}"#,
            #"{"brand":"Hermès","year":2019,"price":12.5,"sold":false,"tags":["a","1"],"note":null}"#,
        ])
        #expect(v.request.timeout == .seconds(10) && v.request.bodySizeLimit == 10 << 20 && v.request.followRedirects)
        #expect(v.request.httpVersion == .http1_1 && v.request.ipProtocol == .any)
        #expect(v.request.tls.serverName == "api.example.com" && !v.request.tls.insecureSkipVerify)
        #expect(v.request.tls.caFile?.hasSuffix("Fixtures/config/ca.pem") == true)
        #expect(v.expectedStatus == StatusMatcher(ranges: [200...399]))
        #expect(v.checks.map(\.name) == [
            "status is 200", "has valuation id", "has estimated value", "fast enough", "no error text",
            "currency is EUR", "id looks right", "body matches estimated", "json content", "2xx",
        ])
        #expect(v.checks[0].kind == .status(StatusMatcher(ranges: [200...200])))
        #expect(v.checks[1].kind == .jsonPath(try JSONPath("$.id"), .exists))
        #expect(v.checks[3].kind == .maxDuration(micros: 2_000_000))
        #expect(v.checks[4].kind == .bodyNotMatches(try Pattern("(?i)error")))
        #expect(v.checks[5].kind == .jsonPath(try JSONPath("$.currency"), .equals("EUR")))
        #expect(v.checks[6].kind == .jsonPath(try JSONPath("$.items[0]['id']"), .matches(try Pattern("^[a-z0-9-]+$"))))
        #expect(v.checks[8].kind == .header(name: "Content-Type", matches: try Pattern("json")))
        #expect(v.checks[9].kind == .status(StatusMatcher(ranges: [200...299])))

        let h = c.probes[1].request
        #expect(h.bodies.map { String(decoding: $0, as: UTF8.self) } == ["ping s3cr3t-from-file"])
        #expect(h.timeout == .milliseconds(2500) && h.bodySizeLimit == 512 * 1024 && !h.followRedirects)
        #expect(h.httpVersion == .http2 && h.ipProtocol == .ip6)
        #expect(c.probes[1].expectedStatus == StatusMatcher(ranges: [200...299, 404...404]))

        let b = c.probes[2].request
        #expect(b.method == "PUT" && b.ipProtocol == .ip4)
        #expect(b.bodies.map { String(decoding: $0, as: UTF8.self) } == [#"{"sku": 1}"#, #"{"sku": 2}"#])
    }

    @Test("good.yml: scenarios and thresholds")
    func goodScenarios() throws {
        let c = try loadFixture("good.yml")
        #expect(c.scenarios.map(\.name) == ["smoke", "soak", "capacity", "steady"])

        let smoke = c.scenarios[0]
        #expect(smoke.probeNames == ["valuations"] && smoke.spec.probes.map(\.name) == ["valuations"])
        #expect(smoke.spec.executor == .constantVUs(vus: 2, duration: .infinity))
        #expect(smoke.continuous && smoke.schedule == nil && smoke.every == nil)
        #expect(smoke.spec.thinkTime == ThinkTime(min: 0.5, max: 2.5) && smoke.spec.connectionReuse)
        #expect(smoke.spec.gracefulStop == 30 && smoke.abortOn == nil)
        #expect(smoke.line == 59 && smoke.column == 3)

        let soak = c.scenarios[1]
        #expect(soak.probeNames == ["valuations", "health", "bulk"])
        #expect(soak.schedule == "0 2 * * 0" && soak.timezone == "Europe/Paris" && !soak.continuous)
        #expect(soak.spec.executor == .rampingVUs(
            startVUs: 0,
            stages: [Stage(duration: 600, target: 100), Stage(duration: 14400, target: 100), Stage(duration: 300, target: 0)],
            gracefulRampDown: 30))
        #expect(soak.spec.gracefulStop == 60)
        #expect(soak.thresholds.map { "\($0.metric) \($0.expression)" } == ["http_req_duration p(95)<300"])
        #expect(soak.thresholds[0].path == "scenarios.soak.thresholds.http_req_duration[0]")

        let capacity = c.scenarios[2]
        #expect(capacity.spec.executor == .rampingArrivalRate(
            startRate: 50, timeUnit: 1, stages: [Stage(duration: 600, target: 2000)], preallocatedVUs: 50, maxVUs: 1000))
        #expect(capacity.abortOn == ["http_req_failed", "http_req_duration"])
        #expect(capacity.isOneShot)

        let steady = c.scenarios[3]
        #expect(steady.probeNames == ["health", "bulk"])
        #expect(steady.every == 6 * 3600 && steady.schedule == nil)
        #expect(steady.spec.executor == .constantArrivalRate(rate: 20, timeUnit: 60, duration: 300, preallocatedVUs: 5, maxVUs: 5))
        #expect(steady.spec.thinkTime == ThinkTime(min: 1, max: 1) && !steady.spec.connectionReuse)

        #expect(c.thresholds.map { "\($0.metric) \($0.expression)" } == [
            "http_req_duration p(95)<200", "http_req_duration p(99)<500", "http_req_failed rate<0.001",
            "checks rate>0.999", "availability rate>0.999", "http_req_duration{probe:valuations} p(99)<500",
        ])
        let first = c.thresholds[0]
        #expect(first.line == 102 && first.column == 23 && first.path == "thresholds.http_req_duration[0]")
        #expect(!first.abortOnFail && first.delayAbortEval == 0 && first.file.hasSuffix("good.yml"))
        let long = c.thresholds[5]
        #expect(long.abortOnFail && long.delayAbortEval == 10 && long.metricName == "http_req_duration")
        #expect(long.path == "thresholds[\"http_req_duration{probe:valuations}\"][0].threshold")
        #expect(long.line == 106 && long.column == 55)
    }
}
