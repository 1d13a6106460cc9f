import CCurl

/// A probe prepared for one engine: its steps' header lists, its data cursors and its
/// token source, shared read-only (cursors and token source lock) by every engine thread.
final class CompiledProbe {
    let index: Int
    let spec: ProbeSpec
    let steps: [CompiledStep]
    /// One per `spec.data`, handing out rows for this engine run.
    let cursors: [DataCursor]
    /// The OAuth2 token shared by the probe's VUs; nil without `auth.oauth2`.
    let token: TokenSource?
    let isHTTPS: Bool
    /// Whether any step has run-time values, so a VU keeps per-iteration values.
    let usesValues: Bool

    init(index: Int, spec: ProbeSpec, endless: Bool, sink: ResultSink, segment: ExecutionSegment = .whole) {
        self.index = index
        self.spec = spec
        isHTTPS = spec.isHTTPS
        var basic: String?
        if case .basic(let user, let password)? = spec.auth {
            basic = "Authorization: Basic " + Base64.encode(Array("\(user):\(password)".utf8))
        }
        let bases = spec.checkBases
        steps = spec.steps.enumerated().map {
            CompiledStep(index: $0.offset, spec: $0.element, checkBase: bases[$0.offset], basicAuth: basic,
                         bearer: { if case .oauth2? = spec.auth { return true } else { return false } }(),
                         trace: spec.trace)
        }
        cursors = spec.data.map { DataCursor(spec: $0, wraps: endless, segment: segment) }
        if case .oauth2(let o)? = spec.auth {
            token = TokenSource(spec: o, probe: index, sink: sink)
        } else {
            token = nil
        }
        usesValues = !spec.data.isEmpty || spec.captureCount > 0
            || spec.steps.contains { !$0.templates.isEmpty || $0.checks.contains { $0.kind.usesValues } }
    }
}

/// One step prepared for libcurl: the header list of its fixed headers (libcurl does not
/// copy it), what its checks and captures need kept, and its URL with the server name applied.
final class CompiledStep {
    let index: Int
    let spec: StepSpec
    let checkBase: Int
    /// `curl_slist` of the fixed request headers.
    let headerList: UnsafeMutablePointer<curl_slist>?
    /// Fixed header lines, for steps that build their list per request.
    let fixedLines: [String]
    /// Whether the header list is built per request (templated headers or a bearer token).
    let dynamicHeaders: Bool
    /// Whether an OAuth2 bearer token is added (the step sets no Authorization header itself).
    let bearer: Bool
    /// Whether requests carry a `traceparent` (the probe's `trace:`). A fixed header list then
    /// belongs to each VU, which writes a fresh id into its `traceparent` entry per request.
    let traced: Bool
    let needsBody: Bool
    let needsHeaders: Bool
    let hasBody: Bool
    let isHTTPS: Bool
    /// Whether a request may go over TLS: an https URL, or one a run-time value decides.
    var mayUseTLS: Bool { isHTTPS || spec.templates.url != nil }
    /// URL to request and a `CONNECT_TO` entry when `tls.server_name` overrides the host.
    let effectiveURL: String
    let connectTo: UnsafeMutablePointer<curl_slist>?
    /// For a templated URL whose scheme and host are written out: that origin. A run-time value
    /// may change the path and query but never send the request (and its credentials) elsewhere.
    let origin: (scheme: String, host: String, port: Int)?

    init(index: Int, spec: StepSpec, checkBase: Int, basicAuth: String?, bearer: Bool, trace: TraceSpec? = nil) {
        self.index = index
        self.spec = spec
        self.checkBase = checkBase
        let request = spec.request
        let templated = Set(spec.templates.headers.map(\.index))
        var lines: [String] = []
        var hasUserAgent = false
        var hasAuthorization = false
        for (i, h) in request.headers.enumerated() {
            let name = h.name.lowercased()
            if name == "user-agent" { hasUserAgent = true }
            if name == "authorization" { hasAuthorization = true }
            if templated.contains(i) { continue }
            lines.append(Self.line(h.name, h.value))
        }
        if !hasUserAgent { lines.append("User-Agent: \(KalmVersion.userAgent)") }
        // k6 never waits for 100-continue; neither do we.
        if !request.bodies.isEmpty || spec.templates.body != nil { lines.append("Expect:") }
        // A header the step writes itself wins over the probe's auth.
        if let basicAuth, !hasAuthorization { lines.append(basicAuth) }
        self.bearer = bearer && !hasAuthorization
        traced = trace != nil
        if let trace {
            lines.append(TraceContext.templateLine)
            if let state = trace.traceState { lines.append("tracestate: \(state)") }
        }
        fixedLines = lines
        dynamicHeaders = !templated.isEmpty || self.bearer
        headerList = dynamicHeaders || traced ? nil : Self.slist(lines)
        needsBody = spec.checks.contains { $0.kind.needsBody } || spec.captures.contains { $0.source.needsBody }
        needsHeaders = spec.checks.contains { $0.kind.needsHeaders } || spec.captures.contains { $0.source.needsHeaders }
        hasBody = !request.bodies.isEmpty || spec.templates.body != nil
        isHTTPS = request.url.lowercased().hasPrefix("https://")
        (effectiveURL, connectTo) = Self.route(request.url, serverName: request.tls.serverName)
        if let t = spec.templates.url, case .literal(let head)? = t.parts.first, head.contains("://"),
           let shape = t.render({ _ in "/x" }), let parts = URLParts(shape) {
            origin = (parts.scheme, parts.host.lowercased(), parts.port)
        } else {
            origin = nil
        }
    }

    /// Whether a rendered URL keeps the written origin (scheme, host and port), when there is one.
    func originMatches(_ url: String) -> Bool {
        guard let origin else { return true }
        guard let parts = URLParts(url) else { return false }
        return parts.scheme == origin.scheme && parts.host.lowercased() == origin.host && parts.port == origin.port
            && !url.dropFirst(parts.scheme.count + 3).prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" }).contains("@")
    }

    deinit {
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectTo)
    }

    /// "Name:" with an empty value would make libcurl drop the header; "Name;" sends it empty.
    static func line(_ name: String, _ value: String) -> String {
        value.isEmpty ? "\(name);" : "\(name): \(value)"
    }

    static func slist(_ lines: [String]) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for l in lines { list = curl_slist_append(list, l) }
        return list
    }

    /// The URL to ask libcurl for, and where to connect, when `server_name` overrides the host:
    /// libcurl has no SNI option, so the server name goes in the URL and `CONNECT_TO` reaches the real host.
    static func route(_ url: String, serverName: String?) -> (String, UnsafeMutablePointer<curl_slist>?) {
        guard let sni = serverName, url.lowercased().hasPrefix("https://"), let parts = URLParts(url) else { return (url, nil) }
        return (parts.replacingHost(with: sni), curl_slist_append(nil, "\(sni):\(parts.port):\(parts.host):\(parts.port)"))
    }
}

/// The scheme, host and port of an http(s) URL: just enough to rewrite the host.
struct URLParts {
    let scheme: String
    let host: String
    let port: Int
    let hostRange: Range<String.Index>
    let url: String

    init?(_ url: String) {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[rest.startIndex..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var hostPart = authority
        var port = scheme == "https" ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.startIndex...close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":"), let p = Int(after.dropFirst()) { port = p }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = p
        }
        host = String(hostPart)
        self.port = port
        hostRange = hostPart.startIndex..<hostPart.endIndex
        self.url = url
    }

    func replacingHost(with newHost: String) -> String {
        url.replacingCharacters(in: hostRange, with: newHost)
    }
}

/// Standard base64 (RFC 4648 §4), for basic auth.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(table[Int(b0 >> 2)])
            out.append(table[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? table[Int((b1 & 15) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? table[Int(b2 & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// kalm's version, set at build time by `scripts/version` where available.
public enum KalmVersion {
    /// The version string, e.g. `0.1.0`.
    public static let version = "0.1.0"
    /// The `User-Agent` sent when a probe sets none: `kalm/<version>`.
    public static var userAgent: String { "kalm/\(version)" }
}
