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
    /// Whole-transfer timeout (libcurl `CURLOPT_TIMEOUT_MS`).
    public var timeout: Duration
    /// Largest response body accepted, counted after decompression; beyond it the request fails with `body_limit`.
    public var bodySizeLimit: Int
    /// Follow up to 10 redirects.
    public var followRedirects: Bool
    /// `http_version`: which HTTP version to ask for.
    public var httpVersion: HTTPVersionPreference
    /// `ip_protocol`: which address family to resolve and connect over.
    public var ipProtocol: IPProtocol
    /// `tls`: certificate verification, client certificate and server name.
    public var tls: TLSOptions

    /// A request; by default a GET without body, 10 s timeout, 10 MiB body limit, redirects followed, any IP family and verified TLS.
    public init(
        method: String = "GET",
        url: String,
        headers: [HTTPHeader] = [],
        bodies: [[UInt8]] = [],
        timeout: Duration = .seconds(10),
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
    /// The header name as written.
    public var name: String
    /// The header value, after `${...}` expansion.
    public var value: String
    /// A header `name: value`.
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
    /// HTTP/2: negotiated by ALPN over TLS; over plain http, offered with an `Upgrade: h2c`.
    case http2 = "2"
    /// HTTP/2 over plain http with prior knowledge (no upgrade), as `curl --http2-prior-knowledge`.
    case h2c
}

/// `ip_protocol` in the config.
public enum IPProtocol: String, Sendable, Equatable, CaseIterable {
    case any, ip4, ip6
}

/// `tls` in the config.
public struct TLSOptions: Sendable, Equatable {
    /// `insecure_skip_verify`: do not verify the server's certificate chain or host name.
    public var insecureSkipVerify: Bool
    /// `ca_file`: PEM file of the CA certificates to verify the server with; nil: the system's trust store.
    public var caFile: String?
    /// `cert_file`: client certificate (PEM) for mutual TLS.
    public var certFile: String?
    /// `key_file`: the client certificate's private key (PEM).
    public var keyFile: String?
    /// Name to send in SNI and verify the certificate against, instead of the URL's host.
    public var serverName: String?

    /// TLS options; by default verification on, the system's trust store and no client certificate.
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
