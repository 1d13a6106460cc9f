import Foundation
import KalmTestSupport
import Testing

/// HTTPS probes against a real TLS server (`openssl s_server`) with a fresh self-signed
/// certificate: the expiry gauge matches the certificate's notAfter to the second, and a
/// probe that does not trust the certificate fails with reason="tls".
@Suite("kalm agent TLS", .serialized, .timeLimit(.minutes(2)),
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs /usr/bin/openssl"))
final class TLSCertificateTests {
    let dir: URL
    let certPath: String
    let keyPath: String
    let port: Int
    var tlsServer: ChildProcess

    init() throws {
        dir = try tempDirectory()
        (certPath, keyPath) = try Self.makeCertificate(in: dir, days: 30)
        port = try freeLoopbackPort()
        tlsServer = try Self.serve(certPath: certPath, keyPath: keyPath, port: port)
    }

    deinit {
        tlsServer.forceStop()
        try? FileManager.default.removeItem(at: dir)
    }

    /// A fresh RSA key and a self-signed certificate for localhost/127.0.0.1, valid `days` days.
    static func makeCertificate(in dir: URL, days: Int) throws -> (cert: String, key: String) {
        let cert = dir.appendingPathComponent("cert-\(days).pem").path
        let key = dir.appendingPathComponent("key-\(days).pem").path
        let gen = try runTool("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", String(days), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
        ])
        guard gen.status == 0 else { throw TestFailure("openssl req failed: \(gen.stderr)") }
        return (cert, key)
    }

    /// `openssl s_server -www` on 127.0.0.1:`port`, once it answers HTTPS with that certificate.
    static func serve(certPath: String, keyPath: String, port: Int) throws -> ChildProcess {
        let server = try ChildProcess("/usr/bin/openssl", [
            "s_server", "-accept", "127.0.0.1:\(port)", "-cert", certPath, "-key", keyPath, "-www", "-quiet",
        ])
        let up = poll(timeout: 10, interval: 0.1) {
            Curl.request("https://127.0.0.1:\(port)/", extra: ["--cacert", certPath], timeout: 2).status == 200
        }
        guard up else {
            server.forceStop()
            throw TestFailure("openssl s_server did not come up:\n\(server.output)")
        }
        return server
    }

    /// The certificate's notAfter as Unix seconds, from `openssl x509 -enddate` (e.g.
    /// `notAfter=Jun  5 18:40:00 2026 GMT`), parsed independently of kalm's parser.
    static func notAfter(_ certPath: String) throws -> Double {
        let r = try runTool("/usr/bin/openssl", ["x509", "-enddate", "-noout", "-in", certPath])
        let line = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix("notAfter=") else { throw TestFailure("openssl x509: \(r.stdout)\(r.stderr)") }
        let text = line.dropFirst("notAfter=".count).split(separator: " ").joined(separator: " ")
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "MMM d HH:mm:ss yyyy zzz"
        guard let date = f.date(from: text) else { throw TestFailure("cannot parse notAfter \(text)") }
        return date.timeIntervalSince1970
    }

    @Test func certificateExpiryAndUntrustedCertificate() throws {
        let expected = try Self.notAfter(certPath)
        let now = Date().timeIntervalSince1970
        #expect(expected > now + 29 * 86400 && expected < now + 31 * 86400, "sanity: -days 30")

        let agent = try AgentProcess(yaml: """
            agent:
              labels: {region: it-1}
            probes:
              - name: trusted
                request:
                  url: https://127.0.0.1:\(port)/
                  tls: {ca_file: "\(certPath)"}
                checks:
                  - {name: status is 200, status: [200]}
              - name: untrusted
                request:
                  url: https://127.0.0.1:\(port)/
            scenarios:
              s: {vus: 1, think_time: 200ms, continuous: true}
            """, args: ["--threads", "1"])
        let trusted = ["probe": "trusted"]
        let untrusted = ["probe": "untrusted", "scenario": "s"]
        let (m, ok) = try agent.scrape(until: 15) { m in
            (m.value("kalm_iterations_total", trusted.merging(["result": "success"]) { $1 }) ?? 0) >= 2
                && m.value("kalm_tls_cert_expiry_timestamp_seconds", trusted) != nil
                && m.sum("kalm_iterations_total", untrusted) >= 2
        }
        #expect(ok, "\(agent.output)\n\(tlsServer.output)")

        #expect(m.types["kalm_tls_cert_expiry_timestamp_seconds"] == "gauge")
        let expiry = m.all("kalm_tls_cert_expiry_timestamp_seconds", trusted)
        #expect(expiry.count == 1)
        let got = expiry.first?.value ?? 0
        #expect(abs(got - expected) < 0.5, "kalm_tls_cert_expiry_timestamp_seconds \(got), notAfter \(expected)")
        #expect(expiry.first?.labels["region"] == "it-1")
        #expect(m.value("kalm_probe_success", trusted) == 1)
        #expect(m.value("kalm_http_requests_total", trusted.merging(["code": "200"]) { $1 }).map { $0 > 0 } == true)
        let tlsPhase = m.value("kalm_http_request_phase_seconds_sum", trusted.merging(["phase": "tls"]) { $1 }) ?? 0
        #expect(tlsPhase > 0, "the TLS handshake phase was not measured")

        // Without the CA the handshake fails verification: reason tls, code 0, never a success.
        #expect((m.value("kalm_http_request_failures_total", untrusted.merging(["reason": "tls"]) { $1 }) ?? 0) >= 2,
                "\(m.all("kalm_http_request_failures_total", untrusted))")
        #expect(m.sum("kalm_http_request_failures_total", untrusted)
                == m.value("kalm_http_request_failures_total", untrusted.merging(["reason": "tls"]) { $1 }))
        #expect(m.labelValues("kalm_http_requests_total", "code", untrusted) == ["0"])
        #expect(m.value("kalm_probe_success", untrusted) == 0)
        #expect(m.value("kalm_iterations_total", untrusted.merging(["result": "success"]) { $1 }) == 0)
    }

    /// The gauge is the expiry the probe *last saw*: after the server's certificate is
    /// renewed, it moves to the new certificate's notAfter.
    @Test func expiryFollowsARenewedCertificate() throws {
        let oldExpiry = try Self.notAfter(certPath)
        let agent = try AgentProcess(yaml: """
            probes:
              - name: rotating
                request:
                  url: https://127.0.0.1:\(port)/
                  tls: {insecure_skip_verify: true}
            scenarios:
              s: {vus: 1, think_time: 100ms, continuous: true}
            """, args: ["--threads", "1"])
        let probe = ["probe": "rotating"]
        let (before, seen) = try agent.scrape(until: 15) { m in
            m.value("kalm_tls_cert_expiry_timestamp_seconds", probe) != nil
        }
        #expect(seen, "\(agent.output)")
        #expect(abs((before.value("kalm_tls_cert_expiry_timestamp_seconds", probe) ?? 0) - oldExpiry) < 0.5)

        // Renew: same port, a certificate valid for 60 days instead of 30.
        let (newCert, newKey) = try Self.makeCertificate(in: dir, days: 60)
        let newExpiry = try Self.notAfter(newCert)
        tlsServer.forceStop()
        tlsServer = try Self.serve(certPath: newCert, keyPath: newKey, port: port)
        let served = before.sum("kalm_iterations_total", probe.merging(["result": "success"]) { $1 })
        let (after, probed) = try agent.scrape(until: 15) { m in
            m.sum("kalm_iterations_total", probe.merging(["result": "success"]) { $1 }) >= served + 5
        }
        #expect(probed, "the probe did not reach the renewed server: \(agent.output)")
        let got = after.value("kalm_tls_cert_expiry_timestamp_seconds", probe) ?? 0
        #expect(abs(got - newExpiry) < 0.5,
                "kalm_tls_cert_expiry_timestamp_seconds \(got): still the old certificate's \(oldExpiry), not \(newExpiry)")
    }
}
