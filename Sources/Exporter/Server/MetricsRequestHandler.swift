import Logging
import NIOCore
import NIOHTTP1

/// Per-connection handler of the metrics server: routes each request and writes the answer.
///
/// `HTTPServerPipelineHandler` (from `configureHTTPServerPipeline`) hands over one request at
/// a time, so this handler answers the current request before it sees the next. Two bounds
/// keep a misbehaving client cheap: request bodies are discarded (`/-/reload` accepts up to
/// `maxReloadBody` bytes, then 413 and close), and a request that arrives while the
/// connection's outbound buffer is above its high-water mark waits until the client has
/// read enough, so a client that never reads cannot make the server buffer more than one
/// response beyond the mark. The idle timeout (an `IdleStateEvent` from `IdleStateHandler`)
/// closes the connection, except while `/-/reload` is running.
final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoints: MetricsEndpoints
    private let logger: Logger
    private let maxReloadBody: Int

    private var head: HTTPRequestHead?
    private var route = MetricsRoute.notFound
    private var bodyBytes = 0
    /// The current request was already answered (413) and the connection is closing.
    private var rejected = false
    /// The current request is complete but waits for the channel to become writable.
    private var waitingForWritability = false
    private var reloading = false
    private var active = true

    init(endpoints: MetricsEndpoints, logger: Logger, maxReloadBody: Int) {
        self.endpoints = endpoints
        self.logger = logger
        self.maxReloadBody = maxReloadBody
    }

    // MARK: - Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            route = MetricsRoute(method: requestHead.method, uri: requestHead.uri)
            bodyBytes = 0
            rejected = false
            if route == .reload, let length = requestHead.headers.first(name: "content-length").flatMap(Int.init),
               length > maxReloadBody {
                rejectBody(context)
            }
        case .body(let chunk):
            guard route == .reload, !rejected else { return }   // bodies are discarded elsewhere
            bodyBytes += chunk.readableBytes
            if bodyBytes > maxReloadBody { rejectBody(context) }
        case .end:
            guard !rejected else { return }
            if context.channel.isWritable {
                answer(context)
            } else {
                waitingForWritability = true
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if waitingForWritability, context.channel.isWritable {
            waitingForWritability = false
            answer(context)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if !reloading { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("HTTP connection error, closing it", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - Routes

    private func answer(_ context: ChannelHandlerContext) {
        guard let head else { return }
        switch route {
        case .metrics:
            let accept = Self.joined(head.headers["accept"])
            let acceptEncoding = Self.joined(head.headers["accept-encoding"])
            var extra = [("Vary", "Accept, Accept-Encoding")]
            // Usually a cached rendering: written as is, never copied per response.
            let rendered = endpoints.metrics(accept, acceptEncoding)
            if let encoding = rendered.contentEncoding { extra.append(("Content-Encoding", encoding)) }
            respond(context, contentType: rendered.contentType, headers: extra, buffer: rendered.body)
        case .statusPage:
            respond(context, contentType: "text/html; charset=utf-8", body: Array(endpoints.statusPage().utf8))
        case .healthy:
            respond(context, text: "Healthy\n")
        case .ready:
            if endpoints.isReady() {
                respond(context, text: "Ready\n")
            } else {
                respond(context, status: .serviceUnavailable, text: "Not ready\n")
            }
        case .reload:
            startReload(context)
        case .methodNotAllowed(let allow):
            respond(context, status: .methodNotAllowed, headers: [("Allow", allow)],
                    text: "method \(head.method.rawValue) not allowed; use \(allow)\n")
        case .notFound:
            respond(context, status: .notFound, text: "not found\n")
        }
    }

    /// Runs the reload off the event loop and answers when it is done (unless the client left).
    private func startReload(_ context: ChannelHandlerContext) {
        reloading = true
        let reload = endpoints.reload
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { await reload() }.whenComplete { result in
            let (handler, context) = bound.value
            handler.reloading = false
            switch result {
            case .success(nil):
                handler.respond(context, text: "Reloaded\n")
            case .success(let message?):
                handler.respond(context, status: .internalServerError, text: message.hasSuffix("\n") ? message : message + "\n")
            case .failure(let error):
                handler.respond(context, status: .internalServerError, text: "\(error)\n")
            }
        }
    }

    /// 413 for a `/-/reload` body over the limit; the rest of the body is not read.
    private func rejectBody(_ context: ChannelHandlerContext) {
        rejected = true
        respond(context, status: .payloadTooLarge, text: "request body over \(maxReloadBody) bytes\n", forceClose: true)
    }

    // MARK: - Responses

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus = .ok,
                         headers extra: [(String, String)] = [], text: String, forceClose: Bool = false) {
        respond(context, status: status, contentType: "text/plain; charset=utf-8", headers: extra,
                body: Array(text.utf8), forceClose: forceClose)
    }

    /// Writes a complete response with `Content-Length` (headers only for HEAD), then keeps
    /// the connection open if the client asked for keep-alive, or closes it.
    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus = .ok, contentType: String,
                         headers extra: [(String, String)] = [], body: [UInt8], forceClose: Bool = false) {
        respond(context, status: status, contentType: contentType, headers: extra,
                buffer: context.channel.allocator.buffer(bytes: body), forceClose: forceClose)
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus = .ok, contentType: String,
                         headers extra: [(String, String)] = [], buffer body: ByteBuffer, forceClose: Bool = false) {
        guard active, let head else { return }
        HTTPResponseWriter.write(context, request: head, status: status, contentType: contentType, headers: extra,
                                 body: body, forceClose: forceClose)
        logger.debug("HTTP request", metadata: [
            "method": "\(head.method.rawValue)",
            "path": "\(HTTPResponseWriter.path(of: head.uri).prefix(128))",
            "status": "\(status.code)",
            "bytes": "\(body.readableBytes)",
        ])
    }

    /// The values of a repeated header joined as one list; nil when the header is absent.
    private static func joined(_ values: [String]) -> String? {
        values.isEmpty ? nil : values.joined(separator: ", ")
    }
}
