import Foundation
import KalmSupport
import NIOCore
import NIOHTTP1

extension FaultServer {
    /// The one client `POST /oauth/token` accepts: id `kalm`...
    public static let oauthClientID = "kalm"
    /// ...with secret `s3cret`.
    public static let oauthClientSecret = "s3cret"
}

/// `POST /oauth/token`, the client-credentials grant of RFC 6749 (4.4), and the bearer
/// check (RFC 6750) that guards `/api/items`.
///
/// Deliberately strict where a real authorization server is, so that a client bug shows up
/// as an error in a test rather than in production: the body must be form-encoded, and a
/// client may authenticate one way only (HTTP Basic or body fields, RFC 6749 2.3).
enum OAuthRoutes {
    /// Token lifetime in seconds when the request has no `ttl` query parameter.
    static let defaultTTL = 60.0
    /// The range `ttl` is clamped to: short enough for expiry tests, at most an hour.
    static let ttlRange = 0.5...3600.0

    /// Answers a token request; `body` is the buffered request body (nil when none came).
    static func token(head: HTTPRequestHead, target: RequestTarget, body: ByteBuffer?, state: ServerState) -> RouteReply {
        guard head.method == .POST else {
            return .jsonError(.methodNotAllowed, "invalid_request", headers: [("Allow", "POST")])
        }
        let mediaType = head.headers.first(name: "content-type")?
            .split(separator: ";", maxSplits: 1).first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/x-www-form-urlencoded" else {
            return .jsonError(.badRequest, "invalid_request")
        }
        let form = RequestTarget.formFields(Substring(body.map { String(buffer: $0) } ?? ""))

        // Client authentication (RFC 6749 2.3.1): Basic, or client_id/client_secret in the body.
        let basic = head.headers.first(name: "authorization").flatMap(basicCredentials)
        let inBody = form["client_id"].map { (id: $0, secret: form["client_secret"] ?? "") }
        if basic != nil, inBody != nil {
            return .jsonError(.badRequest, "invalid_request")   // two methods at once (2.3)
        }
        guard let client = basic ?? inBody,
              client.id == FaultServer.oauthClientID, client.secret == FaultServer.oauthClientSecret else {
            state.countUnauthorized()
            return .jsonError(.unauthorized, "invalid_client", headers: [("WWW-Authenticate", "Basic")])
        }

        guard let grant = form["grant_type"] else { return .jsonError(.badRequest, "invalid_request") }
        guard grant == "client_credentials" else { return .jsonError(.badRequest, "unsupported_grant_type") }

        let ttl = target.double("ttl", default: defaultTTL, in: ttlRange)
        let token = state.issueToken(ttl: ttl)
        var json = #"{"access_token":"\#(token)","token_type":"Bearer","expires_in":\#(number(ttl))"#
        if let scope = form["scope"] { json += #","scope":\#(JSONText.quoted(scope))"# }
        json += "}"
        // RFC 6749 5.1: a response carrying a token must not be cached.
        return .json(.ok, json, headers: [("Cache-Control", "no-store"), ("Pragma", "no-cache")])
    }

    /// Whether the request carries `Authorization: Bearer <token>` with a token this server
    /// issued that has not expired.
    static func isAuthorized(_ head: HTTPRequestHead, state: ServerState) -> Bool {
        guard let value = head.headers.first(name: "authorization"),
              let token = credentials(value, scheme: "bearer") else { return false }
        return state.isTokenValid(token)
    }

    /// The 401 for a missing, unknown or expired bearer token (RFC 6750 3.1); counts it.
    static func invalidToken(state: ServerState) -> RouteReply {
        state.countUnauthorized()
        return .jsonError(.unauthorized, "invalid_token",
                           headers: [("WWW-Authenticate", #"Bearer error="invalid_token""#)])
    }

    /// Client id and secret from an `Authorization: Basic` value. RFC 6749 2.3.1 has both
    /// form-urlencoded before base64, so they are decoded after it (`+` is a space).
    static func basicCredentials(_ authorization: String) -> (id: String, secret: String)? {
        guard let encoded = credentials(authorization, scheme: "basic"),
              let data = Data(base64Encoded: encoded) else { return nil }
        let pair = String(decoding: data, as: UTF8.self)
        guard let colon = pair.firstIndex(of: ":") else { return nil }
        return (RequestTarget.percentDecode(pair[..<colon]),
                RequestTarget.percentDecode(pair[pair.index(after: colon)...]))
    }

    /// What follows `scheme` (matched case-insensitively, RFC 9110 11.1) in an
    /// `Authorization` value, or nil for another scheme or nothing after it.
    private static func credentials(_ value: String, scheme: String) -> String? {
        let parts = value.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == scheme else { return nil }
        let rest = parts[1].trimmingCharacters(in: .whitespaces)
        return rest.isEmpty ? nil : rest
    }

    /// `ttl` as a JSON number: `60`, not `60.0`, when whole.
    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
