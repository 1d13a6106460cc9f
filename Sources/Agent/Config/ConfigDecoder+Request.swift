import Foundation
import Measurements
import Probes

extension ConfigDecoder {
    static let requestKeys = [
        "method", "url", "headers", "body", "bodies", "bodies_file", "timeout", "body_size_limit",
        "follow_redirects", "http_version", "ip_protocol", "tls",
    ]
    static let tlsKeys = ["insecure_skip_verify", "ca_file", "cert_file", "key_file", "server_name"]

    /// `request:`; nil when any part is invalid.
    func decodeRequest(_ node: StrictNode) -> RequestSpec? {
        decodeRequest(node, defaults: nil, scope: ValueScope()).map(\.0)
    }

    /// `request:` of a probe or step, starting from a journey's `defaults:`; `{{ }}` resolve in `scope`.
    func decodeRequest(_ node: StrictNode, defaults: RequestSpec?, scope: ValueScope) -> (RequestSpec, RequestTemplates)? {
        var spec: RequestSpec?
        var templates = RequestTemplates()
        let clean = recordsNoErrors {
            guard let m = node.mapping(keys: Self.requestKeys, what: "a request mapping (method:, url:, ...)") else { return }
            var r = defaults ?? RequestSpec(url: "")
            if let n = m["method"], let s = n.string(what: "an HTTP method like GET") {
                let upper = s.uppercased()
                if !upper.isEmpty, upper.allSatisfy({ $0.isASCII && $0.isLetter }) {
                    r.method = upper
                } else {
                    n.invalid("method", reason: nil, fix: "use letters only, e.g. GET, POST, PUT, DELETE")
                }
            }
            if let n = m.required("url", example: "url: https://example.com/health"), let s = n.string(what: "a URL") {
                let t = template(s, escaping: .url, scope: scope, at: n)
                // A URL with run-time values is checked with each value as "x" (or "/x", for a captured path
                // after the host); one that starts with a value is checked when sent.
                let shape = t??.render { _ in "x" } ?? s
                let pathShape = t??.render { _ in "/x" } ?? s
                if case .value? = t??.parts.first {
                    r.url = s
                    templates.url = t!
                } else if t == .some(nil) {
                    // The template error is recorded.
                } else if Self.isHTTPURL(shape) || Self.isHTTPURL(pathShape) {
                    r.url = s
                    templates.url = t ?? nil
                } else {
                    n.invalid("url", reason: nil, fix: "write an absolute http:// or https:// URL with a host, e.g. https://api.example.com/v1/health")
                }
            }
            if let n = m["headers"] {
                let own = decodeHeaders(n, scope: scope, templates: &templates)
                // A step's header replaces the default of the same name.
                r.headers = (defaults?.headers ?? []).filter { d in !own.headers.contains { $0.name.lowercased() == d.name.lowercased() } }
                let shift = r.headers.count
                r.headers += own.headers
                templates.headers = templates.headers.map { (index: $0.index + shift, value: $0.value) }
            }
            r.bodies = decodeBodies(m)
            if let e = m.entry("body"), r.bodies.count == 1 {
                let text = String(decoding: r.bodies[0], as: UTF8.self)
                let escaping: Template.Escaping
                if case .scalar = e.value.node { escaping = .none } else { escaping = .json }
                if let t = template(text, escaping: escaping, scope: scope, at: e.value) {
                    templates.body = t
                    if t != nil { r.bodies = [] }
                }
            } else if let e = m.entry("bodies"), r.bodies.contains(where: { String(decoding: $0, as: UTF8.self).contains("{{") }) {
                e.value.fail("{{ }} works in body:, not bodies: (one of them is picked at random); use body: with a data source for varied bodies")
            }
            decodeTransportSettings(m, into: &r)
            spec = r
        }
        return clean ? spec.map { ($0, templates) } : nil
    }

    /// The keys a request shares with a journey's `defaults:`: timeout, body limit, redirects,
    /// HTTP version, IP family and TLS.
    func decodeTransportSettings(_ m: StrictMapping, into r: inout RequestSpec) {
        if let n = m["timeout"], let d = n.duration(positive: true) { r.timeout = .seconds(d) }
        if let n = m["body_size_limit"], let b = n.byteSize() {
            if b > 0 { r.bodySizeLimit = b } else { n.fail("body_size_limit must be greater than 0; e.g. 10MiB") }
        }
        if let n = m["follow_redirects"], let b = n.bool() { r.followRedirects = b }
        if let n = m["http_version"], let v = n.oneOf(Self.httpVersions, what: "http_version") {
            r.httpVersion = HTTPVersionPreference(rawValue: v) ?? .auto
        }
        if let n = m["ip_protocol"], let v = n.oneOf(IPProtocol.allCases.map(\.rawValue), what: "ip_protocol") {
            r.ipProtocol = IPProtocol(rawValue: v) ?? .any
        }
        if let n = m["tls"], let tls = decodeTLS(n) { r.tls = tls }
    }

    /// Absolute `http://` or `https://` URL with a host.
    static func isHTTPURL(_ s: String) -> Bool {
        let lower = s.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return false }
        guard let c = URLComponents(string: s), let host = c.host, !host.isEmpty else { return false }
        return true
    }

    /// RFC 9110 token: header names.
    static func isToken(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { u in
            u.isASCII && (u.properties.isAlphabetic || ("0"..."9").contains(u) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(u))
        }
    }

    /// `headers:` in the order written; names are tokens, written once (case-insensitively).
    /// Values holding `{{ }}` resolve in `scope` and are added to `templates`.
    func decodeHeaders(_ node: StrictNode, scope: ValueScope?, templates: inout RequestTemplates) -> (headers: [HTTPHeader], ok: Bool) {
        guard let entries = node.freeMapping(what: "a mapping of header names to values") else { return ([], false) }
        var headers: [HTTPHeader] = []
        for e in entries {
            guard Self.isToken(e.key) else {
                context.error("invalid header name \"\(e.key)\"; use letters, digits and -, e.g. X-Request-Id",
                              at: e.keyMark, path: e.value.path)
                continue
            }
            if headers.contains(where: { $0.name.lowercased() == e.key.lowercased() }) {
                context.error("header \"\(e.key)\" is set twice (header names are case-insensitive); keep one",
                              at: e.keyMark, path: e.value.path)
                continue
            }
            guard let value = e.value.string(what: "a header value (text)") else { continue }
            guard !value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                e.value.fail("a header value cannot contain line breaks\(e.value.hasReferences ? " (after expansion)" : ""); put it on one line")
                continue
            }
            if let t = template(value, escaping: .none, scope: scope, at: e.value) {
                guard let t else { continue }
                templates.headers.append((index: headers.count, value: t))
            }
            headers.append(HTTPHeader(name: e.key, value: value))
        }
        return (headers, true)
    }

    /// `body`, `bodies` or `bodies_file` (only one).
    func decodeBodies(_ m: StrictMapping) -> [[UInt8]] {
        let present = ["body", "bodies", "bodies_file"].compactMap { m.entry($0) }
        if present.count > 1 {
            for extra in present.dropFirst() {
                context.error("\"\(present[0].key)\" and \"\(extra.key)\" cannot both be set; keep one",
                              at: extra.keyMark, path: extra.value.path)
            }
            return []
        }
        guard let e = present.first else { return [] }
        switch e.key {
        case "body":
            return decodeBody(e.value).map { [$0] } ?? []
        case "bodies":
            guard let items = e.value.sequence(what: "a list of bodies") else { return [] }
            guard !items.isEmpty else {
                e.value.fail("no bodies; list at least one, or remove the key to send no body")
                return []
            }
            return items.compactMap(decodeBody)
        default:
            return decodeBodiesFile(e.value)
        }
    }

    /// One body: a string as-is, or a mapping/list as compact JSON.
    func decodeBody(_ node: StrictNode) -> [UInt8]? {
        switch node.node {
        case .mapping, .sequence:
            return JSONBody.serialize(node).map { Array($0.utf8) }
        default:
            return node.string(what: "a body (a string, or a mapping/list sent as JSON)").map { Array($0.utf8) }
        }
    }

    /// `bodies_file:` JSON Lines (relative to the config's directory); each non-empty line is one body.
    func decodeBodiesFile(_ node: StrictNode) -> [[UInt8]] {
        guard let path = node.string(what: "a file path") else { return [] }
        let full = context.resolvePath(path)
        guard let data = FileManager.default.contents(atPath: full), let text = String(data: data, encoding: .utf8) else {
            node.fail("cannot read bodies_file \(node.quoted)\(node.hasReferences ? "" : " (\(full))"); check the path (relative to the config file) and permissions")
            return []
        }
        var bodies: [[UInt8]] = []
        // "\r\n" is one Character, and a newline: JSON Lines files written on Windows split the same.
        for (i, body) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if body.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let bytes = Array(body.utf8)
            if (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) == nil {
                node.fail("bodies_file \(node.quoted) line \(i + 1) is not valid JSON; each line must be one JSON document (JSON Lines)")
                return []
            }
            bodies.append(bytes)
        }
        if bodies.isEmpty { node.fail("bodies_file \(node.quoted) has no bodies; write one JSON document per line") }
        return bodies
    }

    /// `tls:`; file paths resolved against the config's directory and checked readable.
    func decodeTLS(_ node: StrictNode) -> TLSOptions? {
        guard let m = node.mapping(keys: Self.tlsKeys) else { return nil }
        var tls = TLSOptions()
        if let n = m["insecure_skip_verify"], let b = n.bool() { tls.insecureSkipVerify = b }
        func file(_ key: String) -> String? {
            guard let n = m[key], let p = n.string(what: "a file path") else { return nil }
            let full = context.resolvePath(p)
            guard FileManager.default.isReadableFile(atPath: full) else {
                n.fail("cannot read \(key) \(n.quoted)\(n.hasReferences ? "" : " (\(full))"); check the path (relative to the config file) and permissions")
                return nil
            }
            return full
        }
        tls.caFile = file("ca_file")
        tls.certFile = file("cert_file")
        tls.keyFile = file("key_file")
        if let k = m.entry("key_file"), !m.has("cert_file") {
            context.error("key_file needs cert_file (the client certificate)", at: k.keyMark, path: k.value.path)
        }
        if let n = m["server_name"], let s = n.string(what: "a host name") {
            if s.isEmpty || s.contains(where: { $0 == "/" || $0 == " " || $0 == ":" }) {
                n.invalid("server_name", reason: nil, fix: "write a bare host name, e.g. api.example.com")
            } else {
                tls.serverName = s
            }
        }
        return tls
    }
}
