/// `auth:` of a probe: how every step authenticates (docs/configuration.md, "Authentication").
/// Holds secrets: never log, label or print it.
public enum AuthSpec: Sendable, Equatable {
    /// HTTP basic auth: `Authorization: Basic base64(username:password)` on every request.
    case basic(username: String, password: String)
    /// OAuth 2.0 client credentials: a bearer token fetched once, shared by the probe's VUs.
    case oauth2(OAuth2Spec)
}

/// OAuth 2.0 client credentials grant (RFC 6749 §4.4).
public struct OAuth2Spec: Sendable, Equatable {
    /// How the client authenticates at the token endpoint.
    public enum ClientAuth: String, Sendable, Equatable, CaseIterable {
        /// HTTP basic auth with the form-encoded id and secret (RFC 6749 §2.3.1); the default.
        case basic
        /// `client_id` and `client_secret` in the form body.
        case post
    }

    /// The token endpoint.
    public var tokenURL: String
    /// `client_id`.
    public var clientID: String
    /// `client_secret`: a secret.
    public var clientSecret: String
    /// `scope`, space-joined when sent.
    public var scopes: [String]
    /// `audience`, sent when set (Auth0, Okta and others require it).
    public var audience: String?
    /// How the client authenticates.
    public var clientAuth: ClientAuth
    /// Extra form parameters, in order (e.g. `resource`).
    public var extraParameters: [(String, String)]
    /// Timeout of one token request.
    public var timeout: Duration
    /// TLS options for the token endpoint (the probe's `defaults.tls`).
    public var tls: TLSOptions

    /// A client credentials grant; by default basic client auth, no scopes, a 10 s timeout.
    public init(
        tokenURL: String, clientID: String, clientSecret: String, scopes: [String] = [], audience: String? = nil,
        clientAuth: ClientAuth = .basic, extraParameters: [(String, String)] = [], timeout: Duration = .seconds(10),
        tls: TLSOptions = TLSOptions()
    ) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.audience = audience
        self.clientAuth = clientAuth
        self.extraParameters = extraParameters
        self.timeout = timeout
        self.tls = tls
    }

    /// Equal when every field is.
    public static func == (a: OAuth2Spec, b: OAuth2Spec) -> Bool {
        a.tokenURL == b.tokenURL && a.clientID == b.clientID && a.clientSecret == b.clientSecret
            && a.scopes == b.scopes && a.audience == b.audience && a.clientAuth == b.clientAuth
            && a.extraParameters.elementsEqual(b.extraParameters, by: ==) && a.timeout == b.timeout && a.tls == b.tls
    }
}
