import Foundation
import KalmSupport

/// A throwaway PKI for TLS tests, made with the `openssl` CLI into a fresh directory under
/// `testTempRoot`: a CA, a server and a client certificate it signed, and a second CA that
/// has nothing to do with the first (with a client certificate of its own), for the
/// "wrong CA" cases. Every key is EC P-256: generating one takes milliseconds, RSA would
/// take most of a second on a small machine.
///
/// The files are PEM; the paths are absolute.
public struct TLSCertificates: Sendable {
    /// The `openssl` binary, or nil when none is installed (scripts/test installs it).
    public static let openssl: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    /// Whether certificates can be made here, for `.enabled(if:)`.
    public static var available: Bool { openssl != nil }

    /// The subject alternative names of the server certificate.
    public static let serverNames = "DNS:localhost,IP:127.0.0.1,DNS:api.test"
    /// The client certificate's common name.
    public static let clientCommonName = "kalm-client"
    /// The subject alternative names of both client certificates.
    public static let clientNames = "DNS:scraper.kalm.test,email:scraper@kalm.test"

    /// The directory holding every file below.
    public let directory: String
    /// The CA: self-signed certificate and key.
    public let caCert: String, caKey: String
    /// The server certificate (CN=localhost, SAN `serverNames`), signed by the CA, and its key.
    public let serverCert: String, serverKey: String
    /// The client certificate (CN=kalm-client, clientAuth, SAN `clientNames`), signed by the CA, and its key.
    public let clientCert: String, clientKey: String
    /// A second server certificate like the first (same CA, names), with its own key: what a
    /// rotation installs.
    public let rotatedServerCert: String, rotatedServerKey: String
    /// A second, unrelated CA: self-signed certificate and key.
    public let otherCACert: String, otherCAKey: String
    /// A client certificate (CN=kalm-client) signed by the unrelated CA, and its key.
    public let otherClientCert: String, otherClientKey: String

    /// Makes a new set of keys and certificates in a fresh temporary directory.
    public static func make() throws -> TLSCertificates {
        guard let openssl else { throw TestFailure("openssl not found (Debian package `openssl`)") }
        let dir = try tempDirectory().appendingPathComponent("tls").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func file(_ name: String) -> String { dir + "/" + name }
        // Our own config, so the result does not depend on the system's openssl.cnf.
        let config = file("openssl.cnf")
        try Self.config.write(toFile: config, atomically: true, encoding: .utf8)

        func run(_ args: [String]) throws {
            let result = try runTool(openssl, args, environment: ["OPENSSL_CONF": config])
            guard result.status == 0 else {
                throw TestFailure("openssl \(args.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
            }
        }
        func key(_ name: String) throws -> String {
            try run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file(name)])
            return file(name)
        }
        func selfSignedCA(_ name: String, subject: String) throws -> (cert: String, key: String) {
            let key = try key(name + ".key")
            try run(["req", "-new", "-x509", "-config", config, "-extensions", "v3_ca", "-key", key,
                     "-subj", subject, "-days", "3650", "-sha256", "-out", file(name + ".crt")])
            return (file(name + ".crt"), key)
        }
        func signed(_ name: String, subject: String, by ca: (cert: String, key: String),
                    extensions: String) throws -> (cert: String, key: String) {
            let key = try key(name + ".key")
            try run(["req", "-new", "-config", config, "-key", key, "-subj", subject, "-out", file(name + ".csr")])
            // A random serial each time, so no serial file is needed.
            let serial = "0x" + (0..<16).map { _ in String(Int.random(in: 0..<16), radix: 16) }.joined()
            try run(["x509", "-req", "-in", file(name + ".csr"), "-CA", ca.cert, "-CAkey", ca.key,
                     "-set_serial", serial, "-days", "825", "-sha256",
                     "-extfile", config, "-extensions", extensions, "-out", file(name + ".crt")])
            return (file(name + ".crt"), key)
        }

        let ca = try selfSignedCA("ca", subject: "/CN=kalm test CA")
        let server = try signed("server", subject: "/CN=localhost", by: ca, extensions: "server_cert")
        let rotated = try signed("server-rotated", subject: "/CN=localhost", by: ca, extensions: "server_cert")
        let client = try signed("client", subject: "/CN=\(clientCommonName)", by: ca, extensions: "client_cert")
        let otherCA = try selfSignedCA("other-ca", subject: "/CN=unrelated test CA")
        let otherClient = try signed("other-client", subject: "/CN=\(clientCommonName)", by: otherCA,
                                     extensions: "client_cert")
        return TLSCertificates(directory: dir, caCert: ca.cert, caKey: ca.key,
                               serverCert: server.cert, serverKey: server.key,
                               clientCert: client.cert, clientKey: client.key,
                               rotatedServerCert: rotated.cert, rotatedServerKey: rotated.key,
                               otherCACert: otherCA.cert, otherCAKey: otherCA.key,
                               otherClientCert: otherClient.cert, otherClientKey: otherClient.key)
    }

    /// One set per test process, made on first use: certificates are read-only, so tests
    /// can share them and pay for `openssl` once. Throws what `make()` threw, every time.
    public static func shared() throws -> TLSCertificates {
        try sharedSet.withLock { cached in
            if let cached { return try cached.get() }
            let made = Result { try make() }
            cached = made
            return try made.get()
        }
    }

    private static let sharedSet = Locked<Result<TLSCertificates, any Error>?>(nil)

    /// Extension sections for `req -x509` (the CA) and `x509 -req` (the leaves).
    private static let config = """
        [req]
        distinguished_name = dn
        [dn]
        [v3_ca]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        [server_cert]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = \(serverNames)
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        [client_cert]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = clientAuth
        subjectAltName = \(clientNames)
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        """
}
