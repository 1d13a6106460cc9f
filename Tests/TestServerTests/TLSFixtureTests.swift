import Foundation
import KalmTestSupport
import Testing

/// The TLS fixtures of KalmTestSupport, checked with the real curl: the certificates chain
/// as intended, `OpenSSLServer` enforces mutual TLS at the version asked for, and
/// `NginxTLSServer` speaks HTTP/2 over TLS and in cleartext.
@Suite(.enabled(if: TLSCertificates.available, "needs openssl (scripts/test installs it)"))
struct TLSFixtureTests {
    @Test func certificatesChainToTheirCA() throws {
        let certs = try TLSCertificates.shared()
        let openssl = try #require(TLSCertificates.openssl)
        for leaf in [certs.serverCert, certs.clientCert] {
            #expect(try runTool(openssl, ["verify", "-CAfile", certs.caCert, leaf]).status == 0)
            #expect(try runTool(openssl, ["verify", "-CAfile", certs.otherCACert, leaf]).status != 0)
        }
        #expect(try runTool(openssl, ["verify", "-CAfile", certs.otherCACert, certs.otherClientCert]).status == 0)
        #expect(try runTool(openssl, ["verify", "-CAfile", certs.caCert, certs.otherClientCert]).status != 0)
        let server = try runTool(openssl, ["x509", "-in", certs.serverCert, "-noout", "-ext", "subjectAltName"]).stdout
        #expect(server.contains("DNS:localhost, IP Address:127.0.0.1, DNS:api.test"))
        let client = try runTool(openssl, ["x509", "-in", certs.clientCert, "-noout", "-subject"]).stdout
        #expect(client.contains("CN = kalm-client") || client.contains("CN=kalm-client"))
    }

    @Test(arguments: [OpenSSLServer.TLSVersion.tls12, .tls13])
    func mutualTLSNeedsTheClientCertificate(version: OpenSSLServer.TLSVersion) throws {
        let certs = try TLSCertificates.shared()
        let server = try OpenSSLServer(certificates: certs, requireClientCertificate: true, version: version)
        defer { server.stop() }
        let expected = version == .tls12 ? "TLSv1.2" : "TLSv1.3"

        let withCert = Curl.fetch(server.url, ["--cacert", certs.caCert, "--cert", certs.clientCert, "--key", certs.clientKey])
        #expect(withCert.exitCode == 0, "\(withCert.stderr) / \(server.output)")
        #expect(withCert.status == 200)
        // The -www page describes the session: its protocol and the client's certificate.
        #expect(withCert.text.contains("New, \(expected),"))
        #expect(withCert.text.contains(TLSCertificates.clientCommonName))

        // The server certificate also names 127.0.0.1 and api.test.
        let byIP = Curl.fetch("https://127.0.0.1:\(server.port)/",
                              ["--cacert", certs.caCert, "--cert", certs.clientCert, "--key", certs.clientKey])
        #expect(byIP.status == 200)
        let byName = Curl.fetch("https://api.test:\(server.port)/",
                                ["--resolve", "api.test:\(server.port):127.0.0.1", "--cacert", certs.caCert,
                                 "--cert", certs.clientCert, "--key", certs.clientKey])
        #expect(byName.status == 200)

        let withoutCert = Curl.fetch(server.url, ["--cacert", certs.caCert])
        #expect(withoutCert.exitCode != 0)
        #expect(withoutCert.status != 200)
        let foreignCert = Curl.fetch(server.url, ["--cacert", certs.caCert,
                                                  "--cert", certs.otherClientCert, "--key", certs.otherClientKey])
        #expect(foreignCert.exitCode != 0)
        #expect(foreignCert.status != 200)
        // The client does not trust a server whose CA it was not given.
        let wrongCA = Curl.fetch(server.url, ["--cacert", certs.otherCACert,
                                              "--cert", certs.clientCert, "--key", certs.clientKey])
        #expect(wrongCA.exitCode == 60)   // peer certificate cannot be authenticated
    }

    @Test func openSSLServerWithoutClientAuthAndItsStop() throws {
        let certs = try TLSCertificates.shared()
        let server = try OpenSSLServer(certificates: certs)
        let response = Curl.fetch(server.url, ["--cacert", certs.caCert])
        #expect(response.status == 200)
        server.stop()
        #expect(!server.child.isRunning)
        #expect(Curl.fetch(server.url, ["--cacert", certs.caCert]).exitCode == 7)   // refused
    }

    @Test(.enabled(if: NginxTLSServer.available, "needs nginx (scripts/test installs nginx-light)"))
    func nginxSpeaksHTTP2OverTLSAndCleartext() throws {
        let certs = try TLSCertificates.shared()
        let nginx = try NginxTLSServer(certificates: certs)
        defer { nginx.stop() }

        let h2 = Curl.fetch(nginx.tlsURL, ["--http2", "--cacert", certs.caCert], writeOut: "%{http_version}")
        #expect(h2.status == 200, "\(h2.stderr) / \(nginx.errorLog)")
        #expect(h2.text == "HTTP/2.0\n")
        #expect(h2.writeOut == "2")
        let h1 = Curl.fetch(nginx.tlsURL, ["--http1.1", "--cacert", certs.caCert])
        #expect(h1.text == "HTTP/1.1\n")
        let h2c = Curl.fetch(nginx.h2cURL, ["--http2-prior-knowledge"])
        #expect(h2c.status == 200, "\(h2c.stderr) / \(nginx.errorLog)")
        #expect(h2c.text == "HTTP/2.0\n")

        nginx.stop()
        #expect(!nginx.child.isRunning)
        #expect(Curl.fetch(nginx.h2cURL, ["--http2-prior-knowledge"]).exitCode == 7)
    }
}
