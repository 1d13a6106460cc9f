/// One HTTP request as a probe sends it, after `${...}` expansion.
public struct RequestSpec: Sendable, Equatable {
    /// HTTP method, upper case (`GET`, `POST`, ...).
    public var method: String
    /// Absolute `http://` or `https://` URL.
    public var url: String
    /// Request headers in the order written in the config.
    public var headers: [HTTPHeader]
    /// Candidate request bodies; one is picked at random per request. Empty: no body.
    public var bodies: [[UInt8]]
    /// Whole-transfer timeout in seconds (libcurl `CURLOPT_TIMEOUT_MS`).
    public var timeout: Double
    /// Largest response body accepted, counted after decompression; beyond it the request fails with `body_limit`.
    public var bodySizeLimit: Int
    /// Follow up to 10 redirects.
    public var followRedirects: Bool
    public var httpVersion: HTTPVersionPreference
    public var ipProtocol: IPProtocol
    public var tls: TLSOptions

    public init(
        method: String = "GET",
        url: String,
        headers: [HTTPHeader] = [],
        bodies: [[UInt8]] = [],
        timeout: Double = 10,
        bodySizeLimit: Int = 10 * 1024 * 1024,
        followRedirects: Bool = true,
        httpVersion: HTTPVersionPreference = .auto,
        ipProtocol: IPProtocol = .any,
        tls: TLSOptions = TLSOptions()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.bodies = bodies
        self.timeout = timeout
        self.bodySizeLimit = bodySizeLimit
        self.followRedirects = followRedirects
        self.httpVersion = httpVersion
        self.ipProtocol = ipProtocol
        self.tls = tls
    }
}

/// A request header. Values may hold secrets: never log them.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// `http_version` in the config.
public enum HTTPVersionPreference: String, Sendable, Equatable, CaseIterable {
    /// HTTP/1.1, or HTTP/2 where TLS (ALPN) negotiates it: libcurl's own default.
    case auto
    case http1_1 = "1.1"
    case http2 = "2"
}

/// `ip_protocol` in the config.
public enum IPProtocol: String, Sendable, Equatable, CaseIterable {
    case any, ip4, ip6
}

/// `tls` in the config.
public struct TLSOptions: Sendable, Equatable {
    public var insecureSkipVerify: Bool
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// Name to send in SNI and verify the certificate against, instead of the URL's host.
    public var serverName: String?

    public init(
        insecureSkipVerify: Bool = false, caFile: String? = nil, certFile: String? = nil,
        keyFile: String? = nil, serverName: String? = nil
    ) {
        self.insecureSkipVerify = insecureSkipVerify
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.serverName = serverName
    }
}
