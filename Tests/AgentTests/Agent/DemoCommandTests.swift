import Foundation
import KalmTestSupport
import Testing

/// `kalm demo`, the README's first command: it prints where to look, serves the
/// valuations probe's metrics with its checks passing, and stops after --duration.
@Suite("kalm demo", .serialized, .timeLimit(.minutes(1)))
final class DemoCommandTests {
    @Test func demoPrintsTheURLsAndProbesTheValuationsAPI() throws {
        let started = Date()
        let demo = try ChildProcess(KalmProcess.binary,
                                    ["demo", "--duration", "6s", "--web.listen-address", "127.0.0.1:0"])
        defer { demo.forceStop() }
        let metricsURL: String? = pollValue(timeout: 15, interval: 0.05) {
            guard let r = demo.stdout.range(of: #"metrics +http://127\.0\.0\.1:\d+/metrics"#, options: .regularExpression)
            else { return nil }
            return String(demo.stdout[r].split(separator: " ").last!)
        }
        guard let metricsURL else {
            Issue.record("no metrics URL printed:\n\(demo.output)")
            return
        }
        let base = String(metricsURL.dropLast("/metrics".count))
        #expect(demo.stdout.contains("status page     \(base)/"), "\(demo.stdout)")
        #expect(demo.stdout.range(of: #"demo API +POST http://127\.0\.0\.1:\d+/v1/valuations"#,
                                  options: .regularExpression) != nil, "\(demo.stdout)")
        #expect(Curl.request(base + "/").status == 200)

        let checks = ["status is 200", "has valuation id", "has estimated value"]
        let vp = ["probe": "valuations", "scenario": "smoke"]
        var last: Exposition?
        let allPassed = poll(timeout: 5.5, interval: 0.25) {
            guard case let reply = Curl.request(metricsURL, timeout: 2), reply.status == 200,
                  let m = try? Exposition(reply.text) else { return false }
            last = m
            return checks.allSatisfy { (m.value("kalm_checks_total", vp.merging(["check": $0, "result": "pass"]) { $1 }) ?? 0) >= 1 }
        }
        #expect(allPassed, "checks: \(last?.all("kalm_checks_total", vp).map { "\($0.labels) \($0.value)" } ?? [])")
        if let m = last {
            #expect(m.labelValues("kalm_checks_total", "check", vp) == Set(checks))
            for check in checks {
                let pass = m.value("kalm_checks_total", vp.merging(["check": check, "result": "pass"]) { $1 }) ?? 0
                let fail = m.value("kalm_checks_total", vp.merging(["check": check, "result": "fail"]) { $1 }) ?? 0
                // The demo API fails 0.5% of requests on purpose: allow one.
                #expect(pass >= 1 && fail <= 1, "\(check): \(pass) passed, \(fail) failed")
            }
            #expect(m.all("kalm_build_info").first?.labels["env"] == "demo")
            #expect(m.labelValues("kalm_iterations_total", "probe") == ["valuations", "health"])
        }

        let status = demo.waitForExit(timeout: 15)
        let elapsed = Date().timeIntervalSince(started)
        #expect(status == 0, "exit \(String(describing: status)):\n\(demo.output)")
        #expect(elapsed >= 5.5 && elapsed < 15, "ran \(elapsed) s for --duration 6s")
    }
}
