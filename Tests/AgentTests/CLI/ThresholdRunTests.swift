import Foundation
import KalmTestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestServer

/// Issue 4's acceptance for `kalm run`: exit 99 naming the failing threshold, abortOnFail
/// timing, malformed thresholds, baselines, and JUnit that parses.
@Suite("kalm run thresholds", .serialized)
final class ThresholdRunTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    func config(path: String, vus: Int = 2, duration: String = "2s", thresholds: String) -> String {
        """
        probes:
          - name: api
            request: {url: "\(server.baseURL)\(path)"}
            checks:
              - {name: status is 200, status: [200]}
        scenarios:
          s: {vus: \(vus), duration: \(duration)}
        thresholds:
        \(thresholds)
        """
    }

    @Test func halfFailingEndpointExits99NamingTheThreshold() throws {
        let cfg = try tempFile(config(path: "/flaky?every=2", thresholds: """
              http_req_failed: ["rate<0.01"]
              http_req_duration: ["p(95)<2000"]
            """))
        let export = cfg + ".json"
        let r = try KalmProcess.run(["run", "-c", cfg, "--summary-export", export])
        #expect(r.status == 99, "\(r.output)")
        #expect(r.stdout.range(of: #"✗ 'rate<0\.01' rate=(49|50|51)(\.\d+)?%"#, options: .regularExpression) != nil, "\(r.stdout)")
        #expect(r.stdout.contains("✓ 'p(95)<2000'"))
        #expect(r.stderr.contains("http_req_failed rate<0.01 (rate="))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export))) as! [String: Any]
        #expect(json["passed"] as? Bool == false)
        let metrics = json["metrics"] as! [String: [String: Any]]
        // k6's convention: true = the threshold was crossed.
        #expect((metrics["http_req_failed"]!["thresholds"] as! [String: Bool]) == ["rate<0.01": true])
        #expect((metrics["http_req_duration"]!["thresholds"] as! [String: Bool]) == ["p(95)<2000": false])
        let list = json["thresholds"] as! [[String: Any]]
        let failed = list.first { $0["metric"] as? String == "http_req_failed" }!
        #expect(failed["ok"] as? Bool == false)
        #expect(abs((failed["observed"] as! Double) - 0.5) < 0.01)
    }

    @Test func passingThresholdsExit0() throws {
        let cfg = try tempFile(config(path: "/ok", thresholds: """
              http_req_failed: ["rate<0.01"]
              checks: ["rate>0.99"]
              "http_req_duration{probe:api}": ["p(99)<1000"]
            """))
        let r = try KalmProcess.run(["run", "-c", cfg])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("THRESHOLDS"))
    }

    @Test func abortOnFailStopsWithinDelayPlusOneSecond() throws {
        let cfg = try tempFile(config(path: "/status?code=500", duration: "1m", thresholds: """
              http_req_failed: [{threshold: "rate<0.1", abortOnFail: true, delayAbortEval: 2s}]
            """))
        let start = Date()
        let r = try KalmProcess.run(["run", "-c", cfg], timeout: 30)
        let took = Date().timeIntervalSince(start)
        #expect(r.status == 99, "\(r.output)")
        // The endpoint fails from the first request: abort at delayAbortEval (2 s) + at most 1 s.
        #expect(took >= 2 && took <= 3.5, "took \(took)s")
        #expect(r.stdout.contains("run stopped early: http_req_failed 'rate<0.1'"))
    }

    @Test func scenarioThresholdsAddToTopLevelOnes() throws {
        let text = """
            probes: [{name: api, request: {url: "\(server.baseURL)/ok"}}]
            scenarios:
              smoke: {vus: 1, duration: 1s}
              load:
                vus: 2
                duration: 1s
                thresholds: {http_reqs: ["rate>1000000"]}
            thresholds:
              http_req_failed: ["rate<0.01"]
            """
        let cfg = try tempFile(text)
        let smoke = try KalmProcess.run(["run", "-c", cfg, "--scenario", "smoke"])
        #expect(smoke.status == 0, "\(smoke.output)")
        #expect(!smoke.stdout.contains("rate>1000000"))
        let load = try KalmProcess.run(["run", "-c", cfg, "--scenario", "load"])
        #expect(load.status == 99)
        #expect(load.stdout.contains("✗ 'rate>1000000'"))
        #expect(load.stdout.contains("✓ 'rate<0.01'"))
    }

    @Test(arguments: [
        ("http_req_duration: [\"p95<200\"]", "unknown aggregation"),
        ("http_req_duraton: [\"p(95)<200\"]", "did you mean \"http_req_duration\""),
        ("errors: [\"rate<0.01\"]", "k6 custom metric"),
        ("http_req_failed: [\"p(95)<1\"]", "does not apply"),
    ])
    func malformedThresholdExits104NamingIt(line: String, message: String) throws {
        let cfg = try tempFile(config(path: "/ok", thresholds: "  " + line))
        let r = try KalmProcess.run(["run", "-c", cfg])
        #expect(r.status == 104)
        #expect(r.stderr.contains("\(cfg):9:"), "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func baselineRegressionFromTwentyToFiftyMillisecondsExits99() throws {
        let base = try tempFile(config(path: "/sleep?ms=20", vus: 4, thresholds: "  checks: [\"rate>0\"]"))
        let baseExport = base + ".json"
        let r1 = try KalmProcess.run(["run", "-c", base, "--summary-export", baseExport])
        #expect(r1.status == 0, "\(r1.output)")
        let slow = try tempFile(config(path: "/sleep?ms=50", vus: 4, thresholds: "  checks: [\"rate>0\"]"))
        let r2 = try KalmProcess.run(["run", "-c", slow, "--baseline", baseExport, "--max-regression", "10%"])
        #expect(r2.status == 99, "\(r2.output)")
        #expect(r2.stdout.contains("BASELINE"))
        #expect(r2.stdout.contains("✗ http_req_duration p(95) grew ≤ 10%"), "\(r2.stdout)")
        // Without --max-regression it is a report, not a verdict.
        let r3 = try KalmProcess.run(["run", "-c", slow, "--baseline", baseExport])
        #expect(r3.status == 0)
        #expect(r3.stdout.range(of: #"http_req_duration p\(95\)\s+2\d\.\d+ms\s+→ 5\d\.\d+ms\s+\+1\d\d\.\d%"#, options: .regularExpression) != nil,
                "\(r3.stdout)")
    }

    @Test func errorRateFloorOfATenthOfAPoint() throws {
        // Baseline: no errors. Now: 1 in 2000 requests fails (0.05 %) — under the 0.1-point floor.
        let base = try tempFile(config(path: "/flaky?every=100000000&ms=20", vus: 40, duration: "3s", thresholds: "  checks: [\"rate>0\"]"))
        let baseExport = base + ".json"
        #expect(try KalmProcess.run(["run", "-c", base, "--summary-export", baseExport]).status == 0)
        server.resetCounts()
        let now = try tempFile(config(path: "/flaky?every=2000&ms=20", vus: 40, duration: "3s", thresholds: "  checks: [\"rate>0\"]"))
        let export = now + ".json"
        let r = try KalmProcess.run(["run", "-c", now, "--baseline", baseExport, "--max-regression", "25%", "--summary-export", export])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export))) as! [String: Any]
        let failed = (json["metrics"] as! [String: [String: Any]])["http_req_failed"]!
        let rate = failed["value"] as! Double
        #expect(rate > 0 && rate < 0.001, "error rate \(rate)")
        #expect(r.stdout.contains("✓ error rate grew ≤ max(25% of baseline, 0.1 pt)"), "\(r.stdout)")
        // And 1 in 200 (0.5 %) is over it.
        server.resetCounts()
        let worse = try tempFile(config(path: "/flaky?every=200&ms=20", vus: 40, duration: "3s", thresholds: "  checks: [\"rate>0\"]"))
        let r2 = try KalmProcess.run(["run", "-c", worse, "--baseline", baseExport, "--max-regression", "25%"])
        #expect(r2.status == 99)
        #expect(r2.stdout.contains("✗ error rate grew"))
    }

    @Test func badBaselineAndRegressionFlagsExit104() throws {
        let cfg = try tempFile(config(path: "/ok", thresholds: "  checks: [\"rate>0\"]"))
        let missing = try KalmProcess.run(["run", "-c", cfg, "--baseline", "/nonexistent.json"])
        #expect(missing.status == 104)
        #expect(missing.stderr.contains("/nonexistent.json"))
        let notExport = try tempFile("{\"hello\": 1}", name: "x.json")
        let bad = try KalmProcess.run(["run", "-c", cfg, "--baseline", notExport])
        #expect(bad.status == 104)
        #expect(bad.stderr.contains("not a --summary-export file"))
        let noBase = try KalmProcess.run(["run", "-c", cfg, "--max-regression", "10%"])
        #expect(noBase.status == 104)
        #expect(noBase.stderr.contains("needs --baseline"))
        let pct = try KalmProcess.run(["run", "-c", cfg, "--baseline", notExport, "--max-regression", "ten"])
        #expect(pct.status == 104)
    }

    @Test func junitIsWellFormedAndCarriesObservedValues() throws {
        let cfg = try tempFile(config(path: "/flaky?every=2", thresholds: """
              http_req_failed: ["rate<0.01"]
              http_req_duration: ["p(95)<2000"]
            """))
        let xmlPath = cfg + ".xml"
        let r = try KalmProcess.run(["run", "-c", cfg, "--junit", xmlPath])
        #expect(r.status == 99)
        let doc = try XMLDocument(contentsOf: URL(fileURLWithPath: xmlPath), options: [])
        let cases = try doc.nodes(forXPath: "//testcase")
        #expect(cases.count == 3)  // two thresholds, one check
        let failures = try doc.nodes(forXPath: "//testcase/failure")
        #expect(failures.count == 2)  // the error-rate threshold and the status check
        let suite = try doc.nodes(forXPath: "//testsuite").first as! XMLElement
        #expect(suite.attribute(forName: "failures")?.stringValue == "2")
        let messages = failures.compactMap { ($0 as? XMLElement)?.attribute(forName: "message")?.stringValue }
        #expect(messages.contains { $0.range(of: #"observed rate=(49|50|51)(\.\d+)?%"#, options: .regularExpression) != nil }, "\(messages)")
    }
}
