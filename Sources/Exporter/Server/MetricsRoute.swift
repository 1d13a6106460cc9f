import NIOHTTP1

/// Where a request to the metrics server goes, decided from its method and path alone.
enum MetricsRoute: Equatable {
    case metrics
    case statusPage
    case healthy
    case ready
    case reload
    /// A known path with a method it does not take; `allow` is the `Allow` header value.
    case methodNotAllowed(allow: String)
    case notFound

    private static let readOnly = "GET, HEAD"
    private static let reloadMethods = "POST, PUT"

    /// Routes `method` and `uri` (the query string and fragment are ignored).
    init(method: HTTPMethod, uri: String) {
        let path = HTTPResponseWriter.path(of: uri)
        let readable = method == .GET || method == .HEAD
        switch path {
        case "/metrics": self = readable ? .metrics : .methodNotAllowed(allow: Self.readOnly)
        case "/": self = readable ? .statusPage : .methodNotAllowed(allow: Self.readOnly)
        case "/-/healthy": self = readable ? .healthy : .methodNotAllowed(allow: Self.readOnly)
        case "/-/ready": self = readable ? .ready : .methodNotAllowed(allow: Self.readOnly)
        case "/-/reload":
            self = method == .POST || method == .PUT ? .reload : .methodNotAllowed(allow: Self.reloadMethods)
        default: self = .notFound
        }
    }
}
