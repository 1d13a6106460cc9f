import NIOSSL

/// What `--web.config.file` asks of the endpoint (docs/configuration.md, "The endpoint"):
/// TLS, basic auth and extra response headers, for every path.
public struct EndpointSecurity: Sendable {
    /// Checks `Authorization` on every request; nil: no basic auth.
    public var authenticator: BasicAuthenticator?
    /// Added to every response (`http_server_config.headers`).
    public var headers: [(String, String)]
    /// Serve HTTPS with this; nil: plain HTTP.
    public var tls: TLSEndpoint?
    /// `rate_limit`: requests beyond it are answered 429; nil: no limit.
    public var rateLimiter: RequestRateLimiter?

    /// An endpoint with the given auth and headers; by default open, no extra headers, plain HTTP.
    public init(authenticator: BasicAuthenticator? = nil, headers: [(String, String)] = [], tls: TLSEndpoint? = nil,
                rateLimiter: RequestRateLimiter? = nil) {
        self.authenticator = authenticator
        self.headers = headers
        self.tls = tls
        self.rateLimiter = rateLimiter
    }

    /// No auth, no extra headers, plain HTTP.
    public static let open = EndpointSecurity()
}

/// TLS settings with the context built from them (certificate, key and client CAs read).
public struct TLSEndpoint: Sendable {
    public let settings: TLSSettings
    let context: NIOSSLContext

    /// Reads the settings' files now; throws `TLSSetupError` naming the key that is wrong.
    public init(settings: TLSSettings) throws(TLSSetupError) {
        self.settings = settings
        self.context = try settings.makeContext()
    }
}
