import NIOCore

/// On a TLS port, answers a client that speaks plain HTTP with Go's 400 ("Client sent an
/// HTTP request to an HTTPS server.") instead of a TLS alert it cannot read, then closes.
/// Looks at the first byte only (a TLS handshake record starts with 0x16) and then leaves
/// the pipeline.
final class PlainHTTPProbe: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    static let answer = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self), (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) {
            context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: Self.answer)), promise: nil)
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }
}
