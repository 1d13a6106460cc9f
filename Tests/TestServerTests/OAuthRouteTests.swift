import Foundation
import KalmTestSupport
import TestServer
import Testing

/// `POST /oauth/token` (client credentials) and the bearer-protected `/api/items`, through
/// the real curl against a real server. Its own suite: nothing here measures time, so it
/// may run alongside the others.
@Suite struct OAuthRouteTests {
    /// Starts a server, runs `body`, and always shuts the server down.
    func withServer(_ body: (FaultServer) throws -> Void) rethrows {
        let server = try! FaultServer.start()
        defer { server.shutdown() }
        try body(server)
    }

    /// `-u kalm:s3cret`, HTTP Basic with the valid client.
    static let basicAuth = ["-u", "\(FaultServer.oauthClientID):\(FaultServer.oauthClientSecret)"]

    /// The JSON object of `response`'s body.
    func object(_ response: CurlResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
    }

    /// A fresh access token valid for `ttl` seconds.
    func token(_ server: FaultServer, ttl: Double = 60) throws -> String {
        let response = Curl.fetch(server.url("/oauth/token?ttl=\(ttl)"),
                                  Self.basicAuth + ["-d", "grant_type=client_credentials"])
        try #require(response.status == 200, "\(response.text)")
        return try #require(try object(response)["access_token"] as? String)
    }

    /// A request to `/api/items...` carrying `token` (none when nil).
    func api(_ server: FaultServer, _ path: String, method: String = "GET", token: String?,
             json: String? = nil) -> CurlResponse {
        var extra = ["-X", method]
        if let token { extra += ["-H", "Authorization: Bearer \(token)"] }
        if let json { extra += ["-H", "Content-Type: application/json", "--data-binary", json] }
        return Curl.fetch(server.url(path), extra)
    }

    /// The number `GET /count?path=` answers.
    func count(_ server: FaultServer, _ path: String) -> Int? {
        Int(Curl.fetch(server.url("/count?path=\(path)")).text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func tokenWithBasicAuth() throws {
        try withServer { server in
            let response = Curl.fetch(server.url("/oauth/token"),
                                      Self.basicAuth + ["-d", "grant_type=client_credentials&scope=items:read+items:write",
                                                        "-d", "audience=https://api.test"])
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["cache-control"] == "no-store")
            let body = try object(response)
            let token = try #require(body["access_token"] as? String)
            #expect(token.count == 32)
            #expect(token.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            #expect(body["token_type"] as? String == "Bearer")
            #expect((body["expires_in"] as? NSNumber)?.doubleValue == 60)
            #expect(body["scope"] as? String == "items:read items:write")
            #expect(response.text.contains(#""expires_in":60,"#))
            // A second fetch gets another token; both are counted, over HTTP too.
            #expect(try self.token(server) != token)
            #expect(server.requestCount(path: "/oauth/token") == 2)
            #expect(count(server, "/oauth/token") == 2)
        }
    }

    @Test func tokenWithCredentialsInTheBody() throws {
        try withServer { server in
            let response = Curl.fetch(server.url("/oauth/token?ttl=2.5"),
                                      ["-d", "grant_type=client_credentials&client_id=kalm&client_secret=s3cret"])
            #expect(response.status == 200)
            let body = try object(response)
            #expect((body["access_token"] as? String)?.count == 32)
            #expect((body["expires_in"] as? NSNumber)?.doubleValue == 2.5)
            #expect(body["scope"] == nil)
            // ttl is clamped to 0.5...3600.
            let long = Curl.fetch(server.url("/oauth/token?ttl=99999"), Self.basicAuth + ["-d", "grant_type=client_credentials"])
            #expect((try object(long)["expires_in"] as? NSNumber)?.doubleValue == 3600)
        }
    }

    @Test func basicCredentialsAreFormDecodedAfterBase64() {
        withServer { server in
            // RFC 6749 2.3.1: "k" written as %6B must still be the client "kalm".
            let basic = Data("%6Balm:s3cret".utf8).base64EncodedString()
            let response = Curl.fetch(server.url("/oauth/token"),
                                      ["-H", "Authorization: basic \(basic)", "-d", "grant_type=client_credentials"])
            #expect(response.status == 200)
        }
    }

    @Test func wrongClientOrGrantIsRejected() {
        withServer { server in
            let wrongSecret = Curl.fetch(server.url("/oauth/token"), ["-u", "kalm:nope", "-d", "grant_type=client_credentials"])
            #expect(wrongSecret.status == 401)
            #expect(wrongSecret.text == #"{"error":"invalid_client"}"#)
            #expect(wrongSecret.headers["www-authenticate"] == "Basic")
            let wrongBody = Curl.fetch(server.url("/oauth/token"),
                                       ["-d", "grant_type=client_credentials&client_id=kalm&client_secret=x"])
            #expect(wrongBody.status == 401)
            let anonymous = Curl.fetch(server.url("/oauth/token"), ["-d", "grant_type=client_credentials"])
            #expect(anonymous.status == 401)
            #expect(server.requestCount(path: "unauthorized") == 3)
            #expect(count(server, "unauthorized") == 3)

            let password = Curl.fetch(server.url("/oauth/token"), Self.basicAuth + ["-d", "grant_type=password"])
            #expect(password.status == 400)
            #expect(password.text == #"{"error":"unsupported_grant_type"}"#)
            let noGrant = Curl.fetch(server.url("/oauth/token"), Self.basicAuth + ["-d", "scope=x"])
            #expect(noGrant.text == #"{"error":"invalid_request"}"#)
            // Two authentication methods at once (RFC 6749 2.3), JSON instead of a form, GET.
            let both = Curl.fetch(server.url("/oauth/token"),
                                  Self.basicAuth + ["-d", "grant_type=client_credentials&client_id=kalm&client_secret=s3cret"])
            #expect(both.status == 400)
            let json = Curl.fetch(server.url("/oauth/token"),
                                  Self.basicAuth + ["-H", "Content-Type: application/json", "-d", #"{"grant_type":"client_credentials"}"#])
            #expect(json.status == 400)
            let get = Curl.fetch(server.url("/oauth/token"), Self.basicAuth)
            #expect(get.status == 405)
            #expect(get.headers["allow"] == "POST")
            #expect(server.requestCount(path: "unauthorized") == 3)
        }
    }

    @Test func expiredTokenIsRejected() throws {
        try withServer { server in
            let token = try token(server, ttl: 0.5)
            // Authorized (so 404 for an item that does not exist) until the token expires.
            #expect(api(server, "/api/items/1", token: token).status == 404)
            let rejected = try #require(pollValue(timeout: 10, interval: 0.1) {
                let response = api(server, "/api/items/1", token: token)
                return response.status == 401 ? response : nil
            })
            #expect(rejected.text == #"{"error":"invalid_token"}"#)
            #expect(rejected.headers["www-authenticate"] == #"Bearer error="invalid_token""#)
            #expect(server.requestCount(path: "unauthorized") >= 1)
            // A new token works again.
            #expect(api(server, "/api/items/1", token: try self.token(server)).status == 404)
        }
    }

    @Test func itemsRoundTrip() throws {
        try withServer { server in
            let token = try token(server)
            let created = api(server, "/api/items", method: "POST", token: token,
                              json: #"{"name":"bag","price":12.5,"tags":["a"],"ok":true}"#)
            #expect(created.status == 201)
            let id = try #require(try object(created)["id"] as? String)
            #expect(id == "1")
            #expect(created.headers["location"] == "/api/items/\(id)")
            #expect(created.text == #"{"id":"1","name":"bag","ok":true,"price":12.5,"tags":["a"]}"#)

            let read = api(server, "/api/items/\(id)", token: token)
            #expect(read.status == 200)
            #expect(read.headers["content-type"] == "application/json")
            #expect(read.text == created.text)

            let second = api(server, "/api/items", method: "POST", token: token, json: #"{"id":"mine"}"#)
            #expect(try object(second)["id"] as? String == "2")   // the server's id wins

            let deleted = api(server, "/api/items/\(id)", method: "DELETE", token: token)
            #expect(deleted.status == 204)
            #expect(deleted.body.isEmpty)
            #expect(api(server, "/api/items/\(id)", token: token).status == 404)
            #expect(api(server, "/api/items/\(id)", method: "DELETE", token: token).status == 404)
            #expect(api(server, "/api/items/02", token: token).status == 404)
            #expect(api(server, "/api/items/2", token: token).status == 200)
        }
    }

    @Test func itemsRejectBadRequests() throws {
        try withServer { server in
            let token = try token(server)
            #expect(api(server, "/api/items", method: "POST", token: token, json: "{nope").status == 400)
            #expect(api(server, "/api/items", method: "POST", token: token, json: "[1,2]").status == 400)
            #expect(api(server, "/api/items", method: "POST", token: token).status == 400)   // no body
            #expect(api(server, "/api/items", token: token).status == 405)
            #expect(api(server, "/api/items/1", method: "PUT", token: token).status == 405)

            // No token, a made-up one, another scheme: 401 before anything else, each counted.
            let none = api(server, "/api/items", method: "POST", token: nil, json: "{}")
            #expect(none.status == 401)
            #expect(none.headers["www-authenticate"] == #"Bearer error="invalid_token""#)
            #expect(api(server, "/api/items/1", token: String(repeating: "0", count: 32)).status == 401)
            #expect(Curl.fetch(server.url("/api/items/1"), Self.basicAuth).status == 401)
            #expect(count(server, "unauthorized") == 3)

            // Bodies are buffered up to 64 KiB; beyond that, 413 (Expect off: no 1 s wait for 100).
            let big = "{\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}"
            let tooLarge = Curl.fetch(server.url("/api/items"),
                                      ["-H", "Authorization: Bearer \(token)", "-H", "Expect:",
                                       "-H", "Content-Type: application/json", "--data-binary", big])
            #expect(tooLarge.status == 413)
            let fits = "{\"pad\":\"" + String(repeating: "x", count: 60_000) + "\"}"
            #expect(api(server, "/api/items", method: "POST", token: token, json: fits).status == 201)
        }
    }
}
