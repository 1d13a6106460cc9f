import Foundation
import Measurements
import Probes

/// Journeys, data and auth (docs/configuration.md, "Journeys").
extension ConfigDecoder {
    static let stepKeys = ["name", "request", "expected_status", "checks", "capture", "continue_on_failure", "pause"]
    static let defaultsKeys = ["headers", "timeout", "body_size_limit", "follow_redirects", "http_version", "ip_protocol", "tls"]
    static let captureKinds = ["json_path", "regex", "header", "status"]
    static let dataKeys = ["file", "pick"]
    static let oauth2Keys = ["token_url", "client_id", "client_secret", "scopes", "audience", "client_auth", "params", "timeout"]

    /// `data:`: named sources, each a file and a pick mode; their columns go into `scope`.
    func decodeData(_ node: StrictNode, scope: ValueScope) -> [DataSourceSpec] {
        guard let entries = node.freeMapping(what: "a mapping of source names to {file: ..., pick: ...}") else { return [] }
        var out: [DataSourceSpec] = []
        for e in entries {
            guard Self.isIdentifier(e.key) else {
                context.error("invalid data source name \"\(e.key)\"; use letters, digits and _ (it is written {{ \(e.key).column }})",
                              at: e.keyMark, path: e.value.path)
                continue
            }
            guard let m = e.value.mapping(keys: Self.dataKeys, what: "a data source {file: products.csv, pick: random}") else { continue }
            var pick = DataPick.random
            if let n = m["pick"] {
                guard let p = n.oneOf(DataPick.allCases.map(\.rawValue), what: "pick").flatMap(DataPick.init) else {
                    scope.failedSources.insert(e.key)
                    continue
                }
                pick = p
            }
            guard let fileNode = m.required("file", example: "file: products.csv"), let path = fileNode.string(what: "a file path") else {
                scope.failedSources.insert(e.key)
                continue
            }
            let full = context.resolvePath(path)
            do {
                let table = try dataTable(full, shown: fileNode.quoted)
                out.append(DataSourceSpec(name: e.key, table: table, pick: pick))
                scope.sources.append(.init(name: e.key, columns: table.columns))
            } catch {
                fileNode.fail(error.message)
                scope.failedSources.insert(e.key)
            }
        }
        return out
    }

    /// A data file, loaded once per config load however many probes name it.
    private func dataTable(_ full: String, shown: String) throws(DataFile.LoadError) -> DataTable {
        if let t = context.dataTables[full] { return t }
        let t = try DataFile.load(path: full, shownAs: shown)
        context.dataTables[full] = t
        return t
    }

    /// `auth:`: `basic: {username, password}` or `oauth2: {...}`. The token endpoint uses the
    /// probe's CA and client certificate; its `server_name` and `insecure_skip_verify` only when
    /// the token endpoint is on the API's host (a separate auth server keeps its own name, and the
    /// request carrying the client secret is verified).
    func decodeAuth(_ node: StrictNode, tls probeTLS: TLSOptions, apiURL: String?) -> AuthSpec? {
        guard let m = node.mapping(keys: ["basic", "oauth2"], what: "an auth mapping: basic: {...} or oauth2: {...}") else { return nil }
        guard m.entries.count == 1, let e = m.entries.first else {
            node.fail(m.entries.isEmpty ? "auth needs basic: {username: ..., password: ...} or oauth2: {token_url: ..., client_id: ..., client_secret: ...}"
                                        : "auth has one kind; keep basic: or oauth2:, not both")
            return nil
        }
        if e.key == "basic" {
            guard let b = e.value.mapping(keys: ["username", "password"], what: "{username: ..., password: ...}") else { return nil }
            let user = b.required("username", example: "username: kalm").flatMap { $0.string(what: "a user name") }
            let password = b.required("password", example: "password: ${file:/run/secrets/api}").flatMap { $0.string(what: "a password") }
            if let user, user.contains(":") { b["username"]?.fail("a basic-auth user name cannot contain \":\" (RFC 7617)") ; return nil }
            guard let user, let password else { return nil }
            return .basic(username: user, password: password)
        }
        guard let o = e.value.mapping(keys: Self.oauth2Keys, what: "an oauth2 mapping {token_url: ..., client_id: ..., client_secret: ...}") else { return nil }
        var url: String?
        if let n = o.required("token_url", example: "token_url: ${API_BASE}/oauth/token"), let s = n.string(what: "a URL") {
            if Self.isHTTPURL(s) { url = s } else {
                n.invalid("token_url", reason: nil, fix: "write an absolute http:// or https:// URL, e.g. https://auth.example.com/oauth/token")
            }
        }
        let id = o.required("client_id", example: "client_id: kalm").flatMap { $0.string(what: "a client id") }
        let secret = o.required("client_secret", example: "client_secret: ${file:/run/secrets/kalm}").flatMap { $0.string(what: "a client secret") }
        var scopes: [String] = []
        if let n = o["scopes"], let items = n.sequenceOrScalar(what: "a list of scopes") {
            scopes = items.compactMap { $0.string(what: "a scope") }
            if scopes.contains(where: { $0.contains(" ") || $0.isEmpty }) { n.fail("a scope is one word; list several as [read, write]") }
        }
        let audience = o["audience"].flatMap { $0.string(what: "an audience") }
        let clientAuth = o["client_auth"].flatMap { $0.oneOf(OAuth2Spec.ClientAuth.allCases.map(\.rawValue), what: "client_auth") }
            .flatMap(OAuth2Spec.ClientAuth.init) ?? .basic
        var params: [(String, String)] = []
        if let n = o["params"], let entries = n.freeMapping(what: "a mapping of extra form parameters") {
            for p in entries {
                if ["grant_type", "client_id", "client_secret", "scope", "audience"].contains(p.key) {
                    context.error("\"\(p.key)\" is set by kalm; use the oauth2 key of that name instead", at: p.keyMark, path: p.value.path)
                } else if let v = p.value.string(what: "a parameter value") {
                    params.append((p.key, v))
                }
            }
        }
        let timeout = o["timeout"].flatMap { $0.duration(positive: true) }.map { Duration.seconds($0) } ?? .seconds(10)
        guard let url, let id, let secret else { return nil }
        var tls = probeTLS
        let host = { (u: String?) in u.flatMap { URLComponents(string: $0)?.host?.lowercased() } }
        if host(url) == nil || host(url) != host(apiURL) {
            tls.serverName = nil
            tls.insecureSkipVerify = false
        }
        return .oauth2(OAuth2Spec(tokenURL: url, clientID: id, clientSecret: secret, scopes: scopes, audience: audience,
                                  clientAuth: clientAuth, extraParameters: params, timeout: timeout, tls: tls))
    }

    /// `defaults:` of a journey: request settings every step starts from.
    func decodeDefaults(_ node: StrictNode) -> RequestSpec? {
        guard let m = node.mapping(keys: Self.defaultsKeys, what: "a mapping of request settings (headers:, timeout:, tls:, ...)") else { return nil }
        var r = RequestSpec(url: "")
        var none = RequestTemplates()
        if let n = m["headers"] { r.headers = decodeHeaders(n, scope: nil, templates: &none).headers }
        decodeTransportSettings(m, into: &r)
        return r
    }

    /// `steps:` of a journey, in order; captures become visible to the steps after theirs.
    func decodeSteps(_ node: StrictNode, defaults: RequestSpec?, expected: StatusMatcher, scope: ValueScope) -> [StepSpec]? {
        guard let items = node.sequence(what: "a list of steps") else { return nil }
        guard !items.isEmpty else {
            node.fail("no steps; list at least one, e.g. - {name: health, request: {url: https://example.com/health}}")
            return nil
        }
        // Every capture's step, so a reference to a later one gets the right message.
        for item in items {
            guard case .mapping = item.node, let m = item.mapping(keys: Self.stepKeys) else { continue }
            let stepName = m["name"]?.rawText ?? "?"
            if let c = m["capture"], case .mapping(let cm) = c.node {
                for (k, _) in cm { if let key = k.scalar?.string, scope.laterCaptures[key] == nil { scope.laterCaptures[key] = stepName } }
            }
        }
        var steps: [StepSpec] = []
        var names: [String: Int] = [:]
        var slots = 0
        var ok = true
        for item in items {
            let clean = recordsNoErrors {
                guard let m = item.mapping(keys: Self.stepKeys, what: "a step mapping (name:, request:, checks:, capture:)") else { return }
                var name: String?
                if let n = m.required("name", example: "name: create"), let s = n.string(what: "a step name") {
                    if !Self.isValidName(s) {
                        n.invalid("step name", reason: nil, fix: "use only letters, digits and _ (it becomes the step label)")
                    } else if let line = names[s] {
                        n.fail("duplicate step name \"\(s)\" (first at line \(line)); step names must be unique in a journey")
                    } else {
                        names[s] = n.mark?.line ?? 0
                        name = s
                    }
                }
                let request = m.required("request", example: "request: {url: https://example.com/}")
                    .flatMap { decodeRequest($0, defaults: defaults, scope: scope) }
                let stepExpected = m["expected_status"].flatMap { decodeStatusList($0) } ?? expected
                var checks = m["checks"].flatMap(decodeChecks) ?? []
                if let c = m["checks"] { checks = resolveCheckValues(checks, at: c, scope: scope) }
                let cont = m["continue_on_failure"].flatMap { $0.bool() } ?? false
                let pause = m["pause"].flatMap(decodeThinkTime)
                var captures: [CaptureSpec] = []
                if let c = m["capture"] { captures = decodeCaptures(c, firstSlot: slots, scope: scope) }
                guard let name, let (req, templates) = request else { return }
                steps.append(StepSpec(name: name, request: req, templates: templates, expectedStatus: stepExpected, checks: checks,
                                      captures: captures, continueOnFailure: cont, pause: pause))
                // Later steps see this step's captures.
                for cap in captures { scope.captures[cap.name] = cap.slot }
                slots += captures.count
            }
            ok = ok && clean
        }
        return ok ? steps : nil
    }

    /// `capture:`: name → one of json_path, regex, header, status.
    func decodeCaptures(_ node: StrictNode, firstSlot: Int, scope: ValueScope) -> [CaptureSpec] {
        guard let entries = node.freeMapping(what: "a mapping of names to capture rules, e.g. {id: {json_path: $.id}}") else { return [] }
        var out: [CaptureSpec] = []
        for e in entries {
            guard Self.isIdentifier(e.key), Generator.parse(e.key) == nil else {
                context.error("invalid capture name \"\(e.key)\"; use letters, digits and _ (not a generator name such as uuid)",
                              at: e.keyMark, path: e.value.path)
                continue
            }
            if scope.sources.contains(where: { $0.name == e.key }) {
                context.error("capture \"\(e.key)\" has the name of a data source; rename one of them", at: e.keyMark, path: e.value.path)
                continue
            }
            guard let m = e.value.mapping(keys: Self.captureKinds, what: "a capture rule, e.g. {json_path: $.id}") else { continue }
            guard m.entries.count == 1, let rule = m.entries.first else {
                e.value.fail(m.entries.isEmpty
                    ? "capture \"\(e.key)\" has no source; give one of json_path: $.id, regex: \"id=(\\\\d+)\", header: Location, status: true"
                    : "capture \"\(e.key)\" takes one source; keep one of \(m.entries.map(\.key).joined(separator: ", "))")
                continue
            }
            let source: CaptureSource?
            switch rule.key {
            case "json_path":
                source = rule.value.string(what: "a JSONPath like $.id").flatMap { text in
                    do { return .jsonPath(try JSONPath(text)) } catch {
                        rule.value.invalid("JSONPath", reason: nil, fix: "write e.g. $.id, $.items[0].price or $['a key']")
                        return nil
                    }
                }
            case "regex":
                source = decodePattern(rule.value).map { .regex($0) }
            case "header":
                source = rule.value.string(what: "a header name").flatMap { s in
                    guard Self.isToken(s) else {
                        rule.value.invalid("header name", reason: nil, fix: "use letters, digits and -, e.g. Location")
                        return nil
                    }
                    return .header(s)
                }
            default:
                if rule.value.bool() == true { source = .status } else {
                    rule.value.fail("write status: true to capture the status code")
                    source = nil
                }
            }
            guard let source else { continue }
            out.append(CaptureSpec(name: e.key, slot: firstSlot + out.count, source: source))
        }
        return out
    }

    /// `equals: "{{ id }}"` in a step's checks, resolved in `scope`.
    func resolveCheckValues(_ checks: [CheckSpec], at node: StrictNode, scope: ValueScope) -> [CheckSpec] {
        checks.compactMap { c in
            guard case .jsonPath(let path, .equals(let want)) = c.kind, want.contains("{{") else { return c }
            guard let t = template(want, escaping: .none, scope: scope, at: node) else { return c }
            guard let t else { return nil }
            return CheckSpec(name: c.name, kind: .jsonPath(path, .equalsValue(t)))
        }
    }

    /// Data source and capture names: `[a-zA-Z_][a-zA-Z0-9_]*`.
    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || first == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    static let httpVersions = ["1.1", "2", "h2c"]
}
