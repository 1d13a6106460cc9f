import NIOHTTP1

/// A complete response computed by a route that does not need the channel (the OAuth and
/// `/api/items` routes): keeping them pure values lets those routes live in files of their
/// own while `FaultHandler` alone writes to the connection.
struct RouteReply {
    /// The status line's code.
    var status: HTTPResponseStatus
    /// The `Content-Type` header.
    var contentType = "text/plain; charset=utf-8"
    /// Further headers, in order.
    var headers: [(String, String)] = []
    /// The body (ignored for HEAD by `FaultHandler`).
    var body = ""

    /// A JSON reply.
    static func json(_ status: HTTPResponseStatus, _ body: String, headers: [(String, String)] = []) -> RouteReply {
        RouteReply(status: status, contentType: "application/json", headers: headers, body: body)
    }

    /// An error as JSON, `{"error":"CODE"}`: the shape of RFC 6749 5.2 and RFC 6750 3.1,
    /// used by `/api/items` too so a client reads every error of these routes one way.
    static func jsonError(_ status: HTTPResponseStatus, _ code: String, headers: [(String, String)] = []) -> RouteReply {
        json(status, #"{"error":"\#(code)"}"#, headers: headers)
    }
}
