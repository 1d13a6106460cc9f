import NIOCore

/// Closes a connection whose request head does not arrive in time or grows too large: from
/// the accept (which covers the TLS handshake) and from the first byte of each later request,
/// the head (request line and headers) must be complete within `timeout` and `maxBytes`. A
/// slowloris client that dribbles a header byte at a time is answered 408 and closed after
/// `timeout`; a head over `maxBytes`, a URL included, 431. An idle keep-alive connection is
/// left to the idle timeout. (Go's `ReadHeaderTimeout`; docs/configuration.md, "Limits".)
///
/// Sits before the HTTP decoder and sees the raw (decrypted) bytes; `HTTPRequestHandler`
/// tells it when a head has been decoded and when its response is done. Also counts as the
/// connection's activity for `ChannelRegistry`'s eviction.
final class RequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private enum State { case awaitingHead, inRequest, idle }
    private var state = State.awaitingHead
    /// Bytes of a next request arrived while the current one was being answered.
    private var pendingBytes = false
    private var timer: Scheduled<Void>?
    /// Bytes read since the current head began.
    private var headBytes = 0
    private let timeout: TimeAmount
    private let maxBytes: Int
    let activity: ConnectionActivity

    init(timeout: TimeAmount, maxBytes: Int, activity: ConnectionActivity) {
        self.timeout = timeout
        self.maxBytes = maxBytes
        self.activity = activity
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if timer == nil, state == .awaitingHead { arm(context) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .idle:
            state = .awaitingHead
            activity.set(.readingHead)
            arm(context)
        case .inRequest:
            pendingBytes = true
        case .awaitingHead:
            break
        }
        let counted = state == .awaitingHead
        if counted { headBytes += unwrapInboundIn(data).readableBytes }
        // The decoder runs inside this call and reports a complete head through headReceived().
        context.fireChannelRead(data)
        if counted, state == .awaitingHead, headBytes > maxBytes {
            refuse(context, "431 Request Header Fields Too Large")
        }
    }

    /// The decoder produced a request head: the deadline is met.
    func headReceived() {
        timer?.cancel()
        timer = nil
        headBytes = 0
        state = .inRequest
        activity.set(.inRequest)
    }

    /// The response is written; the next request's clock starts at its first byte.
    func requestFinished(_ context: ChannelHandlerContext) {
        guard state == .inRequest else { return }
        activity.set(.idle)
        if pendingBytes {
            pendingBytes = false
            state = .awaitingHead
            arm(context)
        } else {
            state = .idle
        }
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            if handler.state == .awaitingHead { handler.refuse(context, "408 Request Timeout") }
        }
    }

    /// Answers below the HTTP encoder (this handler sits before it) and closes; a client that
    /// sent nothing (or never finished its TLS handshake) is closed without an answer.
    private func refuse(_ context: ChannelHandlerContext, _ status: String) {
        state = .inRequest   // nothing more is read or answered
        timer?.cancel()
        if headBytes > 0 {
            let text = "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: text)), promise: nil)
        }
        context.close(promise: nil)
    }
}
