import Foundation
import KalmTestSupport
import Testing

/// `--web.config.file` (exporter-toolkit's format): bcrypt basic auth and headers on every
/// path, checked by curl and by a real Prometheus, and its mistakes located by `kalm check`.
@Suite("web config", .serialized)
struct WebConfigTests {
    /// bcrypt (cost 10, libcrypt) of "kalm-scrape-pw".
    static let hash = "$2b$10$Q7n1vH3sK9pL2mX5cR8tWevuBAxC93D.gtgHPlNaeaY2NXh264Zm."
    static let webConfig = """
        basic_auth_users:
          prometheus: "\(hash)"
        http_server_config:
          headers:
            X-Frame-Options: deny
            X-Content-Type-Options: nosniff
        """
    static let config = """
        probes: [{name: a, request: {url: "http://127.0.0.1:1/"}}]
        scenarios:
          s: {vus: 1, think_time: 1s, continuous: true}
        """

    @Test func everyPathNeedsTheRightPasswordAndEveryAnswerCarriesTheHeaders() throws {
        let web = try tempFile(Self.webConfig)
        let agent = try AgentProcess(yaml: Self.config, args: ["--web.config.file", web])
        defer { agent.child.forceStop() }
        for path in ["/metrics", "/", "/-/healthy", "/-/ready", "/nope"] {
            let none = Curl.request(agent.url(path))
            #expect(none.status == 401 && none.headers["www-authenticate"] == "Basic", "\(path): \(none.status)")
            #expect(none.headers["x-frame-options"] == "deny" && none.headers["x-content-type-options"] == "nosniff")
            #expect(Curl.request(agent.url(path), extra: ["-u", "prometheus:wrong"]).status == 401)
            #expect(Curl.request(agent.url(path), extra: ["-u", "grafana:kalm-scrape-pw"]).status == 401, "unknown user")
        }
        let ok = Curl.request(agent.url("/metrics"), extra: ["-u", "prometheus:kalm-scrape-pw"])
        #expect(ok.status == 200 && ok.text.contains("kalm_build_info") && ok.headers["x-frame-options"] == "deny")
        #expect(Curl.request(agent.url("/-/healthy"), extra: ["-u", "prometheus:kalm-scrape-pw"]).status == 200)
        #expect(Curl.request(agent.url("/nope"), extra: ["-u", "prometheus:kalm-scrape-pw"]).status == 404)
        #expect(!agent.child.output.contains("kalm-scrape-pw"))
    }

    @Test(.enabled(if: PrometheusProcess.isInstalled))
    func prometheusScrapesWithBasicAuthAndIsRefusedWithoutIt() throws {
        let web = try tempFile(Self.webConfig)
        let agent = try AgentProcess(yaml: Self.config, args: ["--web.config.file", web])
        defer { agent.child.forceStop() }
        let prometheus = try PrometheusProcess(targets: [agent.address], jobSettings: """
                basic_auth: {username: prometheus, password: kalm-scrape-pw}
            """, moreJobs: """
              - job_name: wrong
                basic_auth: {username: prometheus, password: guessed}
                static_configs:
                  - targets: ["\(agent.address)"]
            """)
        let up = try pollValue(timeout: 30) { () -> (Double, Double)? in
            let r = (try? prometheus.query("up")) ?? []
            guard let good = r.first(where: { $0.labels["job"] == "kalm" })?.value,
                  let bad = r.first(where: { $0.labels["job"] == "wrong" })?.value else { return nil }
            return (good, bad)
        }
        #expect(up?.0 == 1, "\(prometheus.output.suffix(1000))")
        #expect(up?.1 == 0)
        let series = try prometheus.query("kalm_build_info")
        #expect(series.count == 1 && series[0].labels["job"] == "kalm")
    }

    @Test func checkLocatesEveryMistakeOfTheWebConfig() throws {
        let cfg = try tempFile(Self.config)
        let web = try tempFile("""
            tls_server_config: {cert_file: server.pem, key_file: server.key}
            basic_auth_users:
              bob: plain-text
              "a:b": "\(Self.hash)"
            http_server_config:
              headers: {Content-Type: text/html, X-Frame-Options: allow}
              http2: true
            basic_auth_user: {}
            """)
        let r = try KalmProcess.run(["check", "-c", cfg, "--web.config.file", web])
        #expect(r.status == 104)
        for expected in ["\(web):1:21: tls_server_config.cert_file: cannot read \((web as NSString).deletingLastPathComponent)/server.pem: no such file",
                         "tls_server_config.key_file: cannot read",
                         "\(web):3:8: basic_auth_users.bob: the password of \"bob\" is not a bcrypt hash",
                         "\(web):4:3: basic_auth_users[\"a:b\"]: invalid user name",
                         "\(web):6:13: http_server_config.headers.Content-Type: HTTP header \"Content-Type\" can not be configured",
                         "http_server_config.headers.X-Frame-Options: invalid value for X-Frame-Options \"allow\"; use one of deny, sameorigin",
                         "\(web):8:1: basic_auth_user: unknown key \"basic_auth_user\"; did you mean \"basic_auth_users\"?"] {
            #expect(r.stderr.contains(expected), "missing: \(expected)\n\(r.stderr)")
        }
        let good = try tempFile(Self.webConfig)
        let ok = try KalmProcess.run(["check", "-c", cfg, "--web.config.file", good])
        #expect(ok.status == 0 && ok.stdout.contains("\(good): OK"), "\(ok.output)")
        for cmd in ["run", "agent"] {
            let missing = try KalmProcess.run([cmd, "-c", cfg, "--web.config.file", "/nonexistent/web.yml"])
            #expect(missing.status == 104 && missing.stderr.contains("cannot read the web config file"), "\(cmd): \(missing.output)")
        }
    }

    @Test func checkLocatesEveryTLSMistake() throws {
        let cfg = try tempFile(Self.config)
        let certs = try TLSCertificates.shared()
        let web = try tempFile("""
            tls_server_config:
              cert_file: \(certs.serverCert)
              cert: inline
              key_file: \(certs.otherClientKey)
              client_auth_type: RequireAndVerifyClientCrt
              min_version: TLS14
              cipher_suites: [TLS_ECDHE_RSA_WITH_RC4_128_SHA]
              curve_preferences: [P256]
              client_allowed_sans: [scraper.kalm.test]
            """)
        let r = try KalmProcess.run(["check", "-c", cfg, "--web.config.file", web])
        #expect(r.status == 104)
        for expected in ["\(web):3:3: tls_server_config.cert: give cert_file or cert, not both",
                         "\(web):5:21: tls_server_config.client_auth_type: invalid client_auth_type \"RequireAndVerifyClientCrt\"",
                         "did you mean \"RequireAndVerifyClientCert\"?",
                         "\(web):6:16: tls_server_config.min_version: invalid min_version \"TLS14\"; use one of TLS10, TLS11, TLS12, TLS13",
                         "tls_server_config.cipher_suites[0]: invalid cipher suite \"TLS_ECDHE_RSA_WITH_RC4_128_SHA\"",
                         "tls_server_config.curve_preferences[0]: invalid curve \"P256\"",
                         "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert"] {
            #expect(r.stderr.contains(expected), "missing: \(expected)\n\(r.stderr)")
        }
        // A key that is not the certificate's, and CAs without a policy.
        let mismatched = try tempFile("""
            tls_server_config:
              cert_file: \(certs.serverCert)
              key_file: \(certs.otherClientKey)
              client_ca_file: \(certs.caCert)
            """)
        let m = try KalmProcess.run(["check", "-c", cfg, "--web.config.file", mismatched])
        #expect(m.status == 104)
        #expect(m.stderr.contains("\(mismatched):4:3: tls_server_config.client_ca_file: client CAs are configured without a client auth policy"), "\(m.stderr)")
        let pair = try tempFile("""
            tls_server_config: {cert_file: \(certs.serverCert), key_file: \(certs.otherClientKey)}
            """)
        let p = try KalmProcess.run(["check", "-c", cfg, "--web.config.file", pair])
        #expect(p.status == 104 && p.stderr.contains("tls_server_config.key_file: cannot be used with the certificate"), "\(p.stderr)")
    }

    /// The acceptance of the secure endpoint: a real Prometheus scrapes over HTTPS with basic
    /// auth and a client certificate (RequireAndVerifyClientCert); without the certificate or
    /// with a wrong password it cannot; plain HTTP gets Go's 400; a certificate rotated on disk
    /// is served without a restart while Prometheus keeps scraping.
    @Test(.enabled(if: PrometheusProcess.isInstalled && TLSCertificates.available))
    func prometheusScrapesOverMutualTLSWithBasicAuthThroughARotation() throws {
        let certs = try TLSCertificates.shared()
        let dir = try tempDirectory().path
        let fm = FileManager.default
        try fm.copyItem(atPath: certs.serverCert, toPath: dir + "/kalm.crt")
        try fm.copyItem(atPath: certs.serverKey, toPath: dir + "/kalm.key")
        let web = dir + "/web.yml"
        try """
            tls_server_config:
              cert_file: kalm.crt
              key_file: kalm.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: \(certs.caCert)
            \(Self.webConfig)
            """.write(toFile: web, atomically: true, encoding: .utf8)
        let agent = try AgentProcess(yaml: Self.config, args: ["--web.config.file", web])
        defer { agent.child.forceStop() }
        #expect(agent.child.stderr.contains("tls=true"))
        let tls = """
                tls_config: {ca_file: \(certs.caCert), cert_file: \(certs.clientCert), key_file: \(certs.clientKey)}
            """
        let prometheus = try PrometheusProcess(targets: [agent.address], jobSettings: """
                scheme: https
                basic_auth: {username: prometheus, password: kalm-scrape-pw}
            \(tls)
            """, moreJobs: """
              - job_name: nocert
                scheme: https
                basic_auth: {username: prometheus, password: kalm-scrape-pw}
                tls_config: {ca_file: \(certs.caCert)}
                static_configs: [{targets: ["\(agent.address)"]}]
              - job_name: wrongpw
                scheme: https
                basic_auth: {username: prometheus, password: guessed}
            \(tls)
                static_configs: [{targets: ["\(agent.address)"]}]
            """)
        func up() -> [String: Double]? {
            let r = (try? prometheus.query("up")) ?? []
            let byJob = Dictionary(r.map { ($0.labels["job"] ?? "", $0.value) }, uniquingKeysWith: { a, _ in a })
            return byJob.count == 3 ? byJob : nil
        }
        let first = pollValue(timeout: 30) { up().flatMap { $0["kalm"] == 1 ? $0 : nil } }
        #expect(first == ["kalm": 1, "nocert": 0, "wrongpw": 0], "\(prometheus.output.suffix(1500))")
        #expect(try prometheus.query("kalm_build_info{job=\"kalm\"}").count == 1)

        let client = ["--cacert", certs.caCert, "--cert", certs.clientCert, "--key", certs.clientKey]
        let none = Curl.request(agent.url("/metrics", scheme: "https"), extra: client)
        #expect(none.status == 401 && none.headers["www-authenticate"] == "Basic")
        #expect(Curl.request(agent.url("/metrics", scheme: "https"), extra: client + ["-u", "prometheus:x"]).status == 401)
        let plain = Curl.request(agent.url("/metrics"))
        #expect(plain.status == 400 && plain.text.contains("HTTP request to an HTTPS server"))

        // Rotation: new certificate and key written in place (atomically, as a secret mount does).
        let rotatedSerial = try runTool(TLSCertificates.openssl!, ["x509", "-noout", "-serial", "-in", certs.rotatedServerCert]).stdout
        try Data(contentsOf: URL(fileURLWithPath: certs.rotatedServerKey)).write(to: URL(fileURLWithPath: dir + "/kalm.key"), options: .atomic)
        try Data(contentsOf: URL(fileURLWithPath: certs.rotatedServerCert)).write(to: URL(fileURLWithPath: dir + "/kalm.crt"), options: .atomic)
        let served = pollValue(timeout: 15) { () -> String? in
            guard let shown = try? runTool(TLSCertificates.openssl!, ["s_client", "-connect", agent.address, "-CAfile", certs.caCert,
                                                                       "-cert", certs.clientCert, "-key", certs.clientKey], stdin: Data()),
                  let begin = shown.stdout.range(of: "-----BEGIN CERTIFICATE-----"),
                  let end = shown.stdout.range(of: "-----END CERTIFICATE-----"),
                  let serial = try? runTool(TLSCertificates.openssl!, ["x509", "-noout", "-serial"],
                                            stdin: Data(shown.stdout[begin.lowerBound..<end.upperBound].utf8)).stdout,
                  serial == rotatedSerial else { return nil }
            return serial
        }
        #expect(served == rotatedSerial, "the rotated certificate was not served:\n\(agent.child.output.suffix(1500))")
        #expect(agent.child.stderr.contains("web config reloaded"))
        // Prometheus goes on scraping through the rotation: more successful scrapes after it.
        let samples = { (try? prometheus.query("count_over_time(up{job=\"kalm\"}[1m])").first?.value) ?? 0 }
        let before = samples()
        #expect(pollValue(timeout: 15) { samples() >= before + 2 ? true : nil } == true)
        #expect(pollValue(timeout: 10) { up()?["kalm"] == 1 ? true : nil } == true)

        // The web config itself is re-read too: without basic_auth_users no password is asked.
        try """
            tls_server_config: {cert_file: kalm.crt, key_file: kalm.key, client_auth_type: RequireAndVerifyClientCert, client_ca_file: \(certs.caCert)}
            """.write(toFile: web, atomically: true, encoding: .utf8)
        #expect(pollValue(timeout: 10) { Curl.request(agent.url("/metrics", scheme: "https"), extra: client).status == 200 ? true : nil } == true)
    }
}
