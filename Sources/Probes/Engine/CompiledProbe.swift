import CCurl

/// A probe prepared for the engine: the header list libcurl needs, kept alive for the
/// engine's lifetime and shared read-only by every engine thread.
final class CompiledProbe {
    let index: Int
    let spec: ProbeSpec
    /// `curl_slist` of the request headers (libcurl does not copy it).
    let headerList: UnsafeMutablePointer<curl_slist>?
    let needsBody: Bool
    let needsHeaders: Bool
    let isHTTPS: Bool
    /// URL to request and a `CONNECT_TO` entry when `tls.server_name` overrides the host.
    let effectiveURL: String
    let connectTo: UnsafeMutablePointer<curl_slist>?

    init(index: Int, spec: ProbeSpec) {
        self.index = index
        self.spec = spec
        var list: UnsafeMutablePointer<curl_slist>? = nil
        var hasUserAgent = false
        for h in spec.request.headers {
            if h.name.lowercased() == "user-agent" { hasUserAgent = true }
            // "Name:" with an empty value would make libcurl drop the header; "Name;" sends it empty.
            let line = h.value.isEmpty ? "\(h.name);" : "\(h.name): \(h.value)"
            list = curl_slist_append(list, line)
        }
        if !hasUserAgent { list = curl_slist_append(list, "User-Agent: \(KalmVersion.userAgent)") }
        if !spec.request.bodies.isEmpty {
            // k6 never waits for 100-continue; neither do we.
            list = curl_slist_append(list, "Expect:")
        }
        headerList = list
        needsBody = spec.checks.contains { $0.kind.needsBody }
        needsHeaders = spec.checks.contains { $0.kind.needsHeaders }
        let url = spec.request.url
        isHTTPS = spec.isHTTPS
        if let sni = spec.request.tls.serverName, isHTTPS, let parts = URLParts(url) {
            // libcurl has no SNI option: request the server name and connect to the real host.
            effectiveURL = parts.replacingHost(with: sni)
            connectTo = curl_slist_append(nil, "\(sni):\(parts.port):\(parts.host):\(parts.port)")
        } else {
            effectiveURL = url
            connectTo = nil
        }
    }

    deinit {
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectTo)
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

/// kalm's version, set at build time by `scripts/version` where available.
public enum KalmVersion {
    /// The version string, e.g. `0.1.0`.
    public static let version = "0.1.0"
    /// The `User-Agent` sent when a probe sets none: `kalm/<version>`.
    public static var userAgent: String { "kalm/\(version)" }
}
