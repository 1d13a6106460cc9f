import Exporter
import Foundation
import Yams

/// Reads `--web.config.file`, exporter-toolkit's format (docs/configuration.md, "The endpoint"):
/// `tls_server_config` (WebConfigLoader+TLS.swift), `basic_auth_users` (bcrypt hashes) and
/// `http_server_config.headers`, validated like the main config, every mistake with its
/// file:line:column.
enum WebConfigLoader {
    static let topKeys = ["tls_server_config", "basic_auth_users", "http_server_config", "rate_limit"]
    static let rateLimitKeys = ["burst", "interval"]
    static let httpServerKeys = ["http2", "headers"]
    /// exporter-toolkit's headers, and the values it allows where it restricts them.
    static let allowedHeaders: [(name: String, values: [String])] = [
        ("Strict-Transport-Security", []), ("X-Content-Type-Options", ["nosniff"]), ("X-Frame-Options", ["deny", "sameorigin"]),
        ("X-XSS-Protection", []), ("Content-Security-Policy", []),
    ]

    /// The endpoint's security from the file at `path`. Throws `ConfigErrors`.
    static func load(path: String) throws -> EndpointSecurity {
        try parse(yaml: ConfigLoader.readText(path, what: "the web config file"), sourceName: path)
    }

    static func parse(yaml: String, sourceName: String) throws -> EndpointSecurity {
        let dir = (sourceName as NSString).deletingLastPathComponent
        let context = DecodeContext(file: sourceName, expander: VariableExpander(env: [:], processEnvironment: [:], baseDirectory: dir),
                                    baseDirectory: dir.isEmpty ? "." : dir)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let e as YamlError {
            throw ConfigErrors(errors: [ConfigLoader.syntaxError(e, file: sourceName)])
        }
        // An empty file is a valid web config: nothing asked for.
        guard let root else { return .open }
        var security = EndpointSecurity()
        let node = StrictNode(node: root, path: "", context: context)
        if let m = node.mapping(keys: topKeys, what: "a mapping with tls_server_config:, basic_auth_users: and http_server_config:") {
            if let e = m.entry("tls_server_config"), !e.value.isNull {
                security.tls = decodeTLS(e.value, keyMark: e.keyMark, context: context)
            }
            if let users = m["basic_auth_users"] { security.authenticator = decodeUsers(users, context: context) }
            if let http = m["http_server_config"] { security.headers = decodeHTTPServer(http, context: context) }
            if let limit = m["rate_limit"] { security.rateLimiter = decodeRateLimit(limit) }
        }
        let errors = context.sortedErrors
        guard errors.isEmpty else { throw ConfigErrors(errors: errors) }
        return security
    }

    private static func decodeUsers(_ node: StrictNode, context: DecodeContext) -> BasicAuthenticator? {
        guard let entries = node.freeMapping(what: "a mapping of user names to bcrypt hashes") else { return nil }
        var users: [String: String] = [:]
        for e in entries {
            if e.key.isEmpty || e.key.contains(":") {
                context.error("invalid user name \"\(e.key)\"; a basic-auth user name cannot be empty or contain \":\"", at: e.keyMark, path: e.value.path)
                continue
            }
            // The hash is not an expandable string: read it as written.
            guard let hash = e.value.rawText, !e.value.isNull else {
                e.value.fail("expected a bcrypt hash, got \(e.value.kindDescription)")
                continue
            }
            guard BasicAuthenticator.isBcryptHash(hash) else {
                e.value.fail("the password of \"\(e.key)\" is not a bcrypt hash ($2y$10$... , 60 characters); make one with htpasswd -nbBC 10 \"\" PASSWORD | tr -d ':\\n'")
                continue
            }
            users[e.key] = hash
        }
        return users.isEmpty ? nil : BasicAuthenticator(users: users)
    }

    /// exporter-toolkit's `rate_limit`: `interval` 0 (or absent) turns it off.
    private static func decodeRateLimit(_ node: StrictNode) -> RequestRateLimiter? {
        guard let m = node.mapping(keys: rateLimitKeys, what: "a mapping with burst: and interval:") else { return nil }
        let interval = m["interval"]?.duration() ?? 0
        guard interval > 0 else { return nil }
        guard let burstNode = m.required("burst", example: "burst: 10"), let burst = burstNode.int(min: 0) else { return nil }
        guard burst >= 1 else {
            burstNode.fail("burst 0 would refuse every request; set burst: 1 or more (or interval: 0 to turn the limit off)")
            return nil
        }
        return RequestRateLimiter(interval: .nanoseconds(Int64(interval * 1e9)), burst: burst)
    }

    private static func decodeHTTPServer(_ node: StrictNode, context: DecodeContext) -> [(String, String)] {
        guard let m = node.mapping(keys: httpServerKeys, what: "a mapping with headers: (and http2:)") else { return [] }
        // http2: accepted for compatibility; the endpoint speaks HTTP/1.1.
        _ = m["http2"]?.bool()
        guard let h = m["headers"], let entries = h.freeMapping(what: "a mapping of header names to values") else { return [] }
        var headers: [(String, String)] = []
        for e in entries {
            guard let allowed = allowedHeaders.first(where: { $0.name == e.key }) else {
                context.error("HTTP header \"\(e.key)\" can not be configured; kalm, like exporter-toolkit, allows \(allowedHeaders.map(\.name).joined(separator: ", "))",
                              at: e.keyMark, path: e.value.path)
                continue
            }
            guard let value = e.value.string(what: "a header value") else { continue }
            if value.contains(where: { $0 == "\r" || $0 == "\n" }) {
                e.value.fail("a header value cannot contain line breaks")
                continue
            }
            if !allowed.values.isEmpty, !allowed.values.contains(value) {
                e.value.fail("invalid value for \(e.key) \"\(value)\"; use one of \(allowed.values.joined(separator: ", "))")
                continue
            }
            headers.append((e.key, value))
        }
        return headers
    }
}
