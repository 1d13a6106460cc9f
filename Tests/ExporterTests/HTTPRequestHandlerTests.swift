import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import Exporter

/// `HTTPRequestHandler` in memory: request parts in, response parts out, on an
/// `EmbeddedChannel` (no sockets, no threads). The same handler over real sockets and curl
/// is in MetricsHTTPServerTests.
@Suite struct HTTPRequestHandlerTests {
    static let routes: [HTTPRoute] = [
        .metrics { accept, _ in
            (ByteBuffer(string: "m \(accept ?? "-")\n"), "text/plain; version=0.0.4; charset=utf-8", nil)
        },
        .read("/-/healthy") { _ in .text("Healthy\n") },
        HTTPRoute("/-/reload", methods: [.POST], handler: .deferred(maxBody: 8) { _ in .text("Reloaded\n") }),
    ]

    /// A connected channel with the handler alone (the HTTP codec is NIO's, tested there).
    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            HTTPRequestHandler(router: HTTPRouter(Self.routes), logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        #expect(channel.isActive)
        return channel
    }

    /// Sends one request; returns the response head and the body bytes written.
    func exchange(_ channel: EmbeddedChannel, _ method: HTTPMethod, _ uri: String,
                  headers: HTTPHeaders = [:], body: String? = nil) throws -> (HTTPResponseHead?, String) {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        head.headers = headers
        try channel.writeInbound(HTTPServerRequestPart.head(head))
        if let body { try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: body))) }
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        var responseHead: HTTPResponseHead?
        var text = ""
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            switch part {
            case .head(let h): responseHead = h
            case .body(.byteBuffer(let b)): text += String(buffer: b)
            case .body: break
            case .end: break
            }
        }
        return (responseHead, text)
    }

    @Test func routesByPathAndHandsTheRequestHeadersOver() throws {
        let channel = try channel()
        let (head, body) = try exchange(channel, .GET, "/metrics?x=1", headers: ["Accept": "text/plain"])
        #expect(head?.status == .ok)
        #expect(head?.headers["Content-Type"] == ["text/plain; version=0.0.4; charset=utf-8"])
        #expect(head?.headers["Vary"] == ["Accept, Accept-Encoding"])
        #expect(head?.headers["Content-Length"] == [String("m text/plain\n".utf8.count)])
        #expect(body == "m text/plain\n")
        #expect(channel.isActive, "keep-alive")
    }

    @Test func headGetsTheHeadersWithoutTheBody() throws {
        let (head, body) = try exchange(try channel(), .HEAD, "/-/healthy")
        #expect(head?.status == .ok)
        #expect(head?.headers["Content-Length"] == ["8"])
        #expect(body.isEmpty)
    }

    @Test func anotherMethodIs405WithAllowAndAnotherPathIs404() throws {
        let channel = try channel()
        let (notAllowed, text) = try exchange(channel, .DELETE, "/metrics")
        #expect(notAllowed?.status == .methodNotAllowed)
        #expect(notAllowed?.headers["Allow"] == ["GET, HEAD"])
        #expect(text.contains("DELETE"))
        #expect(try exchange(channel, .GET, "/-/reload").0?.headers["Allow"] == ["POST"])
        #expect(try exchange(channel, .GET, "/nope").0?.status == .notFound)
    }

    @Test func aBodyOverTheDeferredRoutesLimitIs413AndCloses() throws {
        let channel = try channel()
        let (head, _) = try exchange(channel, .POST, "/-/reload", headers: ["Content-Length": "9"], body: "123456789")
        #expect(head?.status == .payloadTooLarge)
        #expect(head?.headers["Connection"] == ["close"])
        #expect(!channel.isActive)
    }

    @Test func theIdleTimeoutClosesAnIdleConnection() throws {
        let channel = try channel()
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
        #expect(!channel.isActive)
    }
}
