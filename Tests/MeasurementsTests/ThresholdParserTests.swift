import Measurements
import Testing

@Suite("threshold grammar")
struct ThresholdParserTests {
    @Test(arguments: [
        ("http_req_duration", "p(95)<200"), ("http_req_duration", "p(99.9) <= 500"), ("http_req_duration", "avg<100"),
        ("http_req_duration", "med>=1"), ("http_req_duration", "min>0"), ("http_req_duration", "max!=0"),
        ("http_req_waiting", "p(90)<50"), ("iteration_duration", "p(95)<3000"), ("http_req_failed", "rate<0.01"),
        ("checks", "rate>0.999"), ("availability", "rate>0.999"), ("http_reqs", "rate>1000"), ("http_reqs", "count>=10"),
        ("iterations", "count==100"), ("data_received", "rate<1e7"), ("vus", "value>0"), ("dropped_iterations", "count===0"),
        ("http_req_duration{probe:valuations}", "p(99)<500"), ("http_req_duration{scenario:smoke}", "p(95)<200"),
        ("http_req_duration{status:200}", "p(95)<200"), ("checks{check:has valuation id}", "rate>0.99"),
        ("http_req_duration{expected_response:true}", "p(95)<200"), ("http_reqs{probe:a,status:500}", "count<1"),
    ])
    func acceptsK6Forms(key: String, expression: String) throws {
        let t = try Threshold(key: key, expression: expression)
        #expect(t.key == key)
        #expect(t.source == expression)
    }

    @Test func parsesParts() throws {
        let t = try Threshold(key: "http_req_duration{probe:valuations}", expression: "p(99.9)<=500", abortOnFail: true, delayAbortEval: 10)
        #expect(t.metric == .trend(.duration))
        #expect(t.selector.probe == "valuations")
        #expect(t.expression.aggregation == .percentile(99.9))
        #expect(t.expression.op == .lessOrEqual)
        #expect(t.expression.value == 500)
        #expect(t.abortOnFail && t.delayAbortEval == 10)
        #expect(try Threshold(key: "checks", expression: "rate===1").expression.op == .strictEqual)
        #expect(try Threshold(key: "checks", expression: "rate!=0").expression.op == .notEqual)
    }

    @Test(arguments: [
        ("http_req_duration", "p95<200", "unknown aggregation"),
        ("http_req_duration", "p(95)", "no comparison"),
        ("http_req_duration", "p(95)<fast", "not a number"),
        ("http_req_duration", "rate<0.1", "does not apply"),
        ("http_req_failed", "p(95)<1", "does not apply"),
        ("http_reqs", "value>1", "does not apply"),
        ("vus", "count>1", "does not apply"),
        ("http_req_duraton", "p(95)<1", "did you mean \"http_req_duration\""),
        ("errors", "rate<0.01", "k6 custom metric"),
        ("http_req_duration{probe}", "p(95)<1", "key:value"),
        ("http_req_duration{region:eu}", "p(95)<1", "unknown selector"),
        ("http_req_duration{status:abc}", "p(95)<1", "not an HTTP status"),
        ("checks{status:200}", "rate>0", "{status:...} works on"),
        ("http_req_failed{check:x}", "rate<1", "{check:...} works on checks"),
        ("http_req_duration{probe:a", "p(95)<1", "ends with"),
    ])
    func rejectsMistakesWithAFix(key: String, expression: String, message: String) {
        #expect {
            _ = try Threshold(key: key, expression: expression)
        } throws: { e in
            (e as? ThresholdError)?.message.contains(message) == true
        }
    }

    @Test func describesObservedValuesInK6Units() throws {
        #expect(try Threshold(key: "http_req_duration", expression: "p(95)<200").describe(observed: 212.4) == "p(95)=212.4ms")
        #expect(try Threshold(key: "http_req_failed", expression: "rate<0.01").describe(observed: 0.0052) == "rate=0.52%")
        #expect(try Threshold(key: "http_reqs", expression: "rate>1000").describe(observed: 850.5) == "rate=850.5/s")
    }
}
