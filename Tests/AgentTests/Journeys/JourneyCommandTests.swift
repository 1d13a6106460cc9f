import Foundation
import KalmTestSupport
import TestServer
import Testing

/// Journeys through the real binary: `kalm run` with step thresholds and a k6 summary
/// export, `kalm agent` with step series and a status page, secrets kept out of both.
@Suite("journeys through kalm", .serialized)
final class JourneyCommandTests {
    let server: FaultServer
    let dir: URL

    init() throws {
        server = try FaultServer.start()
        dir = try tempDirectory()
        try "brand,category\nLouis Vuitton,bags\n\"Rolex, Oyster\",watches\nHermès,\"bags \"\"Kelly\"\"\"\n"
            .write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        try "\(FaultServer.oauthClientSecret)\n".write(to: dir.appendingPathComponent("client-secret"), atomically: true, encoding: .utf8)
    }

    deinit {
        server.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }

    /// login (oauth2) → create → read → delete → gone, with a data file and a generator.
    func journey(readPath: String = "/api/items/{{ id }}", extra: String = "") -> String {
        """
        probes:
          - name: items
            data:
              products: {file: products.csv, pick: sequential}
            auth:
              oauth2: {token_url: "${BASE}/oauth/token?ttl=60", client_id: kalm, client_secret: "${file:client-secret}", scopes: [items]}
            steps:
              - name: create
                request:
                  method: POST
                  url: ${BASE}/api/items
                  headers: {Content-Type: application/json, X-Request-Id: "{{ uuid }}"}
                  body: {brand: "{{ products.brand }}", category: "{{ products.category }}", vu: "{{ vu }}"}
                expected_status: [201]
                checks: [{name: created, status: [201]}]
                capture:
                  id: {json_path: $.id}
                  location: {header: Location}
              - name: read
                request: {url: "${BASE}\(readPath)"}
                checks:
                  - {name: same id, json_path: $.id, equals: "{{ id }}"}
                  - {name: same brand, json_path: $.brand, equals: "{{ products.brand }}"}
              - name: delete
                request: {method: DELETE, url: "${BASE}{{ location }}"}
                expected_status: [204]
              - name: gone
                request: {url: "${BASE}/api/items/{{ id }}"}
                expected_status: [404]
        \(extra)
        """
    }

    func write(_ yaml: String) throws -> String {
        let path = dir.appendingPathComponent("kalm-\(UUID().uuidString).yml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func runPassesAndExportsEveryStepAsK6ShowsTaggedRequests() throws {
        let cfg = try write(journey(extra: """
            thresholds:
              "http_req_duration{step:create}": ["p(95)<2000"]
              "http_req_failed{step:read}": ["rate<0.01"]
              "checks{step:read}": ["rate>0.99"]
              availability: ["rate>0.99"]
            """))
        let export = cfg + ".json"
        let r = try KalmProcess.run(["run", "-c", cfg, "-e", "BASE=\(server.baseURL)", "--vus", "2", "--duration", "1500ms",
                                     "--threads", "1", "--summary-export", export, "--log.level", "debug"])
        #expect(r.status == 0, "\(r.output)")
        #expect(!r.output.contains(FaultServer.oauthClientSecret), "the client secret reached the output")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export))) as! [String: Any]
        let metrics = json["metrics"] as! [String: [String: Any]]
        let iterations = try #require(metrics["iterations"]?["count"] as? Int)
        #expect(iterations > 10)
        for step in ["create", "read", "delete", "gone"] {
            #expect(metrics["http_reqs{step:\(step)}"]?["count"] as? Int == iterations, "\(step)")
            #expect(metrics["http_req_duration{step:\(step)}"]?["p(95)"] != nil, "\(step)")
            #expect(metrics["http_req_failed{step:\(step)}"]?["passes"] as? Int == 0, "\(step)")
        }
        #expect(metrics["http_reqs"]?["count"] as? Int == 4 * iterations)
        #expect(server.requestCount(path: "/oauth/token") == 1)
        #expect(json["passed"] as? Bool == true)
        #expect(!(try String(contentsOfFile: export, encoding: .utf8)).contains(FaultServer.oauthClientSecret))
    }

    @Test func aStepThresholdFailsTheRunWithExitCode99() throws {
        // The read step reads an id that does not exist: 404, a failed request of that step only.
        let cfg = try write(journey(readPath: "/api/items/none-{{ id }}", extra: """
            thresholds:
              "http_req_failed{step:create}": ["rate<0.01"]
              "http_req_failed{step:read}": ["rate<0.01"]
            """))
        let export = cfg + ".json"
        let r = try KalmProcess.run(["run", "-c", cfg, "-e", "BASE=\(server.baseURL)", "--vus", "1", "--duration", "700ms",
                                     "--summary-export", export])
        #expect(r.status == 99, "\(r.output)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export))) as! [String: Any]
        let list = json["thresholds"] as! [[String: Any]]
        #expect(list.first { $0["metric"] as? String == "http_req_failed{step:create}" }?["ok"] as? Bool == true)
        #expect(list.first { $0["metric"] as? String == "http_req_failed{step:read}" }?["ok"] as? Bool == false)
        // The failed read ended each iteration: delete and gone never ran.
        let metrics = json["metrics"] as! [String: [String: Any]]
        #expect(metrics["http_reqs{step:delete}"]?["count"] as? Int == 0)
    }

    @Test func aWrongClientSecretIsLoggedAndSummarisedAsAuthWithoutTheSecret() throws {
        try "not-the-secret-xyz\n".write(to: dir.appendingPathComponent("client-secret"), atomically: true, encoding: .utf8)
        defer { try? "\(FaultServer.oauthClientSecret)\n".write(to: dir.appendingPathComponent("client-secret"), atomically: true, encoding: .utf8) }
        let cfg = try write(journey())
        let r = try KalmProcess.run(["run", "-c", cfg, "-e", "BASE=\(server.baseURL)", "--vus", "1", "--duration", "1s"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("↳ by reason") && r.stdout.range(of: #"auth=\d+"#, options: .regularExpression) != nil, "\(r.stdout)")
        #expect(r.stdout.contains("{ step:create }"))
        #expect(r.stderr.contains("OAuth2 token fetch failed") && r.stderr.contains("reason=auth") && r.stderr.contains("probe=items"), "\(r.stderr)")
        #expect(!r.output.contains("not-the-secret-xyz"))
        #expect(server.requestCount(path: "/api/items") == 0)
    }

    @Test func stepThresholdsHoldOrFailOverTheAgentsWindows() throws {
        let cfg = try write(journey(readPath: "/api/items/none-{{ id }}", extra: """
            scenarios:
              smoke:
                vus: 1
                think_time: 20ms
                continuous: true
            thresholds:
              "http_req_failed{step:create}": ["rate<0.01"]
              "http_req_failed{step:read}": ["rate<0.01"]
            """))
        let agent = try AgentProcess(configPath: cfg, args: ["--threads", "1", "-e", "BASE=\(server.baseURL)"])
        defer { agent.child.forceStop() }
        let passing = { (m: Exposition, metric: String) in
            m.samples.first { $0.name == "kalm_threshold_passing" && $0.has(["metric": metric, "window": "1m"]) }?.value
        }
        let (m, seen) = try agent.scrape(until: 20) { passing($0, "http_req_failed{step:read}") != nil }
        #expect(seen, "\(m.text.prefix(1500))")
        #expect(passing(m, "http_req_failed{step:create}") == 1)
        #expect(passing(m, "http_req_failed{step:read}") == 0)
    }

    @Test func aBadJourneyExits104NamingTheFileLineAndColumn() throws {
        let cfg = try write("""
            probes:
              - name: flow
                steps:
                  - name: read
                    request: {url: "https://example.com/items/{{ idd }}"}
            """)
        let r = try KalmProcess.run(["run", "-c", cfg])
        #expect(r.status == 104)
        #expect(r.stderr.contains("\(cfg):5:51: probes[0].steps[0].request.url: unknown value {{ idd }}"), "\(r.stderr)")
    }

    @Test func theAgentExposesStepSeriesTokenFetchesAndAStatusPageOfSteps() throws {
        let cfg = try write(journey(extra: """
            scenarios:
              smoke:
                vus: 1
                think_time: 50ms
                continuous: true
            """))
        let agent = try AgentProcess(configPath: cfg, args: ["--threads", "1", "-e", "BASE=\(server.baseURL)"])
        defer { agent.child.forceStop() }
        let (m, seen) = try agent.scrape(until: 20) { m in
            m.samples.contains { $0.name == "kalm_http_requests_total" && $0.labels["step"] == "gone" && $0.value >= 3 }
        }
        #expect(seen, "no gone step yet: \(m.text.prefix(2000))")
        let requests = m.samples.filter { $0.name == "kalm_http_requests_total" && $0.labels["probe"] == "items" }
        #expect(Set(requests.compactMap { $0.labels["step"] }) == ["create", "read", "delete", "gone"])
        #expect(requests.contains { $0.has(["step": "create", "code": "201"]) })
        #expect(requests.contains { $0.has(["step": "gone", "code": "404"]) })
        #expect(m.samples.contains { $0.has(["step": "read", "check": "same id", "result": "pass"]) && $0.name == "kalm_checks_total" })
        #expect(m.samples.contains { $0.name == "kalm_http_request_failures_total" && $0.has(["step": "read", "reason": "capture"]) })
        #expect(m.samples.contains { $0.name == "kalm_auth_token_fetches_total" && $0.has(["probe": "items", "result": "success"]) && $0.value == 1 })
        // Iterations stay per probe: one per pass through the steps.
        let its = m.samples.filter { $0.name == "kalm_iterations_total" && $0.labels["probe"] == "items" }
        #expect(its.allSatisfy { $0.labels["step"] == nil } && !its.isEmpty)
        #expect(m.samples.contains { $0.name == "kalm_probe_success" && $0.labels["probe"] == "items" && $0.labels["step"] == nil })
        #expect(!m.text.contains(FaultServer.oauthClientSecret))

        let page = String(decoding: Curl.fetch(agent.url("/")).body, as: UTF8.self)
        for step in ["create", "read", "delete", "gone"] { #expect(page.contains("<code>\(step)</code>"), "\(step)") }
        #expect(!page.contains(FaultServer.oauthClientSecret))
        #expect(!agent.child.output.contains(FaultServer.oauthClientSecret))
    }
}
