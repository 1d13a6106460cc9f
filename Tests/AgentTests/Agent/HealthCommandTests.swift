import Foundation
import KalmTestSupport
import Testing

/// `kalm health` against a real agent whose endpoint wants a client certificate and a
/// password: it passes only with both, names what went wrong otherwise, and exits as
/// container health checks expect (0 healthy, 1 not, 104 bad flags).
@Suite("kalm health")
struct HealthCommandTests {
    @Test(.enabled(if: TLSCertificates.available))
    func checksASecuredEndpointWithItsCertificateAndPassword() throws {
        let certs = try TLSCertificates.shared()
        let dir = try tempDirectory().path
        let web = dir + "/web.yml"
        try """
            tls_server_config:
              cert_file: \(certs.serverCert)
              key_file: \(certs.serverKey)
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: \(certs.caCert)
            \(WebConfigTests.webConfig)
            """.write(toFile: web, atomically: true, encoding: .utf8)
        let password = dir + "/password"
        try "kalm-scrape-pw\n".write(toFile: password, atomically: true, encoding: .utf8)
        let wrong = dir + "/wrong"
        try "guessed".write(toFile: wrong, atomically: true, encoding: .utf8)
        let agent = try AgentProcess(yaml: WebConfigTests.config, args: ["--web.config.file", web])
        defer { agent.child.forceStop() }
        let ready = "https://\(agent.address)/-/ready"
        let client = ["--cert-file", certs.clientCert, "--key-file", certs.clientKey]

        let ok = try KalmProcess.run(["health", "--url", ready, "--ca-file", certs.caCert, "--user", "prometheus", "--password-file", password] + client)
        #expect(ok.status == 0 && ok.stdout.contains("200 Ready"), "\(ok.output)")
        // kubelet's way: no verification of the server; the client certificate still goes.
        let insecure = try KalmProcess.run(["health", "--url", "https://\(agent.address)/-/healthy", "--insecure",
                                            "--user", "prometheus", "--password-file", password] + client)
        #expect(insecure.status == 0 && insecure.stdout.contains("200 Healthy"), "\(insecure.output)")

        let badPassword = try KalmProcess.run(["health", "--url", ready, "--insecure", "--user", "prometheus", "--password-file", wrong] + client)
        #expect(badPassword.status == 1 && badPassword.stderr.contains("401"), "\(badPassword.output)")
        let noCert = try KalmProcess.run(["health", "--url", ready, "--insecure", "--user", "prometheus", "--password-file", password])
        #expect(noCert.status == 1 && noCert.stderr.contains("no answer"), "\(noCert.output)")
        let unverified = try KalmProcess.run(["health", "--url", ready, "--user", "prometheus", "--password-file", password] + client)
        #expect(unverified.status == 1 && unverified.stderr.contains("certificate"), "the test CA is not the system's: \(unverified.output)")
        #expect(!(ok.output + badPassword.output).contains("kalm-scrape-pw"), "the password never appears")
    }

    @Test func reportsAClosedPortAndBadFlags() throws {
        let closed = try KalmProcess.run(["health", "--url", "http://127.0.0.1:1/-/healthy", "--timeout", "2s"])
        #expect(closed.status == 1 && closed.stderr.contains("http://127.0.0.1:1/-/healthy: no answer"), "\(closed.output)")
        let cases: [([String], String)] = [
            (["--url", "ftp://x/"], "give an http:// or https:// URL"),
            (["--cert-file", "/x.crt"], "--cert-file and --key-file go together"),
            (["--user", "prometheus"], "--user and --password-file go together"),
            (["--user", "p", "--password-file", "/nonexistent/pw"], "--password-file /nonexistent/pw: cannot be read"),
        ]
        for (args, message) in cases {
            let r = try KalmProcess.run(["health"] + args)
            #expect(r.status == 104 && r.stderr.contains(message), "\(args): \(r.output)")
        }
    }
}
