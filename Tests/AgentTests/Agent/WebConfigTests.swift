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
        for expected in ["\(web):1:1: tls_server_config: kalm does not serve TLS itself yet",
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
}
