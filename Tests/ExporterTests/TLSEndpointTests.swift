import Exporter
import Foundation
import KalmTestSupport
import Logging
import NIOSSL
import Testing

/// The endpoint over TLS (`tls_server_config`), checked with real curl and openssl against a
/// real `MetricsHTTPServer`: every client-auth mode, allowed SANs, versions and suites,
/// plain HTTP on the TLS port, and certificate rotation without a restart.
@Suite("endpoint TLS", .enabled(if: TLSCertificates.available))
struct TLSEndpointTests {
    typealias Mode = TLSSettings.ClientAuth

    static func endpoint(_ settings: TLSSettings) throws -> EndpointSecuritySource {
        .fixed(EndpointSecurity(tls: try TLSEndpoint(settings: settings)))
    }

    static func serving(_ settings: TLSSettings, _ body: (TestEndpoint, TLSCertificates) async throws -> Void) async throws {
        let certs = try TLSCertificates.shared()
        let endpoint = try await TestEndpoint(security: endpoint(settings))
        do { try await body(endpoint, certs) } catch { await endpoint.stop(); throw error }
        await endpoint.stop()
    }

    static func settings(_ certs: TLSCertificates, _ mode: Mode = .noClientCert) -> TLSSettings {
        TLSSettings(certificate: .file(certs.serverCert), privateKey: .file(certs.serverKey),
                    clientCAs: mode == .noClientCert ? nil : .file(certs.caCert), clientAuth: mode)
    }

    @Test func servesHTTPSAndTellsAPlainHTTPClientWhereItWent() async throws {
        let certs = try TLSCertificates.shared()
        try await Self.serving(Self.settings(certs)) { server, certs in
            let ok = await Curl.fetchAsync(server.url(scheme: "https"), ["--cacert", certs.caCert])
            #expect(ok.status == 200 && ok.text == TestEndpoint.body, "\(ok.curlError)")
            let untrusted = await Curl.fetchAsync(server.url(scheme: "https"))
            #expect(untrusted.exitCode == 60, "curl trusts a certificate from an unknown CA: \(untrusted.exitCode)")
            let plain = await Curl.fetchAsync(server.url(scheme: "http"))
            #expect(plain.status == 400 && plain.text.contains("Client sent an HTTP request to an HTTPS server."),
                    "\(plain.status) \(plain.text)")
        }
    }

    /// Go's five `tls.ClientAuthType`s: (no certificate, the CA's client, another CA's client).
    @Test(arguments: [
        (Mode.noClientCert, true, true, true),
        (Mode.requestClientCert, true, true, true),
        (Mode.requireAnyClientCert, false, true, true),
        (Mode.verifyClientCertIfGiven, true, true, false),
        (Mode.requireAndVerifyClientCert, false, true, false),
    ])
    func clientAuthModesAdmitWhoGoAdmits(mode: Mode, none: Bool, ours: Bool, theirs: Bool) async throws {
        let certs = try TLSCertificates.shared()
        try await Self.serving(Self.settings(certs, mode)) { server, certs in
            let base = ["--cacert", certs.caCert]
            let cases: [(String, [String], Bool)] = [
                ("no certificate", base, none),
                ("our CA's client", base + ["--cert", certs.clientCert, "--key", certs.clientKey], ours),
                ("another CA's client", base + ["--cert", certs.otherClientCert, "--key", certs.otherClientKey], theirs),
            ]
            for (name, args, admitted) in cases {
                let r = await Curl.fetchAsync(server.url(scheme: "https"), args)
                #expect((r.status == 200) == admitted, "\(mode.rawValue), \(name): \(r.status) \(r.exitCode) \(r.curlError)")
            }
        }
    }

    @Test func clientAllowedSANsNeedOneOfTheCertificatesNames() async throws {
        let certs = try TLSCertificates.shared()
        var settings = Self.settings(certs, .requireAnyClientCert)
        let client = ["--cert", certs.otherClientCert, "--key", certs.otherClientKey]
        for (sans, admitted) in [(["nobody.kalm.test"], false), (["nobody.kalm.test", "scraper.kalm.test"], true),
                                 (["scraper@kalm.test"], true)] {
            settings.clientAllowedSANs = sans
            try await Self.serving(settings) { server, certs in
                let r = await Curl.fetchAsync(server.url(scheme: "https"), ["--cacert", certs.caCert] + client)
                #expect((r.status == 200) == admitted, "\(sans): \(r.status) \(r.curlError)")
            }
        }
    }

    @Test func versionsAndCipherSuitesAreEnforced() async throws {
        let certs = try TLSCertificates.shared()
        var settings = Self.settings(certs)
        settings.minimumVersion = .tlsv13
        try await Self.serving(settings) { server, certs in
            #expect(await Curl.fetchAsync(server.url(scheme: "https"), ["--cacert", certs.caCert]).status == 200)
            #expect(await Curl.fetchAsync(server.url(scheme: "https"), ["--cacert", certs.caCert, "--tls-max", "1.2"]).status != 200)
        }
        settings = Self.settings(certs)
        settings.maximumVersion = .tlsv12
        settings.cipherSuites = [.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
        try await Self.serving(settings) { server, certs in
            let args = ["--cacert", certs.caCert]
            #expect(await Curl.fetchAsync(server.url(scheme: "https"), args + ["--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"]).status == 200)
            #expect(await Curl.fetchAsync(server.url(scheme: "https"), args + ["--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384"]).status != 200)
            #expect(await Curl.fetchAsync(server.url(scheme: "https"), args + ["--tlsv1.3"]).status != 200)
        }
    }

    /// The serial of the certificate the server presents now.
    static func servedSerial(port: Int, ca: String) -> String? {
        guard let openssl = TLSCertificates.openssl,
              let shown = try? runTool(openssl, ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", ca], stdin: Data()),
              let pem = shown.stdout.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = shown.stdout.range(of: "-----END CERTIFICATE-----"),
              let parsed = try? runTool(openssl, ["x509", "-noout", "-serial"],
                                        stdin: Data(shown.stdout[pem.lowerBound..<end.upperBound].utf8))
        else { return nil }
        return parsed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func serial(ofFile path: String) throws -> String {
        try runTool(TLSCertificates.openssl!, ["x509", "-noout", "-serial", "-in", path]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func rotatedCertificateFilesAreServedWithoutARestart() async throws {
        let certs = try TLSCertificates.shared()
        let dir = try tempDirectory().path
        let cert = dir + "/tls.crt", key = dir + "/tls.key"
        let fm = FileManager.default
        try fm.copyItem(atPath: certs.serverCert, toPath: cert)
        try fm.copyItem(atPath: certs.serverKey, toPath: key)
        let settings = TLSSettings(certificate: .file(cert), privateKey: .file(key))
        let source = EndpointSecuritySource(EndpointSecurity(tls: try TLSEndpoint(settings: settings)), webConfigFile: nil,
                                            reload: { EndpointSecurity(tls: try TLSEndpoint(settings: settings)) },
                                            checkInterval: .milliseconds(50), logger: Logger(label: "test"))
        let server = try await TestEndpoint(security: source)
        do {
            let before = try Self.serial(ofFile: certs.serverCert), after = try Self.serial(ofFile: certs.rotatedServerCert)
            #expect(Self.servedSerial(port: server.port, ca: certs.caCert) == before)
            // Half a rotation (a new key, the old certificate) cannot be used: the last good pair stays.
            try Data(contentsOf: URL(fileURLWithPath: certs.rotatedServerKey)).write(to: URL(fileURLWithPath: key), options: .atomic)
            try await Task.sleep(for: .milliseconds(100))
            #expect(await Curl.fetchAsync(server.url(scheme: "https"), ["--cacert", certs.caCert]).status == 200)
            #expect(Self.servedSerial(port: server.port, ca: certs.caCert) == before)
            try Data(contentsOf: URL(fileURLWithPath: certs.rotatedServerCert)).write(to: URL(fileURLWithPath: cert), options: .atomic)
            let served = await offPool { pollValue(timeout: 10) { () -> String? in
                let s = Self.servedSerial(port: server.port, ca: certs.caCert)
                return s == after ? s : nil
            } }
            #expect(served == after, "the rotated certificate was never served")
            #expect(await Curl.fetchAsync(server.url(scheme: "https"), ["--cacert", certs.caCert]).status == 200)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
