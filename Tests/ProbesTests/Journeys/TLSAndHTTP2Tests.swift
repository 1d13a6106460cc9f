import Foundation
import KalmTestSupport
import Measurements
import Testing
@testable import Probes

/// The `tls:` keys and `http_version` against real servers: openssl s_server requiring a
/// client certificate (mutual TLS), and nginx speaking HTTP/2 over TLS and over cleartext.
@Suite("TLS and HTTP/2 against real servers", .serialized)
struct TLSAndHTTP2Tests {
    let certs: TLSCertificates

    init() throws {
        certs = try TLSCertificates.shared()
    }

    func probe(_ url: String, tls: TLSOptions, version: HTTPVersionPreference = .auto, checks: [CheckSpec] = []) -> ProbeSpec {
        ProbeSpec(name: "p", request: RequestSpec(url: url, timeout: .seconds(5), httpVersion: version, tls: tls), checks: checks)
    }

    @Test(arguments: [OpenSSLServer.TLSVersion.tls12, .tls13])
    func mutualTLSPassesWithTheClientCertificateAndFailsAsTLSWithout(_ version: OpenSSLServer.TLSVersion) throws {
        let server = try OpenSSLServer(certificates: certs, requireClientCertificate: true, version: version)
        defer { server.stop() }
        let withCert = TLSOptions(caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.clientKey)
        let ok = try EngineHarness.run([probe(server.url, tls: withCert)], executor: .constantVUs(vus: 1, duration: 0.5))[0]
        #expect(ok.requests > 0 && ok.failedRequests == 0, "\(ok.failuresByReason) \(server.output.suffix(500))")
        #expect(ok.requestsByCode[200] == ok.requests)

        let without = TLSOptions(caFile: certs.caCert)
        let refused = try EngineHarness.run([probe(server.url, tls: without)], executor: .constantVUs(vus: 1, duration: 0.5))[0]
        #expect(refused.requests > 0)
        #expect(refused.failures(.tls) == refused.requests, "\(version): \(refused.failuresByReason)")

        // A certificate from a CA the server does not trust is refused the same way.
        let foreign = TLSOptions(caFile: certs.caCert, certFile: certs.otherClientCert, keyFile: certs.otherClientKey)
        let wrong = try EngineHarness.run([probe(server.url, tls: foreign)], executor: .constantVUs(vus: 1, duration: 0.4))[0]
        #expect(wrong.requests > 0 && wrong.failures(.tls) == wrong.requests, "\(version): \(wrong.failuresByReason)")
    }

    @Test func serverNameIsVerifiedAndSentInsteadOfTheURLHost() throws {
        let server = try OpenSSLServer(certificates: certs)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"
        let named = try EngineHarness.run([probe(url, tls: TLSOptions(caFile: certs.caCert, serverName: "api.test"))],
                                          executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(named.requests > 0 && named.failedRequests == 0, "\(named.failuresByReason)")
        let wrongName = try EngineHarness.run([probe(url, tls: TLSOptions(caFile: certs.caCert, serverName: "other.test"))],
                                              executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(wrongName.requests > 0 && wrongName.failures(.tls) == wrongName.requests, "\(wrongName.failuresByReason)")
        let untrusted = try EngineHarness.run([probe(url, tls: TLSOptions(caFile: certs.otherCACert))],
                                              executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(untrusted.requests > 0 && untrusted.failures(.tls) == untrusted.requests)
    }

    @Test func http2OverTLSAndWithPriorKnowledge() throws {
        let nginx = try NginxTLSServer(certificates: certs)
        defer { nginx.stop() }
        let h2 = [CheckSpec(name: "h2", kind: .bodyMatches(try Pattern("^HTTP/2\\.0")))]
        let tls = TLSOptions(caFile: certs.caCert)
        for (url, version) in [(nginx.tlsURL, HTTPVersionPreference.http2), (nginx.tlsURL, .auto), (nginx.h2cURL, .h2c)] {
            let s = try EngineHarness.run([probe(url, tls: tls, version: version, checks: h2)],
                                          executor: .constantVUs(vus: 2, duration: 0.4))[0]
            #expect(s.requests > 0 && s.failedRequests == 0, "\(url) \(version): \(s.failuresByReason) \(nginx.errorLog)")
            #expect(s.checkPasses == [s.requests], "\(url) \(version) did not speak HTTP/2")
        }
        let h1 = [CheckSpec(name: "h1", kind: .bodyMatches(try Pattern("^HTTP/1\\.1")))]
        let s = try EngineHarness.run([probe(nginx.tlsURL, tls: tls, version: .http1_1, checks: h1)],
                                      executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(s.requests > 0 && s.checkPasses == [s.requests])
    }

    @Test func aJourneysStepsShareTLSAndHTTP2() throws {
        let nginx = try NginxTLSServer(certificates: certs)
        defer { nginx.stop() }
        let tls = TLSOptions(caFile: certs.caCert)
        let h2 = { (name: String) in [CheckSpec(name: name, kind: .bodyMatches(try Pattern("^HTTP/2\\.0")))] }
        let steps = [
            StepSpec(name: "one", request: RequestSpec(url: nginx.tlsURL + "a", httpVersion: .http2, tls: tls), checks: try h2("one h2")),
            StepSpec(name: "two", request: RequestSpec(url: nginx.tlsURL + "b", httpVersion: .http2, tls: tls), checks: try h2("two h2")),
        ]
        let run = try JourneyRun([ProbeSpec(name: "j", steps: steps)], executor: .constantVUs(vus: 2, duration: 0.5))
        let s = run.stats[0]
        #expect(s.iterationsSucceeded > 0 && s.iterationsFailed == 0, "\(s.failuresByReason)")
        #expect(s.checkFails == [0, 0])
        #expect(run.steps[0].allSatisfy { $0.requests == s.iterations })
    }
}
