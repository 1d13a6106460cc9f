import NIOCore
import NIOHTTP1

/// Writes one complete HTTP/1 response: `Content-Length`, the body (not for HEAD), and
/// keep-alive or close as the request and `forceClose` decide. Shared by the metrics
/// server and the demo API.
public enum HTTPResponseWriter {
    /// Writes `body` with `status`, `contentType` and `extra` headers as the response to `head`, then closes the connection unless it is kept alive.
    public static func write(_ context: ChannelHandlerContext, request head: HTTPRequestHead, status: HTTPResponseStatus = .ok,
                             contentType: String, headers extra: [(String, String)] = [], body: ByteBuffer,
                             forceClose: Bool = false) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        for (name, value) in extra { headers.add(name: name, value: value) }
        let keepAlive = head.isKeepAlive && !forceClose
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if head.version == .http1_0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        if head.method != .HEAD, body.readableBytes > 0 {
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        }
        let closing: EventLoopPromise<Void>? = keepAlive ? nil : context.eventLoop.makePromise()
        let channel = context.channel
        closing?.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: closing)
    }

    /// The path part of a request target, without query string or fragment.
    public static func path(of uri: String) -> Substring {
        uri[..<(uri.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? uri.endIndex)]
    }
}
