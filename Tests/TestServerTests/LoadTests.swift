import Foundation
import KalmTestSupport
import Testing
@testable import TestServer

/// Many connections at once, and the pieces that shape the load-test routes.
extension FaultServerTests {
    @Test func thousandConcurrentKeepAliveConnections() throws {
        try withServer(threads: 2) { server in
            let count = 1000
            let connections = try (0..<count).map { _ in try RawConnection(port: server.port) }
            // Round 1: every request is sent before any answer is read, and each sleeps 2 s on
            // the server, so all of them are in progress at once. Round 2 reuses the connections.
            for (round, path) in ["/sleep?ms=2000", "/ok"].enumerated() {
                server.resetCounts()
                for connection in connections {
                    connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                }
                var ok = 0
                for connection in connections {
                    let response = try connection.readResponse()
                    if response.head.hasPrefix("HTTP/1.1 200"), response.body == Array("ok".utf8) { ok += 1 }
                }
                #expect(ok == count, "round \(round)")
                #expect(server.totalRequests == count, "round \(round)")
                if round == 0 { #expect(server.maxConcurrentSeen == count) }
            }
        }
    }

    @Test func logNormalMedianIsTheRequestedMedian() {
        let samples = (0..<4001).map { _ in FaultHandler.logNormalMs(median: 400, sigma: 0.5) }.sorted()
        #expect((370...430).contains(samples[2000]))
        #expect(samples.first! < 300 && samples.last! > 600)   // it does spread
        #expect(FaultHandler.logNormalMs(median: 40, sigma: 0) == 40)
    }

    @Test func requestTargetParsing() {
        let target = RequestTarget(uri: "/redirect?n=2&to=%2Fstatus%3Fcode%3D201&empty=&flag&sp=a+b#frag")
        #expect(target.path == "/redirect")
        #expect(target.query["to"] == "/status?code=201")
        #expect(target.query["empty"] == "")
        #expect(target.query["flag"] == "")
        #expect(target.query["sp"] == "a b")
        #expect(target.int("n", default: 1, in: 1...10) == 2)
        #expect(target.int("missing", default: 7, in: 1...10) == 7)
        #expect(target.int("n", default: 1, in: 5...10) == 5)
        #expect(RequestTarget(uri: "http://h:1/ok?x=1").path == "/ok")
        #expect(RequestTarget(uri: "").path == "/")
        #expect(RequestTarget.percentEncode("/status?code=201") == "/status%3Fcode%3D201")
    }

    @Test func gzipBodyRoundTripsThroughZlib() {
        let body = BodyCache.gzipZeros(count: 300_000)
        #expect(body.readableBytes < 2000)
        #expect(body.getBytes(at: 0, length: 2) == [0x1f, 0x8b])
        #expect(BodyCache.gzipZeros(count: 0).readableBytes > 0)   // a valid empty gzip stream
    }
}
