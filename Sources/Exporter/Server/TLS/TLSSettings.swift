import Foundation
import NIOCore
import NIOSSL

/// `tls_server_config` of `--web.config.file`, as exporter-toolkit reads it
/// (docs/configuration.md, "The endpoint"): where the certificate, key and client CAs come
/// from, which clients must show a certificate, and the TLS versions, cipher suites and curves.
///
/// Files are named here, not loaded: `makeContext()` reads them, so a rotated certificate is
/// picked up by building a new context (`EndpointSecuritySource`).
public struct TLSSettings: Sendable, Equatable {
    /// A PEM source: a file (re-read when it changes) or text written in the web config.
    public enum PEMSource: Sendable, Equatable {
        case file(String)
        case inline(String)
    }

    /// exporter-toolkit's `client_auth_type`, Go's `tls.ClientAuthType` names.
    public enum ClientAuth: String, Sendable, CaseIterable {
        case noClientCert = "NoClientCert"
        case requestClientCert = "RequestClientCert"
        case requireAnyClientCert = "RequireAnyClientCert"
        case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

        /// Whether a connection without a client certificate is refused.
        public var requiresCertificate: Bool { self == .requireAnyClientCert || self == .requireAndVerifyClientCert }
        /// Whether a presented certificate is accepted without checking it against the client CAs.
        var acceptsAnyCertificate: Bool { self == .requestClientCert || self == .requireAnyClientCert }
    }

    public var certificate: PEMSource
    public var privateKey: PEMSource
    /// CAs that sign acceptable client certificates; nil: the system's roots (as Go does).
    public var clientCAs: PEMSource?
    public var clientAuth: ClientAuth
    public var minimumVersion: TLSVersion
    public var maximumVersion: TLSVersion
    /// TLS 1.2 suites in order; empty: BoringSSL's defaults. TLS 1.3 suites are always on, as in Go.
    public var cipherSuites: [NIOTLSCipher]
    /// Key-exchange groups in order; empty: BoringSSL's defaults.
    public var curves: [NIOTLSCurve]
    /// When set, a client certificate must carry one of these DNS, email, IP or URI names.
    public var clientAllowedSANs: [String]?

    /// Settings with exporter-toolkit's defaults: TLS 1.2 to 1.3, no client certificate.
    public init(certificate: PEMSource, privateKey: PEMSource, clientCAs: PEMSource? = nil,
                clientAuth: ClientAuth = .noClientCert, minimumVersion: TLSVersion = .tlsv12,
                maximumVersion: TLSVersion = .tlsv13, cipherSuites: [NIOTLSCipher] = [],
                curves: [NIOTLSCurve] = [], clientAllowedSANs: [String]? = nil) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.clientCAs = clientCAs
        self.clientAuth = clientAuth
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.cipherSuites = cipherSuites
        self.curves = curves
        self.clientAllowedSANs = clientAllowedSANs
    }

    /// The files these settings read, to watch for rotation.
    public var files: [String] {
        [certificate, privateKey, clientCAs].compactMap { source in
            if case .file(let path) = source { return path }
            return nil
        }
    }

    /// Reads the certificate chain, key and client CAs and builds a server context.
    /// Throws `TLSSetupError` naming the key whose material is wrong.
    public func makeContext() throws(TLSSetupError) -> NIOSSLContext {
        let chain = try Self.certificates(certificate, key: "cert")
        guard !chain.isEmpty else { throw TLSSetupError(key: certificate.keyName("cert"), message: "holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(Self.read(privateKey, key: "key")), format: .pem)
        } catch let error as TLSSetupError {
            throw error
        } catch {
            throw TLSSetupError(key: privateKey.keyName("key"), message: "is not a PEM private key (\(error))")
        }
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                              privateKey: .privateKey(key))
        config.minimumTLSVersion = minimumVersion
        config.maximumTLSVersion = maximumVersion
        if !cipherSuites.isEmpty { config.cipherSuiteValues = cipherSuites }
        if !curves.isEmpty { config.curves = curves }
        switch clientAuth {
        case .noClientCert: config.certificateVerification = .none
        case .requestClientCert, .verifyClientCertIfGiven: config.certificateVerification = .optionalVerification
        case .requireAnyClientCert, .requireAndVerifyClientCert: config.certificateVerification = .noHostnameVerification
        }
        if let clientCAs {
            let roots = try Self.certificates(clientCAs, key: "client_ca")
            guard !roots.isEmpty else { throw TLSSetupError(key: clientCAs.keyName("client_ca"), message: "holds no PEM certificate") }
            config.trustRoots = .certificates(roots)
            config.sendCANameList = true
        }
        do {
            return try NIOSSLContext(configuration: config)
        } catch {
            // BoringSSL refuses a key that does not belong to the certificate here.
            throw TLSSetupError(key: privateKey.keyName("key"), message: "cannot be used with the certificate (\(error)); are cert and key a pair?")
        }
    }

    /// A verification callback that accepts any presented certificate, for the
    /// `RequestClientCert` and `RequireAnyClientCert` modes (asked for, not checked).
    var acceptAnyCertificate: NIOSSLCustomVerificationCallback? {
        guard clientAuth.acceptsAnyCertificate else { return nil }
        return { _, promise in promise.succeed(.certificateVerified) }
    }

    private static func read(_ source: PEMSource, key: String) throws(TLSSetupError) -> Data {
        switch source {
        case .inline(let text):
            return Data(text.utf8)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                let why = FileManager.default.fileExists(atPath: path) ? "it is not readable" : "no such file"
                throw TLSSetupError(key: source.keyName(key), message: "cannot read \(path): \(why)")
            }
            return data
        }
    }

    private static func certificates(_ source: PEMSource, key: String) throws(TLSSetupError) -> [NIOSSLCertificate] {
        let data = try read(source, key: key)
        do {
            return try NIOSSLCertificate.fromPEMBytes(Array(data))
        } catch {
            throw TLSSetupError(key: source.keyName(key), message: "is not a PEM certificate (\(error))")
        }
    }
}

extension TLSSettings.PEMSource {
    /// The web config key this source came from: `cert_file` for a file, `cert` inline.
    func keyName(_ base: String) -> String {
        if case .file = self { return base + "_file" }
        return base
    }
}

/// Why `tls_server_config` cannot be used: the key (`cert_file`, `key`, …) and what is wrong.
public struct TLSSetupError: Error, Sendable, CustomStringConvertible {
    /// The `tls_server_config` key whose material is wrong.
    public var key: String
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}
