import NIOCore
import NIOHTTP1

/// A request as a route's handler sees it: method, path (no query string) and headers.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The path of the request target, without query string or fragment.
    public var path: String
    /// The request headers as received.
    public var headers: HTTPHeaders

    /// Creates a request description.
    public init(method: HTTPMethod, path: String, headers: HTTPHeaders) {
        self.method = method
        self.path = path
        self.headers = headers
    }

    /// The values of a header, repeated lines joined with ", "; nil when absent.
    public func header(_ name: String) -> String? {
        let values = headers[name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }
}

/// A complete response: status, content type, extra headers and body.
public struct HTTPReply: Sendable {
    /// The response status.
    public var status: HTTPResponseStatus
    /// The `Content-Type` header value.
    public var contentType: String
    /// Headers beyond Content-Type, Content-Length and Connection, in order.
    public var headers: [(String, String)]
    /// The body; a shared buffer is written without copying. Not sent for HEAD.
    public var body: ByteBuffer

    /// Creates a reply.
    public init(status: HTTPResponseStatus = .ok, contentType: String, headers: [(String, String)] = [], body: ByteBuffer) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A `text/plain` reply.
    public static func text(_ text: String, status: HTTPResponseStatus = .ok, headers: [(String, String)] = []) -> HTTPReply {
        HTTPReply(status: status, contentType: "text/plain; charset=utf-8", headers: headers, body: ByteBuffer(string: text))
    }

    /// A `text/html` reply.
    public static func html(_ html: String) -> HTTPReply {
        HTTPReply(contentType: "text/html; charset=utf-8", body: ByteBuffer(string: html))
    }
}

/// One path the HTTP server answers: the methods it takes and what answers them.
///
/// The server knows nothing of what a route means; the agent and `kalm run` register
/// theirs (see `MetricsHTTPServer.start`).
public struct HTTPRoute: Sendable {
    /// How a route is answered.
    public enum Handler: Sendable {
        /// Answered on the event loop: must be cheap or cached (a slow handler delays every
        /// other connection on the same loop). Request bodies are discarded.
        case immediate(@Sendable (HTTPRequest) -> HTTPReply)
        /// Run off the event loop, answered when done; the connection's idle timeout does not
        /// close it meanwhile. A body up to `maxBody` bytes is accepted (and discarded);
        /// a larger one is answered 413 and the connection closed.
        case deferred(maxBody: Int, @Sendable (HTTPRequest) async -> HTTPReply)
    }

    /// The exact path, e.g. `/metrics`.
    public var path: String
    /// Methods the route takes; any other answers 405 with these in `Allow`.
    public var methods: [HTTPMethod]
    /// What answers a request.
    public var handler: Handler

    /// Creates a route.
    public init(_ path: String, methods: [HTTPMethod], handler: Handler) {
        self.path = path
        self.methods = methods
        self.handler = handler
    }

    /// A `GET`/`HEAD` route answered on the event loop.
    public static func read(_ path: String, _ answer: @escaping @Sendable (HTTPRequest) -> HTTPReply) -> HTTPRoute {
        HTTPRoute(path, methods: [.GET, .HEAD], handler: .immediate(answer))
    }
}

/// Finds the route for a method and path: a match, a known path with another method
/// (405 and its `Allow` value), or nothing (404).
public struct HTTPRouter: Sendable {
    /// The outcome of routing one request.
    public enum Match {
        /// The route that answers.
        case route(HTTPRoute)
        /// The path exists but does not take the method; `allow` is the `Allow` header value.
        case methodNotAllowed(allow: String)
        /// No route has the path.
        case notFound
    }

    private let routes: [String: HTTPRoute]

    /// A router over `routes` (a later route with the same path replaces an earlier one).
    public init(_ routes: [HTTPRoute]) {
        var byPath: [String: HTTPRoute] = [:]
        for route in routes { byPath[route.path] = route }
        self.routes = byPath
    }

    /// Routes `method` and `uri` (the query string and fragment are ignored).
    public func match(method: HTTPMethod, uri: String) -> Match {
        guard let route = routes[String(HTTPResponseWriter.path(of: uri))] else { return .notFound }
        if route.methods.contains(method) { return .route(route) }
        return .methodNotAllowed(allow: route.methods.map(\.rawValue).joined(separator: ", "))
    }
}
