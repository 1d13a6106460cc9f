import Foundation
import KalmTestSupport
import Measurements
import TestServer
import Testing
@testable import Probes

/// Every way the test server's `/hostile/` routes misbehave is a counted failure with a
/// sensible reason, within the probe's timeout, and never a crash.
@Suite("hostile targets", .serialized)
final class HostileTargetTests {
    let server: FaultServer

    init() throws {
        FaultServer.prepareHostileRoutes()
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    @Test(arguments: FaultServer.hostileRoutes.map(\.name))
    func eachMisbehaviourIsCountedWithItsReason(_ name: String) throws {
        let expected = try #require(FaultServer.hostileRoutes.first { $0.name == name }).reason
        let probe = ProbeSpec(name: "hostile", request: RequestSpec(url: server.url("/hostile/\(name)"), timeout: .milliseconds(name == "redirect-loop" ? 5000 : 800),
                                                                    bodySizeLimit: 4 << 20),
                              checks: [CheckSpec(name: "id", kind: .jsonPath(try JSONPath("$.id"), .exists))])
        let started = Date()
        let s = try EngineHarness.run([probe], executor: .constantVUs(vus: 2, duration: 0.5), gracefulStop: 5)[0]
        // Within the timeout: the run ends at 0.5 s plus at most one timeout (and the stop grace is not needed).
        #expect(Date().timeIntervalSince(started) < 4, "\(name) took \(Date().timeIntervalSince(started)) s")
        #expect(s.requests > 0, "\(name): no request finished")
        if let expected {
            let reason = try #require(FailureReason.allCases.first { $0.description == expected })
            #expect(s.failures(reason) == s.requests, "\(name): \(s.failuresByReason) of \(s.requests)")
            #expect(s.iterationsSucceeded == 0)
        } else {
            #expect(s.failedRequests == 0, "\(name): \(s.failuresByReason)")
        }
    }

    @Test func pathologicalJSONFailsTheCheckWithoutCrashing() throws {
        for name in ["json-deep", "nul-bytes"] {
            let probe = ProbeSpec(name: "j", request: RequestSpec(url: server.url("/hostile/\(name)")),
                                  checks: [CheckSpec(name: "id", kind: .jsonPath(try JSONPath("$.id"), .exists))])
            let s = try EngineHarness.run([probe], executor: .constantVUs(vus: 1, duration: 0.3))[0]
            #expect(s.requests > 0 && s.checkPasses == [0] && s.checkFails == [s.requests], "\(name)")
        }
        // Invalid UTF-8 inside a string is replaced, not fatal: the check decides, the run goes on.
        let bad = ProbeSpec(name: "j", request: RequestSpec(url: server.url("/hostile/json-bad-utf8")),
                            checks: [CheckSpec(name: "id", kind: .jsonPath(try JSONPath("$.id"), .exists))])
        let b = try EngineHarness.run([bad], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(b.requests > 0 && b.checkPasses[0] + b.checkFails[0] == b.requests && b.failedRequests == 0)
        // A number beyond a double is still a number: the check sees it.
        let huge = ProbeSpec(name: "j", request: RequestSpec(url: server.url("/hostile/json-huge-number")),
                             checks: [CheckSpec(name: "id", kind: .jsonPath(try JSONPath("$.id"), .exists))])
        let s = try EngineHarness.run([huge], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(s.requests > 0 && s.checkPasses == [s.requests])
    }

    @Test func tlsToAPlainServerAndAStalledHandshakeAreTLSAndTimeout() throws {
        let plain = ProbeSpec(name: "t", request: RequestSpec(url: "https://127.0.0.1:\(server.port)/ok", timeout: .milliseconds(800)))
        let s = try EngineHarness.run([plain], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(s.requests > 0 && s.failures(.tls) == s.requests, "\(s.failuresByReason)")
        // A listener that never answers: the TCP connect succeeds, the handshake never does.
        let silent = try ListeningSocket()
        let stalled = ProbeSpec(name: "t", request: RequestSpec(url: "https://127.0.0.1:\(silent.port)/", timeout: .milliseconds(500)))
        let t = try EngineHarness.run([stalled], executor: .constantVUs(vus: 1, duration: 0.2))[0]
        #expect(t.requests > 0 && t.failures(.timeout) == t.requests, "\(t.failuresByReason)")
    }
}
