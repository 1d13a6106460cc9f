import Measurements
import Probes
import Testing

@Suite("threshold evaluation")
struct ThresholdEvaluationTests {
    /// Two probes: `a` answers in 10 ms (status 200), `b` in 100 ms, every fourth with a 500.
    static func stats() -> [ProbeStats] {
        let layout = StatsLayout(statusTrends: [200, 500])
        var a = ProbeStats(checkCount: 1, layout: layout)
        var b = ProbeStats(checkCount: 1, layout: layout)
        for i in 0..<100 {
            var r = RequestResult(probe: 0)
            r.status = 200; r.duration = 10_000; r.checkCount = 1; r.checksPassed = 1; r.success = true
            a.record(r)
            var q = RequestResult(probe: 1)
            q.status = i % 4 == 0 ? 500 : 200
            q.failure = i % 4 == 0 ? .status : nil
            q.duration = 100_000; q.checkCount = 1; q.checksPassed = i % 4 == 0 ? 0 : 1; q.success = i % 4 != 0
            b.record(q)
        }
        return [a, b]
    }

    static let data = RunThresholdData(
        scenario: "load", probes: [ThresholdProbe(name: "a", checkNames: ["ok"]), ThresholdProbe(name: "b", checkNames: ["ok"])],
        stats: stats(), elapsedSeconds: 10, vus: 5, vusMax: 10)

    func observe(_ key: String, _ expr: String) throws -> Double? {
        try Threshold(key: key, expression: expr).observe(Self.data)
    }

    @Test func trendsAndSelectors() throws {
        #expect(try abs(observe("http_req_duration", "p(50)<1")! - 10) < 0.05)  // bucket midpoint, ≤ 0.39 %
        #expect(try abs(observe("http_req_duration", "avg<1")! - 55) < 0.01)
        #expect(try observe("http_req_duration", "max<1")! == 100)
        #expect(try observe("http_req_duration{probe:b}", "med<1")! == 100)
        #expect(try observe("http_req_duration{scenario:other}", "med<1") == nil)
        // 500s all take 100 ms; 200s are 100 from a and 75 from b.
        #expect(try observe("http_req_duration{status:500}", "min<1")! == 100)
        #expect(try abs(observe("http_req_duration{status:200}", "p(50)<1")! - 10) < 0.05)
        // Expected responses exclude b's 500s.
        #expect(try abs(observe("http_req_duration{expected_response:true}", "avg<1")! - (100 * 10 + 75 * 100) / 175.0) < 0.01)
    }

    @Test func ratesCountersGauges() throws {
        #expect(try observe("http_req_failed", "rate<1")! == 25.0 / 200)
        #expect(try observe("http_req_failed{probe:a}", "rate<1")! == 0)
        #expect(try observe("availability", "rate<1")! == 175.0 / 200)
        #expect(try observe("checks", "rate<1")! == 175.0 / 200)
        #expect(try observe("checks{check:ok}", "rate<1")! == 175.0 / 200)
        #expect(try observe("checks{check:none}", "rate<1") == nil)
        #expect(try observe("http_reqs", "count<1")! == 200)
        #expect(try observe("http_reqs", "rate<1")! == 20)
        #expect(try observe("http_reqs{status:500}", "count<1")! == 25)
        #expect(try observe("vus", "value<1")! == 5)
        #expect(try observe("vus_max", "value<1")! == 10)
    }

    @Test func verdicts() throws {
        let pass = try Threshold(key: "http_req_duration{probe:a}", expression: "p(95)<20").evaluate(Self.data)!
        #expect(pass.ok)
        let fail = try Threshold(key: "http_req_failed", expression: "rate<0.01").evaluate(Self.data)!
        #expect(!fail.ok)
        #expect(fail.observedText == "rate=12.5%")
    }

    @Test func windowsEvaluateOnlyWithData() throws {
        let t0: UInt64 = 1_000_000_000_000
        let specs = [WindowSpec(name: "1m", seconds: 60)]
        var set = WindowSet(specs, checkCount: 0, extras: WindowExtras(trends: [.duration], statuses: []), now: t0)
        let empty = WindowThresholdData(scenario: "s", probes: [ThresholdProbe(name: "a", checkNames: [])],
                                        windows: WindowSetProbe.snapshots(set, now: t0 + 1_000_000), activeVUs: 1, maxVUs: 1)
        #expect(try Threshold(key: "http_req_duration", expression: "p(95)<200").evaluate(empty) == nil)
        #expect(try Threshold(key: "http_req_failed", expression: "rate<0.01").evaluate(empty) == nil)
        WindowSetProbe.record(&set, micros: 300_000, at: t0 + 2_000_000)
        let full = WindowThresholdData(scenario: "s", probes: [ThresholdProbe(name: "a", checkNames: [])],
                                       windows: WindowSetProbe.snapshots(set, now: t0 + 3_000_000), activeVUs: 1, maxVUs: 1)
        #expect(try Threshold(key: "http_req_duration", expression: "p(95)<200").evaluate(full)?.ok == false)
        #expect(try Threshold(key: "http_req_failed", expression: "rate<0.01").evaluate(full)?.ok == true)
    }
}
