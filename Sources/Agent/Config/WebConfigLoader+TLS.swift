import Exporter
import Foundation
import NIOSSL
import Yams

/// `tls_server_config` of `--web.config.file`, exporter-toolkit's keys, defaults and rules
/// (docs/configuration.md, "The endpoint"). The certificate, key and CAs are read here too,
/// so `kalm check` and startup report a missing file or a key that is not the certificate's
/// at the key that names it.
extension WebConfigLoader {
    static let tlsKeys = ["cert_file", "key_file", "cert", "key", "client_auth_type", "client_ca_file", "client_ca",
                          "min_version", "max_version", "cipher_suites", "curve_preferences",
                          "prefer_server_cipher_suites", "client_allowed_sans"]
    static let tlsVersions: [(String, TLSVersion)] = [("TLS10", .tlsv1), ("TLS11", .tlsv11), ("TLS12", .tlsv12), ("TLS13", .tlsv13)]
    static let curves: [(String, NIOTLSCurve)] = [("CurveP256", .secp256r1), ("CurveP384", .secp384r1),
                                                  ("CurveP521", .secp521r1), ("X25519", .x25519)]
    /// Go's `tls.CipherSuites()` names, the ones exporter-toolkit accepts.
    static let ciphers: [(String, NIOTLSCipher)] = [
        ("TLS_RSA_WITH_AES_128_CBC_SHA", .TLS_RSA_WITH_AES_128_CBC_SHA), ("TLS_RSA_WITH_AES_256_CBC_SHA", .TLS_RSA_WITH_AES_256_CBC_SHA),
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", .TLS_RSA_WITH_AES_128_GCM_SHA256), ("TLS_RSA_WITH_AES_256_GCM_SHA384", .TLS_RSA_WITH_AES_256_GCM_SHA384),
        ("TLS_AES_128_GCM_SHA256", .TLS_AES_128_GCM_SHA256), ("TLS_AES_256_GCM_SHA384", .TLS_AES_256_GCM_SHA384),
        ("TLS_CHACHA20_POLY1305_SHA256", .TLS_CHACHA20_POLY1305_SHA256),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA),
        ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
        ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
        ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
        ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
        ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
    ]
    static let tls13Ciphers: Set<UInt16> = [0x1301, 0x1302, 0x1303]

    /// The TLS endpoint of a `tls_server_config:` mapping; nil when it asks for nothing (as
    /// exporter-toolkit: an empty mapping is plain HTTP) or has errors (recorded in `context`).
    static func decodeTLS(_ node: StrictNode, keyMark: Mark?, context: DecodeContext) -> TLSEndpoint? {
        guard let m = node.mapping(keys: tlsKeys, what: "a mapping with cert_file: and key_file:") else { return nil }
        let before = context.sortedErrors.count
        func pem(_ fileKey: String, _ inlineKey: String) -> TLSSettings.PEMSource? {
            if m.has(fileKey), m.has(inlineKey) {
                context.error("give \(fileKey) or \(inlineKey), not both", at: m.entry(inlineKey)?.keyMark, path: StrictNode.join(node.path, inlineKey))
                return nil
            }
            if let f = m[fileKey]?.string(what: "a file path"), !f.isEmpty { return .file(context.resolvePath(f)) }
            if let t = m[inlineKey]?.string(what: "PEM text"), !t.isEmpty { return .inline(t) }
            return nil
        }
        let cert = pem("cert_file", "cert"), key = pem("key_file", "key"), cas = pem("client_ca_file", "client_ca")
        var auth: TLSSettings.ClientAuth?
        if let name = m["client_auth_type"]?.rawText, let value = m["client_auth_type"] {
            // "RequireClientCert" is exporter-toolkit's old spelling of RequireAnyClientCert.
            if name == "RequireClientCert" { auth = .requireAnyClientCert }
            else if let chosen = value.oneOf(TLSSettings.ClientAuth.allCases.map(\.rawValue), what: "client_auth_type") {
                auth = TLSSettings.ClientAuth(rawValue: chosen)
            }
        }
        let enabled = cert != nil || key != nil || cas != nil || auth != nil
        guard enabled else { return nil }
        if cert == nil, !m.has("cert_file"), !m.has("cert") {
            context.error("missing one of cert or cert_file; add e.g. cert_file: kalm.crt", at: keyMark, path: node.path)
        }
        if key == nil, !m.has("key_file"), !m.has("key") {
            context.error("missing one of key or key_file; add e.g. key_file: kalm.key", at: keyMark, path: node.path)
        }
        if cas != nil, (auth ?? .noClientCert) == .noClientCert {
            let e = m.entry("client_ca_file") ?? m.entry("client_ca")
            context.error("client CAs are configured without a client auth policy; add client_auth_type: RequireAndVerifyClientCert",
                          at: e?.keyMark, path: e?.value.path ?? node.path)
        }
        func version(_ k: String, _ fallback: TLSVersion) -> TLSVersion {
            guard let v = m[k], let name = v.oneOf(tlsVersions.map(\.0), what: k) else { return fallback }
            return tlsVersions.first { $0.0 == name }!.1
        }
        let minVersion = version("min_version", .tlsv12), maxVersion = version("max_version", .tlsv13)
        if rank(minVersion) > rank(maxVersion), let e = m.entry("min_version") {
            e.value.fail("min_version is above max_version")
        }
        let suites = names(m["cipher_suites"], ciphers, what: "cipher suite")
        if !suites.isEmpty, minVersion != .tlsv13, suites.allSatisfy({ tls13Ciphers.contains($0.rawValue) }), let e = m.entry("cipher_suites") {
            e.value.fail("cipher_suites names no TLS 1.2 suite (TLS 1.3 suites are always on and cannot be chosen); add one, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, or set min_version: TLS13")
        }
        let curveList = names(m["curve_preferences"], curves, what: "curve")
        _ = m["prefer_server_cipher_suites"]?.bool()   // Go ignores it since 1.18; accepted for compatibility.
        var sans: [String]?
        if let list = m["client_allowed_sans"]?.sequence(what: "a list of subject alternative names") {
            sans = list.compactMap { $0.string(what: "a subject alternative name") }
            if !(auth?.requiresCertificate ?? false), let e = m.entry("client_allowed_sans") {
                context.error("client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert",
                              at: e.keyMark, path: e.value.path)
            }
        }
        // Every unreadable file is reported, not just the first the TLS library trips on.
        for (source, base) in [(cert, "cert"), (key, "key"), (cas, "client_ca")] {
            guard case .file(let path)? = source, !FileManager.default.isReadableFile(atPath: path) else { continue }
            let name = base + "_file", e = m.entry(name)
            context.error("cannot read \(path): \(ConfigLoader.unreadable(path))", at: e?.keyMark, path: e?.value.path ?? node.path)
        }
        guard let cert, let key, context.sortedErrors.count == before else { return nil }
        let settings = TLSSettings(certificate: cert, privateKey: key, clientCAs: cas, clientAuth: auth ?? .noClientCert,
                                   minimumVersion: minVersion, maximumVersion: maxVersion, cipherSuites: suites,
                                   curves: curveList, clientAllowedSANs: sans)
        do {
            return try TLSEndpoint(settings: settings)
        } catch {
            if let e = m.entry(error.key) {
                context.error(error.message, at: e.keyMark, path: e.value.path)
            } else {
                context.error(error.description, at: keyMark, path: node.path)
            }
            return nil
        }
    }

    private static func rank(_ v: TLSVersion) -> Int {
        tlsVersions.firstIndex { $0.1 == v } ?? 0
    }

    private static func names<T>(_ node: StrictNode?, _ table: [(String, T)], what: String) -> [T] {
        guard let node, let list = node.sequence(what: "a list of \(what) names") else { return [] }
        return list.compactMap { item in
            guard let name = item.oneOf(table.map(\.0), what: what) else { return nil }
            return table.first { $0.0 == name }!.1
        }
    }
}
