import NIOCore
import NIOHTTP1

extension HTTPRoute {
    /// `GET|HEAD /metrics`: the exposition `render` negotiates from the request's `Accept`
    /// and `Accept-Encoding` (usually a cached rendering, written without copying), with
    /// `Vary: Accept, Accept-Encoding` and `Content-Encoding` when it compressed.
    public static func metrics(
        _ render: @escaping @Sendable (_ accept: String?, _ acceptEncoding: String?) -> ScrapeCache.Response
    ) -> HTTPRoute {
        .read("/metrics") { request in
            let rendered = render(request.header("accept"), request.header("accept-encoding"))
            var headers = [("Vary", "Accept, Accept-Encoding")]
            if let encoding = rendered.contentEncoding { headers.append(("Content-Encoding", encoding)) }
            return HTTPReply(contentType: rendered.contentType, headers: headers, body: rendered.body)
        }
    }
}
