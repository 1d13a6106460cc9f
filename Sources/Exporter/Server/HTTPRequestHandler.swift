import Logging
import NIOCore
import NIOHTTP1

/// Per-connection handler of `MetricsHTTPServer`: routes each request and writes the answer.
///
/// `HTTPServerPipelineHandler` (from `configureHTTPServerPipeline`) hands over one request at
/// a time, so this handler answers the current request before it sees the next. Two bounds
/// keep a misbehaving client cheap: request bodies are discarded (a deferred route accepts
/// up to its `maxBody` bytes, then 413 and close), and a request that arrives while the
/// connection's outbound buffer is above its high-water mark waits until the client has
/// read enough, so a client that never reads cannot make the server buffer more than one
/// response beyond the mark. The idle timeout (an `IdleStateEvent` from `IdleStateHandler`)
/// closes the connection, except while a deferred route is running.
final class HTTPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: HTTPRouter
    private let logger: Logger
    /// Basic auth and extra headers from `--web.config.file`, applied to every path.
    private let security: EndpointSecurity

    private var head: HTTPRequestHead?
    private var match = HTTPRouter.Match.notFound
    private var bodyBytes = 0
    /// The current request was already answered (413) and the connection is closing.
    private var rejected = false
    /// The current request is complete but waits for the channel to become writable.
    private var waitingForWritability = false
    /// A deferred route is running; the idle timeout must not close the connection.
    private var busy = false
    private var active = true
    /// Told when a head arrives and when its answer is written (slowloris and eviction guard).
    private let headDeadline: RequestHeadDeadline?

    init(router: HTTPRouter, logger: Logger, security: EndpointSecurity = .open, headDeadline: RequestHeadDeadline? = nil) {
        self.router = router
        self.logger = logger
        self.security = security
        self.headDeadline = headDeadline
    }

    /// The body limit of the current request's route; nil when bodies are simply discarded.
    private var maxBody: Int? {
        if case .route(let route) = match, case .deferred(let limit, _) = route.handler { return limit }
        return nil
    }

    // MARK: - Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            headDeadline?.headReceived()
            head = requestHead
            match = router.match(method: requestHead.method, uri: requestHead.uri)
            bodyBytes = 0
            rejected = false
            if let limit = maxBody, let length = requestHead.headers.first(name: "content-length").flatMap(Int.init),
               length > limit {
                rejectBody(context, limit: limit)
            }
        case .body(let chunk):
            guard let limit = maxBody, !rejected else { return }   // other bodies are discarded
            bodyBytes += chunk.readableBytes
            if bodyBytes > limit { rejectBody(context, limit: limit) }
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
            if !busy { context.close(promise: nil) }
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
        let request = HTTPRequest(method: head.method, path: String(HTTPResponseWriter.path(of: head.uri)),
                                  headers: head.headers)
        if let limiter = security.rateLimiter, !limiter.allow() { return respond(context, Self.rateLimited) }
        guard let auth = security.authenticator else { return route(context, request) }
        // Every path needs the credentials, as exporter-toolkit's; a bcrypt check runs off the loop.
        guard let (user, password) = BasicAuthenticator.credentials(head.headers.first(name: "authorization")) else {
            return respond(context, Self.unauthorized)
        }
        if let known = auth.cached(user: user, password: password) {
            return known ? route(context, request) : respond(context, Self.unauthorized)
        }
        busy = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { await auth.verify(user: user, password: password) }.whenComplete { result in
            let (handler, context) = bound.value
            handler.busy = false
            switch result {
            case .success(.allowed): handler.route(context, request)
            case .success(.busy): handler.respond(context, Self.tooManyChecks)
            default: handler.respond(context, Self.unauthorized)
            }
        }
    }

    static let unauthorized = HTTPReply.text("Unauthorized\n", status: .unauthorized, headers: [("WWW-Authenticate", "Basic")])
    static let rateLimited = HTTPReply.text("Too Many Requests\n", status: .tooManyRequests)
    static let tooManyChecks = HTTPReply.text("too many password checks in flight; retry\n", status: .tooManyRequests,
                                              headers: [("Retry-After", "1")])

    private func route(_ context: ChannelHandlerContext, _ request: HTTPRequest) {
        guard let head else { return }
        switch match {
        case .route(let route):
            switch route.handler {
            case .immediate(let answer):
                respond(context, answer(request))
            case .deferred(_, let answer):
                startDeferred(context, request: request, answer: answer)
            }
        case .methodNotAllowed(let allow):
            respond(context, .text("method \(head.method.rawValue) not allowed; use \(allow)\n",
                                   status: .methodNotAllowed, headers: [("Allow", allow)]))
        case .notFound:
            respond(context, .text("not found\n", status: .notFound))
        }
    }

    /// Runs a deferred route off the event loop and answers when it is done (unless the client left).
    private func startDeferred(_ context: ChannelHandlerContext, request: HTTPRequest,
                               answer: @escaping @Sendable (HTTPRequest) async -> HTTPReply) {
        busy = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { await answer(request) }.whenComplete { result in
            let (handler, context) = bound.value
            handler.busy = false
            switch result {
            case .success(let reply):
                handler.respond(context, reply)
            case .failure(let error):
                handler.respond(context, .text("\(error)\n", status: .internalServerError))
            }
        }
    }

    /// 413 for a body over the route's limit; the rest of the body is not read.
    private func rejectBody(_ context: ChannelHandlerContext, limit: Int) {
        rejected = true
        respond(context, .text("request body over \(limit) bytes\n", status: .payloadTooLarge), forceClose: true)
    }

    // MARK: - Responses

    /// Writes a complete response with `Content-Length` (headers only for HEAD), then keeps
    /// the connection open if the client asked for keep-alive, or closes it.
    private func respond(_ context: ChannelHandlerContext, _ reply: HTTPReply, forceClose: Bool = false) {
        guard active, let head else { return }
        HTTPResponseWriter.write(context, request: head, status: reply.status, contentType: reply.contentType,
                                 headers: reply.headers + security.headers, body: reply.body, forceClose: forceClose)
        headDeadline?.requestFinished(context)
        logger.debug("HTTP request", metadata: [
            "method": "\(head.method.rawValue)",
            "path": "\(HTTPResponseWriter.path(of: head.uri).prefix(128))",
            "status": "\(reply.status.code)",
            "bytes": "\(reply.body.readableBytes)",
        ])
    }
}
