import Exporter
import Foundation
import Measurements
import NIOCore
import NIOHTTP1

/// Per-connection handler of the demo API.
///
/// `POST /v1/valuations` answers after a delay drawn from the profile, scheduled on the
/// channel's event loop (never blocking it); the timer is cancelled when the client hangs
/// up, so a client that disconnects mid-delay leaves nothing behind.
final class DemoAPIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Largest request body read (bigger ones get 413 and the connection is closed).
    static let maxBody = 64 * 1024

    private let profile: DemoLatencyProfile
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var rejected = false
    private var active = true
    private var timer: Scheduled<Void>?

    init(profile: DemoLatencyProfile) {
        self.profile = profile
    }

    // MARK: - Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = nil
            rejected = false
        case .body(var chunk):
            guard !rejected, HTTPResponseWriter.path(of: head?.uri ?? "") == "/v1/valuations" else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > Self.maxBody {
                rejected = true
                respond(context, status: .payloadTooLarge, json: #"{"error":"body too large"}"#, forceClose: true)
                return
            }
            if body == nil { body = context.channel.allocator.buffer(capacity: chunk.readableBytes) }
            body!.writeBuffer(&chunk)
        case .end:
            if !rejected { route(context) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: - Routing

    private func route(_ context: ChannelHandlerContext) {
        guard let head else { return }
        let readable = head.method == .GET || head.method == .HEAD
        switch HTTPResponseWriter.path(of: head.uri) {
        case "/v1/valuations":
            if head.method == .POST {
                valuate(context)
            } else {
                respond(context, status: .methodNotAllowed, headers: [("Allow", "POST")],
                        json: #"{"error":"method not allowed; use POST"}"#)
            }
        case "/healthz":
            if readable {
                respond(context, json: #"{"status":"ok"}"#)
            } else {
                respond(context, status: .methodNotAllowed, headers: [("Allow", "GET, HEAD")],
                        json: #"{"error":"method not allowed; use GET"}"#)
            }
        default:
            respond(context, status: .notFound, json: #"{"error":"not found"}"#)
        }
    }

    /// Validates the body at once (400 without delay), then answers after the profile's delay.
    private func valuate(_ context: ChannelHandlerContext) {
        let bytes = body.map { Data($0.readableBytesView) } ?? Data()
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
            return respond(context, status: .badRequest, json: #"{"error":"request body must be a JSON object"}"#)
        }
        let valuation = DemoValuation(json: object)
        let fails = profile.sampleFailure()
        let delay = TimeAmount.microseconds(Int64(profile.sampleDelayMs() * 1000))
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            timer = nil
            if fails {
                respond(context, status: .serviceUnavailable, json: #"{"error":"upstream unavailable"}"#)
            } else {
                respond(context, json: valuation.responseJSON())
            }
        }
    }

    // MARK: - Responses

    /// Writes a complete JSON response (headers only for HEAD); closes the connection unless
    /// the client asked for keep-alive.
    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus = .ok,
                         headers extra: [(String, String)] = [], json: String, forceClose: Bool = false) {
        guard active, let head else { return }
        HTTPResponseWriter.write(context, request: head, status: status, contentType: "application/json", headers: extra,
                                 body: context.channel.allocator.buffer(string: json), forceClose: forceClose)
    }
}
