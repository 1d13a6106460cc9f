import Foundation
import NIOCore
import NIOHTTP1

/// Per-connection handler: routes each request to a normal or faulty response.
///
/// `HTTPServerPipelineHandler` (installed by `configureHTTPServerPipeline`) holds back
/// pipelined requests, so this handler deals with one request at a time. Every delayed
/// action is a timer on the channel's event loop; the timer is cancelled and the
/// `/limited` slot released when the channel goes inactive, so a client that hangs up
/// mid-response leaves nothing behind.
final class FaultHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let jsonBody = #"{"id":"val_123","estimated_value":1234.5,"currency":"EUR","ok":true,"items":[{"name":"a"},{"name":"b"}],"a b":{"c":null}}"#
    /// Upper bound for `/bytes` and `/gzip` sizes (256 MiB).
    static let maxBodySize = 256 << 20
    /// Upper bound for any delay parameter (10 minutes).
    static let maxDelayMs = 600_000
    /// Largest request body `/oauth/token` and `/api/items` buffer (64 KiB); a larger one gets 413.
    static let maxBufferedBody = 64 * 1024

    private let state: ServerState
    private var head: HTTPRequestHead?
    private var target = RequestTarget(uri: "/")
    private var ordinal = 0
    private var requestBody: ByteBuffer?
    private var bodyLimit = 0
    private var bodyTooLarge = false
    private var inProgress = false
    private var active = true
    private var timer: Scheduled<Void>?
    private var heldGate: CapacityGate?

    init(state: ServerState) {
        self.state = state
    }

    // MARK: - Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            target = RequestTarget(uri: requestHead.uri)
            // Only the routes that read the body keep it; everything else drops it unread.
            bodyLimit = Self.bodyLimit(path: target.path)
            bodyTooLarge = false
            requestBody = bodyLimit > 0 ? context.channel.allocator.buffer(capacity: 0) : nil
            ordinal = state.requestStarted(path: target.path)
            inProgress = true
        case .body(var chunk):
            guard let kept = requestBody?.readableBytes else { return }
            if kept + chunk.readableBytes > bodyLimit {
                // Keep reading (HTTP/1.1 framing needs it) but let go of what was kept.
                bodyTooLarge = true
                requestBody = nil
            } else {
                requestBody?.writeBuffer(&chunk)
            }
        case .end:
            route(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        timer?.cancel()
        timer = nil
        releaseGate()
        finishRequest()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: - Routing

    private func route(context: ChannelHandlerContext) {
        guard let head else { return }
        if bodyTooLarge {
            return respond(context, status: .payloadTooLarge, body: "request body over \(bodyLimit) bytes\n")
        }
        switch target.path {
        case "/ok":
            respond(context, body: "ok")
        case "/sleep":
            after(context, ms: target.int("ms", default: 50, in: 0...Self.maxDelayMs)) { $0.respond($1, body: "ok") }
        case "/status":
            let code = target.int("code", default: 200, in: 0...999)
            if (200...599).contains(code) {
                let bodyless = code == 204 || code == 304   // these must not carry a body
                respond(context, status: HTTPResponseStatus(statusCode: code), body: bodyless ? "" : "status \(code)\n")
            } else {
                respond(context, status: .badRequest, body: "code must be 200...599\n")
            }
        case "/json":
            respond(context, contentType: "application/json", body: Self.jsonBody)
        case "/valuations":
            if head.method == .POST {
                respond(context, contentType: "application/json", body: Self.randomValuation())
            } else {
                respond(context, status: .methodNotAllowed, headers: [("Allow", "POST")], body: "use POST\n")
            }
        case "/echo":
            var extra = [("X-Request-Method", head.method.rawValue)]
            for name in (target.query["headers"] ?? "").split(separator: ",") {
                let name = name.trimmingCharacters(in: .whitespaces)
                let values = head.headers[name]
                if !name.isEmpty, !values.isEmpty {
                    extra.append(("X-Echo-\(name)", values.joined(separator: ", ")))
                }
            }
            let type = head.headers.first(name: "content-type") ?? "application/octet-stream"
            respond(context, contentType: type, headers: extra,
                    body: requestBody ?? context.channel.allocator.buffer(capacity: 0))
        case "/headers":
            respond(context, headers: [("X-Kalm", "yes"), ("Cache-Control", "no-store")], body: "headers\n")
        case "/garbage":
            writeGarbage(context)
        case "/reset":
            resetConnection(context)
        case "/close":
            context.close(promise: nil)
        case "/bytes":
            let n = target.int("n", default: 1000, in: 0...Self.maxBodySize)
            respond(context, contentType: "application/octet-stream", body: state.plainBody(size: n))
        case "/gzip":
            let n = target.int("n", default: 1000, in: 0...Self.maxBodySize)
            respond(context, headers: [("Content-Encoding", "gzip")], body: state.gzipBody(size: n))
        case "/slowbody":
            startSlowBody(context,
                          chunks: target.int("chunks", default: 10, in: 0...100_000),
                          intervalMs: target.int("interval_ms", default: 500, in: 0...Self.maxDelayMs))
        case "/redirect":
            let hops = target.int("n", default: 1, in: 1...1000)
            let destination = target.query["to"].flatMap { $0.isEmpty ? nil : $0 } ?? "/ok"
            let location = hops > 1
                ? "/redirect?n=\(hops - 1)&to=\(RequestTarget.percentEncode(destination))"
                : destination
            respond(context, status: .found, headers: [("Location", location)], body: "redirect\n")
        case "/flaky":
            let every = target.int("every", default: 2, in: 1...Int.max)
            let failing = ordinal % every == 0
            let reply: (FaultHandler, ChannelHandlerContext) -> Void = { handler, context in
                if failing {
                    handler.respond(context, status: .internalServerError, body: "flaky failure \(handler.ordinal)\n")
                } else {
                    handler.respond(context, body: "ok")
                }
            }
            let ms = target.int("ms", default: 0, in: 0...Self.maxDelayMs)
            if ms > 0 { after(context, ms: ms, reply) } else { reply(self, context) }
        case "/switch":
            // The status of switch `name` (200 until a test sets it with FaultServer.setSwitch).
            let code = state.switchStatus(target.query["name"] ?? "default")
            respond(context, status: HTTPResponseStatus(statusCode: code), body: "switch \(code)\n")
        case "/latency":
            // `switch=NAME`: while that switch is not 200, answer its status at once (no delay, not logged).
            if let name = target.query["switch"], case let code = state.switchStatus(name), code != 200 {
                return respond(context, status: HTTPResponseStatus(statusCode: code), body: "switch \(code)\n")
            }
            let median = target.double("mean_ms", default: 40, in: 0...Double(Self.maxDelayMs))
            let sigma = target.double("sigma", default: 0.5, in: 0...10)
            let ms = Self.logNormalMs(median: median, sigma: sigma)
            var entry = LatencyLogEntry(tag: target.query["tag"] ?? "", ms: ms, traceparent: head.headers.first(name: "traceparent"),
                                        tracestate: head.headers.first(name: "tracestate"))
            entry.arrivedAt = Date().timeIntervalSince1970
            let start = NIODeadline.now()
            after(context, ms: ms) { handler, context in
                var e = entry
                e.elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
                handler.state.logLatency(e)
                handler.respond(context, body: "ok")
            }
        case "/ramp":
            let from = target.double("from_ms", default: 20, in: 0...Double(Self.maxDelayMs))
            let to = target.double("to_ms", default: 40, in: 0...Double(Self.maxDelayMs))
            let over = target.double("over_s", default: 30, in: 0...1e9)
            let elapsed = state.rampElapsedSeconds()
            let progress = over > 0 ? min(1, elapsed / over) : 1
            after(context, ms: Int((from + (to - from) * progress).rounded())) { $0.respond($1, body: "ok") }
        case "/limited":
            let gate = state.gate(capacity: target.int("capacity", default: 50, in: 1...1_000_000))
            let ms = target.int("ms", default: 10, in: 0...Self.maxDelayMs)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            gate.acquire(on: context.eventLoop) {
                let (handler, context) = bound.value
                guard handler.active else { return gate.release() }   // hung up while queued
                handler.heldGate = gate
                handler.after(context, ms: ms) { handler, context in
                    handler.releaseGate()
                    handler.respond(context, body: "ok")
                }
            }
        case "/oauth/token":
            respond(context, OAuthRoutes.token(head: head, target: target, body: requestBody, state: state))
        case "/count":
            // How many requests a path has seen, for clients that only speak HTTP
            // (FaultServer.requestCount in-process); `unauthorized` counts 401 answers.
            if let path = target.query["path"], !path.isEmpty {
                respond(context, body: "\(state.count(path: path))\n")
            } else {
                respond(context, status: .badRequest, body: "path is required, e.g. /count?path=/ok\n")
            }
        case let path where path.hasPrefix("/hostile/"):
            hostile(context, String(path.dropFirst("/hostile/".count)))
        default:
            if ItemRoutes.matches(target.path) {
                respond(context, ItemRoutes.handle(head: head, path: target.path, body: requestBody, state: state))
            } else {
                respond(context, status: .notFound, body: "not found\n")
            }
        }
    }

    /// How many body bytes the route for `path` keeps: 0 for routes that ignore the body.
    /// `/echo` stays unbounded, as it always was; the JSON and form routes parse what they
    /// keep, so they get a bound a test client cannot blow up.
    static func bodyLimit(path: String) -> Int {
        if path == "/echo" { return Int.max }
        if path == "/oauth/token" || ItemRoutes.matches(path) { return maxBufferedBody }
        return 0
    }

    // MARK: - Responses

    /// Writes a complete response with `Content-Length` (no body for HEAD), keeping the
    /// connection open when the client asked for keep-alive.
    private func respond(_ context: ChannelHandlerContext,
                         status: HTTPResponseStatus = .ok,
                         contentType: String = "text/plain; charset=utf-8",
                         headers extra: [(String, String)] = [],
                         body: String) {
        respond(context, status: status, contentType: contentType, headers: extra,
                body: context.channel.allocator.buffer(string: body))
    }

    private func respond(_ context: ChannelHandlerContext,
                         status: HTTPResponseStatus = .ok,
                         contentType: String = "text/plain; charset=utf-8",
                         headers extra: [(String, String)] = [],
                         body: ByteBuffer) {
        guard active, let head else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        for (name, value) in extra { headers.add(name: name, value: value) }
        let keepAlive = addConnectionHeader(&headers, for: head)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        if head.method != .HEAD, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        end(context, keepAlive: keepAlive)
    }

    private func respond(_ context: ChannelHandlerContext, _ reply: RouteReply) {
        respond(context, status: reply.status, contentType: reply.contentType, headers: reply.headers, body: reply.body)
    }

    /// `/slowbody`: chunked head now, then one small chunk every `intervalMs`.
    private func startSlowBody(_ context: ChannelHandlerContext, chunks: Int, intervalMs: Int) {
        guard let head else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        // Chunked framing needs HTTP/1.1; an HTTP/1.0 body is delimited by closing instead.
        let chunked = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
        let keepAlive = addConnectionHeader(&headers, for: head) && chunked
        if chunked { headers.add(name: "Transfer-Encoding", value: "chunked") }
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))),
                              promise: nil)
        guard head.method != .HEAD else { return end(context, keepAlive: keepAlive) }
        func sendChunk(_ index: Int) {
            guard index <= chunks else { return end(context, keepAlive: keepAlive) }
            after(context, ms: intervalMs) { handler, context in
                let chunk = context.channel.allocator.buffer(string: "chunk \(index)\n")
                context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
                sendChunk(index + 1)
            }
        }
        sendChunk(1)
    }

    /// `/garbage`: bytes that are not HTTP, written below the HTTP encoder, then close.
    private func writeGarbage(_ context: ChannelHandlerContext) {
        writeRaw(context, Array("this is not http\r\n\r\n".utf8), close: true)
    }

    /// Writes `bytes` below the HTTP encoder (anything, valid HTTP or not); closes afterwards when asked.
    func writeRaw(_ context: ChannelHandlerContext, _ bytes: [UInt8], close: Bool) {
        guard let encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) else {
            return context.close(promise: nil)
        }
        let channel = context.channel
        let future = encoder.writeAndFlush(NIOAny(channel.allocator.buffer(bytes: bytes)))
        if close { future.whenComplete { _ in channel.close(promise: nil) } }
    }

    /// `/reset`: SO_LINGER {on, 0} makes close() send a TCP RST instead of a FIN.
    private func resetConnection(_ context: ChannelHandlerContext) {
        guard let provider = context.channel as? SocketOptionProvider else { return context.close(promise: nil) }
        let channel = context.channel
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: - Helpers

    /// Adds the `Connection` header the request calls for; returns whether to keep the connection.
    private func addConnectionHeader(_ headers: inout HTTPHeaders, for head: HTTPRequestHead) -> Bool {
        if !head.isKeepAlive {
            headers.add(name: "Connection", value: "close")
        } else if head.version == .http1_0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        return head.isKeepAlive
    }

    /// Writes the end of the response and closes the connection unless it is kept alive.
    private func end(_ context: ChannelHandlerContext, keepAlive: Bool) {
        let promise: EventLoopPromise<Void>? = keepAlive ? nil : context.eventLoop.makePromise()
        let channel = context.channel
        promise?.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
        finishRequest()
    }

    /// Runs `body` on the event loop after `ms` milliseconds unless the channel closed first.
    func after(_ context: ChannelHandlerContext, ms: Int,
                       _ body: @escaping (FaultHandler, ChannelHandlerContext) -> Void) {
        guard active else { return }
        let bound = NIOLoopBound((self, context, body), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: .milliseconds(Int64(ms))) {
            let (handler, context, body) = bound.value
            handler.timer = nil
            guard handler.active else { return }
            body(handler, context)
        }
    }

    private func finishRequest() {
        guard inProgress else { return }
        inProgress = false
        state.requestFinished()
    }

    private func releaseGate() {
        heldGate?.release()
        heldGate = nil
    }

    /// A log-normal sample in milliseconds whose median is `median`.
    static func logNormalMs(median: Double, sigma: Double) -> Int {
        let u1 = Double.random(in: Double.leastNonzeroMagnitude..<1)
        let u2 = Double.random(in: 0..<1)
        let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        return Int(min(median * exp(sigma * z), Double(maxDelayMs)).rounded())
    }

    /// The body of a `/valuations` answer: a fresh id and a random value.
    static func randomValuation() -> String {
        let id = (0..<12).map { _ in String(Int.random(in: 0..<16), radix: 16) }.joined()
        let value = Double(Int.random(in: 5_000_000...150_000_000)) / 100
        return #"{"id":"val_\#(id)","estimated_value":\#(value)}"#
    }
}
