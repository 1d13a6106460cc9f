import Foundation
import KalmTestSupport
import TestServer
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The routes that break the protocol or the connection, HEAD handling, and clients that
/// hang up mid-response.
extension FaultServerTests {
    @Test func garbageIsNotHTTP() throws {
        try withServer { server in
            #expect(Curl.fetch(server.url("/garbage")).exitCode != 0)
            let connection = try RawConnection(port: server.port)
            connection.send("GET /garbage HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(String(decoding: try connection.readToEnd(), as: UTF8.self) == "this is not http\r\n\r\n")
            #expect(Curl.fetch(server.url("/ok")).status == 200)
        }
    }

    @Test func resetSendsRST() throws {
        try withServer { server in
            #expect(Curl.fetch(server.url("/reset")).exitCode == 56)   // recv failure: reset by peer
            let connection = try RawConnection(port: server.port)
            connection.send("GET /reset HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(throws: RawConnection.ReadError.errno(ECONNRESET)) { try connection.readToEnd() }
            #expect(server.requestCount(path: "/reset") == 2)
        }
    }

    @Test func closeHangsUpWithoutResponse() throws {
        try withServer { server in
            #expect(Curl.fetch(server.url("/close")).exitCode == 52)   // empty reply from server
            let connection = try RawConnection(port: server.port)
            connection.send("GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try connection.readToEnd().isEmpty)
        }
    }

    @Test func headGetsHeadersOnlyAndKeepsConnectionUsable() throws {
        try withServer { server in
            let connection = try RawConnection(port: server.port)
            // Pipelined: any stray body byte after a HEAD answer would corrupt the next response.
            connection.send("HEAD /bytes?n=1000 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /slowbody?chunks=2&interval_ms=10 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /json HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = try connection.readResponse(bodyless: true)
            #expect(bytes.head.hasPrefix("HTTP/1.1 200 OK"))
            #expect(bytes.head.lowercased().contains("content-length: 1000"))
            let slow = try connection.readResponse(bodyless: true)
            #expect(slow.head.lowercased().contains("transfer-encoding: chunked"))
            let json = try connection.readResponse(bodyless: true)
            #expect(json.head.lowercased().contains("content-type: application/json"))
            let ok = try connection.readResponse()
            #expect(ok.head.hasPrefix("HTTP/1.1 200 OK"))
            #expect(ok.body == Array("ok".utf8))
            #expect(connection.drain(for: 0.1).isEmpty)
            #expect(Curl.fetch(server.url("/headers"), ["-I"]).headers["x-kalm"] == "yes")
        }
    }

    @Test func http10GetsKeepAliveOnlyWhenAsked() throws {
        try withServer { server in
            let connection = try RawConnection(port: server.port)
            connection.send("GET /ok HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try connection.readResponse().head.lowercased().contains("connection: keep-alive"))
            connection.send("GET /ok HTTP/1.0\r\n\r\n")
            #expect(try connection.readResponse().body == Array("ok".utf8))
            #expect(try connection.readToEnd().isEmpty)   // closed after a plain 1.0 request
        }
    }

    @Test func clientsThatHangUpMidResponseLeaveNothingBehind() throws {
        try withServer(threads: 2) { server in
            // curl gives up during a slow body and during a sleep.
            #expect(Curl.fetch(server.url("/slowbody?chunks=20&interval_ms=100"), ["--max-time", "0.3"]).exitCode == 28)
            #expect(Curl.fetch(server.url("/sleep?ms=400"), ["--max-time", "0.1"]).exitCode == 28)
            // Raw sockets hang up right after asking, while holding and while queued for a slot.
            // Each connection closes as it goes out of scope, right after its request.
            for path in ["/bytes?n=50000000", "/gzip?n=5000000", "/sleep?ms=200", "/latency?mean_ms=200&sigma=0",
                         "/ramp?from_ms=200&to_ms=200", "/limited?capacity=1&ms=300", "/limited?capacity=1&ms=300",
                         "/slowbody?chunks=5&interval_ms=50"] {
                let connection = try RawConnection(port: server.port)
                connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            // One that hangs up halfway through its request body.
            do {
                let partial = try RawConnection(port: server.port)
                partial.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf a body")
                #expect(poll(timeout: 5, interval: 0.01) { server.requestCount(path: "/echo") == 1 })
            }
            // Soon nothing is counted as in progress any more (resetCounts restarts the
            // high-water mark from the current number), and the /limited slot is back.
            #expect(poll(timeout: 5, interval: 0.01) {
                server.resetCounts()
                return server.maxConcurrentSeen == 0
            })
            let limited = Curl.fetch(server.url("/limited?capacity=1&ms=10"))
            #expect(limited.status == 200)
            #expect(limited.seconds < 0.5)
            #expect(Curl.fetch(server.url("/ok")).status == 200)
        }
    }
}
