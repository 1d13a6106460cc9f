import Foundation
import KalmTestSupport
import Measurements
import Probes
import TestServer
import Testing

/// Each failure reason, produced by a real request through libcurl against a real server.
@Suite("failure reasons", .serialized)
final class FailureReasonTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    /// One VU for `seconds`; every request must fail with `reason`.
    private func expectAllFail(_ probe: ProbeSpec, _ reason: FailureReason, seconds: Double = 0.6,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let stats = try EngineHarness.run([probe], executor: .constantVUs(vus: 1, duration: seconds))[0]
        #expect(stats.requests > 0, "no request was made", sourceLocation: sourceLocation)
        #expect(stats.failures(reason) == stats.requests,
                "\(reason): \(stats.failuresByReason) of \(stats.requests)", sourceLocation: sourceLocation)
        #expect(stats.failedRequests == stats.requests, sourceLocation: sourceLocation)
        #expect(stats.iterationsFailed == stats.requests, sourceLocation: sourceLocation)
        #expect(stats.iterationsSucceeded == 0, sourceLocation: sourceLocation)
    }

    @Test func successIsNotAFailure() throws {
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/ok")], executor: .constantVUs(vus: 2, duration: 0.5))[0]
        #expect(stats.requests > 10)
        #expect(stats.failedRequests == 0)
        #expect(stats.requestsByCode[200] == stats.requests)
        #expect(stats.iterationsSucceeded == stats.requests)
        #expect(stats.bytesReceived > stats.requests * 20)
        #expect(stats.bytesSent > stats.requests * 20)
    }

    @Test func unexpectedStatusIsReasonStatus() throws {
        try expectAllFail(EngineHarness.probe(server, "/status?code=503"), .status)
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/status?code=404")], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(stats.requestsByCode[404] == stats.requests)
    }

    @Test func expectedStatusListIsHonoured() throws {
        let p = EngineHarness.probe(server, "/status?code=503", expected: StatusMatcher(ranges: [500...503]))
        let stats = try EngineHarness.run([p], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(stats.requests > 0)
        #expect(stats.failedRequests == 0)
    }

    @Test func closedPortIsReasonConnect() throws {
        let port = EngineHarness.closedPort()
        let p = ProbeSpec(name: "closed", request: RequestSpec(url: "http://127.0.0.1:\(port)/", timeout: .seconds(2)))
        try expectAllFail(p, .connect, seconds: 0.3)
    }

    @Test func unresolvableHostIsReasonDNS() throws {
        // A long timeout: a resolver that answers slowly must still end as `dns`, not `timeout`.
        let p = ProbeSpec(name: "dns", request: RequestSpec(url: "http://kalm-test-host.invalid/", timeout: .seconds(15)))
        try expectAllFail(p, .dns, seconds: 0.3)
    }

    @Test func slowBodyPastTheTimeoutIsReasonTimeout() throws {
        let p = EngineHarness.probe(server, "/slowbody?chunks=20&interval_ms=100", timeout: 0.4)
        let stats = try EngineHarness.run([p], executor: .constantVUs(vus: 1, duration: 0.9))[0]
        #expect(stats.requests >= 2)
        #expect(stats.failures(.timeout) == stats.requests)
        // A response had started: the status line arrived, but the request still failed.
        #expect(stats.iterationsSucceeded == 0)
    }

    @Test func bodyOverTheLimitIsReasonBodyLimit() throws {
        try expectAllFail(EngineHarness.probe(server, "/bytes?n=5000", bodyLimit: 4096), .bodyLimit, seconds: 0.3)
        // Counted after decompression: a small gzip body that inflates past the limit.
        try expectAllFail(EngineHarness.probe(server, "/gzip?n=1000000", bodyLimit: 100_000), .bodyLimit, seconds: 0.3)
        // At the limit exactly is fine.
        let ok = try EngineHarness.run([EngineHarness.probe(server, "/bytes?n=4096", bodyLimit: 4096)],
                                       executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(ok.requests > 0 && ok.failedRequests == 0)
    }

    @Test func garbageResetAndCloseAreReasonOther() throws {
        try expectAllFail(EngineHarness.probe(server, "/garbage"), .other, seconds: 0.3)
        try expectAllFail(EngineHarness.probe(server, "/reset"), .other, seconds: 0.3)
        try expectAllFail(EngineHarness.probe(server, "/close"), .other, seconds: 0.3)
        let s = try EngineHarness.run([EngineHarness.probe(server, "/reset")], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(s.requestsByCode[0] == s.requests, "transport errors count under code 0")
    }

    @Test func tlsToAPlainServerIsReasonTLS() throws {
        let url = server.baseURL.replacingOccurrences(of: "http://", with: "https://") + "/ok"
        let p = ProbeSpec(name: "tls", request: RequestSpec(url: url, timeout: .seconds(2)))
        try expectAllFail(p, .tls, seconds: 0.3)
    }

    @Test func mixedOutcomesAreCountedExactly() throws {
        // /flaky?every=2 fails every second request at the server: half the requests are 500.
        server.resetCounts()
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/flaky?every=2")], executor: .constantVUs(vus: 1, duration: 0.6))[0]
        #expect(stats.requests == UInt64(server.requestCount(path: "/flaky")))
        #expect(stats.requestsByCode[500] + stats.requestsByCode[200] == stats.requests)
        #expect(stats.failures(.status) == stats.requestsByCode[500])
        #expect(abs(Int(stats.requestsByCode[500]) - Int(stats.requestsByCode[200])) <= 1)
    }
}
