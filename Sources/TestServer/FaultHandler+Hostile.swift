import Foundation
import NIOCore

/// `/hostile/NAME`: targets broken in the ways an attacker or a broken server would be, each
/// written byte by byte below the HTTP encoder (complete answers close the connection: the
/// server's HTTP pipeline never saw them end, so it would hold the next request). A synthetic monitor must count each as a
/// failure within its timeout, with bounded memory, and never fall over (docs/metrics.md,
/// "Failure reasons"). `FaultHandler.hostileRoutes` lists them with the reason kalm gives.
extension FaultHandler {
    /// Every hostile route and the failure reason a probe of it gets with a short timeout
    /// (nil: the response is valid HTTP and succeeds; its checks may fail).
    static let hostileRoutes: [(name: String, reason: String?)] = [
        ("http09", "other"),                 // a body without a status line (HTTP/0.9)
        ("bad-status", "other"),             // "HTTP/1.1 abc"
        ("huge-header", "other"),            // one 1 MiB header line
        ("many-headers", nil),               // 20,000 small headers: valid, bounded
        ("endless-1xx", "timeout"),          // 100 Continue forever
        ("bad-chunked", "other"),            // a chunk size that is not hex
        ("truncated-chunked", "other"),      // the connection ends inside a chunk
        ("short-body", "other"),             // Content-Length larger than what is sent
        ("trickle-head", "timeout"),         // the status line a byte every 200 ms
        ("endless-body", "timeout"),         // chunks forever, slowly
        ("huge-body", "body_limit"),         // Content-Length 10 GiB, sent fast
        ("redirect-loop", "other"),          // Location: itself
        ("reset-after-head", "other"),       // headers, then a TCP reset
        ("json-deep", nil),                  // 200 with 100,000 nested arrays
        ("json-huge-number", nil),           // {"id": 1e999999}
        ("json-bad-utf8", nil),              // invalid UTF-8 inside a JSON string
        ("nul-bytes", nil),                  // NUL bytes in the body
        ("gzip-bomb", "body_limit"),         // 64 KiB of gzip that inflates to 64 MiB
        ("deflate-bomb", "body_limit"),      // the same as Content-Encoding: deflate (zlib)
    ]

    /// 64 MiB of zeros compressed (≈ 64 KiB each), made once per process (a third of a
    /// second each; `FaultServer.prepareHostileRoutes()` makes them before a timed test).
    static let gzipBomb = Array(BodyCache.gzipZeros(count: 64 << 20).readableBytesView)
    static let deflateBomb = Array(BodyCache.gzipZeros(count: 64 << 20, zlibContainer: true).readableBytesView)

    func hostile(_ context: ChannelHandlerContext, _ name: String) {
        func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
        switch name {
        case "http09":
            writeRaw(context, bytes("hello, no status line\n"), close: true)
        case "bad-status":
            writeRaw(context, bytes("HTTP/1.1 abc Broken\r\nContent-Length: 2\r\n\r\nok"), close: true)
        case "huge-header":
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nX-Huge: " + String(repeating: "a", count: 1 << 20) + "\r\nContent-Length: 2\r\n\r\nok"), close: true)
        case "many-headers":
            var head = "HTTP/1.1 200 OK\r\n"
            for i in 0..<20_000 { head += "X-H\(i): v\r\n" }
            writeRaw(context, bytes(head + "Content-Length: 2\r\nConnection: close\r\n\r\nok"), close: true)
        case "endless-1xx":
            interim(context)
        case "bad-chunked":
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"), close: true)
        case "truncated-chunked":
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly five"), close: true)
        case "short-body":
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nten bytes!"), close: true)
        case "trickle-head":
            trickle(context, Array(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")), at: 0)
        case "endless-body":
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), close: false)
            chunks(context)
        case "huge-body":
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nContent-Length: 10737418240\r\n\r\n"), close: false)
            flood(context, left: 64)
        case "redirect-loop":
            writeRaw(context, bytes("HTTP/1.1 302 Found\r\nLocation: /hostile/redirect-loop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), close: true)
        case "reset-after-head":
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial"), close: false)
            if let provider = context.channel as? SocketOptionProvider {
                let channel = context.channel
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            }
        case "json-deep":
            let body = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body), close: true)
        case "json-huge-number":
            let body = "{\"id\": 1e999999, \"n\": " + String(repeating: "9", count: 100_000) + "}"
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body), close: true)
        case "json-bad-utf8":
            let body: [UInt8] = bytes("{\"id\": \"") + [0xFF, 0xFE, 0xC0, 0x80] + bytes("\"}")
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n") + body, close: true)
        case "nul-bytes":
            let body = [UInt8](repeating: 0, count: 1000)
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n") + body, close: true)
        case "gzip-bomb", "deflate-bomb":
            let (encoding, body) = name == "gzip-bomb" ? ("gzip", Self.gzipBomb) : ("deflate", Self.deflateBomb)
            writeRaw(context, bytes("HTTP/1.1 200 OK\r\nContent-Encoding: \(encoding)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n") + body, close: true)
        default:
            writeRaw(context, bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), close: true)
        }
    }

    /// `100 Continue` every 20 ms until the client gives up.
    private func interim(_ context: ChannelHandlerContext) {
        writeRaw(context, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), close: false)
        after(context, ms: 20) { $0.interim($1) }
    }

    /// One byte every 200 ms.
    private func trickle(_ context: ChannelHandlerContext, _ bytes: [UInt8], at i: Int) {
        guard i < bytes.count else { return }
        writeRaw(context, [bytes[i]], close: false)
        after(context, ms: 200) { $0.trickle($1, bytes, at: i + 1) }
    }

    /// A small chunk every 100 ms, never the last one.
    private func chunks(_ context: ChannelHandlerContext) {
        writeRaw(context, Array("4\r\nmore\r\n".utf8), close: false)
        after(context, ms: 100) { $0.chunks($1) }
    }

    /// 1 MiB at a time, `left` times, then close.
    private func flood(_ context: ChannelHandlerContext, left: Int) {
        guard left > 0 else { return context.close(promise: nil) }
        writeRaw(context, [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20), close: false)
        after(context, ms: 1) { $0.flood($1, left: left - 1) }
    }
}

extension FaultServer {
    /// The `/hostile/NAME` routes and the failure reason a probe of each gets (nil: it succeeds).
    public static var hostileRoutes: [(name: String, reason: String?)] { FaultHandler.hostileRoutes }

    /// Makes the bombs' bodies now, so that the first request of one is not slowed by it.
    public static func prepareHostileRoutes() {
        _ = FaultHandler.gzipBomb
        _ = FaultHandler.deflateBomb
    }
}
