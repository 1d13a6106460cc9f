import Foundation
import KalmTestSupport
import TestServer
import Testing

/// All FaultServer tests form one serialized suite: several of them measure time, and
/// running them one after another keeps the 2-core machine quiet enough for that.
@Suite(.serialized)
struct FaultServerTests {
    /// Starts a server, runs `body`, and always shuts the server down.
    func withServer(threads: Int = 1, _ body: (FaultServer) throws -> Void) rethrows {
        let server = try! FaultServer.start(threads: threads)
        defer { server.shutdown() }
        try body(server)
    }


}

/// The well-behaved routes.
extension FaultServerTests {
    @Test func okCountsRequestsPerPathWithoutQuery() {
        withServer { server in
            #expect(server.baseURL == "http://127.0.0.1:\(server.port)")
            let response = Curl.fetch(server.url("/ok?x=1"))
            #expect(response.exitCode == 0)
            #expect(response.status == 200)
            #expect(response.text == "ok")
            _ = Curl.fetch(server.url("/ok"), ["-X", "DELETE"])
            _ = Curl.fetch(server.url("/nothing-here"))
            #expect(server.requestCount(path: "/ok") == 2)
            #expect(server.requestCount(path: "/nothing-here") == 1)
            #expect(server.totalRequests == 3)
            server.resetCounts()
            #expect(server.requestCount(path: "/ok") == 0)
            #expect(server.totalRequests == 0)
        }
    }

    @Test func anyMethodIsServedAndUnknownPathsAre404() {
        withServer { server in
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
                #expect(Curl.fetch(server.url("/ok"), ["-X", method]).status == 200)
            }
            let missing = Curl.fetch(server.url("/missing"))
            #expect(missing.status == 404)
            #expect(missing.text == "not found\n")
        }
    }

    @Test func keepAliveConnectionIsReused() {
        withServer { server in
            // One curl process, three URLs: only the first opens a connection.
            let run = Curl.run(["-s", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
                                "-w", "%{http_code}:%{num_connects} ",
                                server.url("/ok"), server.url("/json"), server.url("/status?code=503")])
            #expect(run.exitCode == 0)
            #expect(run.stdout == "200:1 200:0 503:0 ")
        }
    }

    @Test func sleepDelaysTheResponse() {
        withServer { server in
            let response = Curl.fetch(server.url("/sleep?ms=300"))
            #expect(response.status == 200)
            #expect(response.seconds >= 0.3)
        }
    }

    @Test func statusReturnsTheRequestedCode() {
        withServer { server in
            for code in [200, 201, 404, 429, 500, 503] {
                let response = Curl.fetch(server.url("/status?code=\(code)"))
                #expect(response.status == code)
                #expect(response.text == "status \(code)\n")
            }
            #expect(Curl.fetch(server.url("/status?code=42")).status == 400)
            // 204 and 304 carry no body, so the connection stays usable.
            let run = Curl.run(["-s", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code}:%{num_connects} ",
                                server.url("/status?code=204"), server.url("/status?code=304"), server.url("/ok")])
            #expect(run.stdout == "204:1 304:0 200:0 ")
        }
    }

    @Test func jsonReturnsTheFixedDocument() throws {
        try withServer { server in
            let response = Curl.fetch(server.url("/json"))
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.text == #"{"id":"val_123","estimated_value":1234.5,"currency":"EUR","ok":true,"items":[{"name":"a"},{"name":"b"}],"a b":{"c":null}}"#)
            let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
            #expect(object["currency"] as? String == "EUR")
        }
    }

    @Test func valuationsAcceptsPostOnly() throws {
        try withServer { server in
            let first = Curl.fetch(server.url("/valuations"), ["-X", "POST", "-H", "Content-Type: application/json",
                                                              "-d", #"{"address":"x"}"#])
            #expect(first.status == 200)
            #expect(first.headers["content-type"] == "application/json")
            let object = try #require(try JSONSerialization.jsonObject(with: first.body) as? [String: Any])
            let id = try #require(object["id"] as? String)
            #expect(id.hasPrefix("val_"))
            #expect(object["estimated_value"] is NSNumber)
            #expect(object.count == 2)
            let second = Curl.fetch(server.url("/valuations"), ["-X", "POST"])
            #expect(second.text != first.text)
            let get = Curl.fetch(server.url("/valuations"))
            #expect(get.status == 405)
            #expect(get.headers["allow"] == "POST")
        }
    }

    @Test func echoReturnsBodyMethodAndSelectedHeaders() {
        withServer { server in
            let response = Curl.fetch(server.url("/echo?headers=x-foo,X-Trace-Id,absent"),
                                      ["-X", "PUT", "-H", "X-Foo: bar", "-H", "X-Trace-Id: 42",
                                       "-H", "Content-Type: text/plain", "--data-binary", "hello body"])
            #expect(response.status == 200)
            #expect(response.text == "hello body")
            #expect(response.headers["x-request-method"] == "PUT")
            #expect(response.headers["x-echo-x-foo"] == "bar")
            #expect(response.headers["x-echo-x-trace-id"] == "42")
            #expect(response.headers["x-echo-absent"] == nil)
            #expect(response.headers["content-type"] == "text/plain")
            let get = Curl.fetch(server.url("/echo"))
            #expect(get.text == "")
            #expect(get.headers["x-request-method"] == "GET")
        }
    }

    @Test func headersRouteSetsCustomHeaders() {
        withServer { server in
            let response = Curl.fetch(server.url("/headers"))
            #expect(response.status == 200)
            #expect(response.headers["x-kalm"] == "yes")
            #expect(response.headers["cache-control"] == "no-store")
        }
    }

    @Test func bytesReturnsExactlyNBytes() {
        withServer { server in
            let response = Curl.fetch(server.url("/bytes?n=1000000"), writeOut: "%{size_download}")
            #expect(response.status == 200)
            #expect(response.headers["content-length"] == "1000000")
            #expect(response.body.count == 1_000_000)
            #expect(response.writeOut == "1000000")
            #expect(Curl.fetch(server.url("/bytes?n=0")).body.isEmpty)
        }
    }

    @Test func gzipInflatesToNBytes() {
        withServer { server in
            let raw = Curl.fetch(server.url("/gzip?n=1000000"))
            #expect(raw.status == 200)
            #expect(raw.headers["content-encoding"] == "gzip")
            #expect(raw.body.count > 18 && raw.body.count < 10_000)
            #expect(raw.body.prefix(2) == Data([0x1f, 0x8b]))
            let decoded = Curl.fetch(server.url("/gzip?n=1000000"), ["--compressed"])
            #expect(decoded.body.count == 1_000_000)
            #expect(decoded.body.allSatisfy { $0 == 0 })
            // A second size, and the cached first size again.
            #expect(Curl.fetch(server.url("/gzip?n=123457"), ["--compressed"]).body.count == 123_457)
            #expect(Curl.fetch(server.url("/gzip?n=1000000")).body == raw.body)
        }
    }

    @Test func slowBodySendsHeadersFirstThenChunks() {
        withServer { server in
            let response = Curl.fetch(server.url("/slowbody?chunks=3&interval_ms=300"),
                                      writeOut: "%{time_starttransfer}")
            #expect(response.status == 200)
            #expect(response.headers["transfer-encoding"] == "chunked")
            #expect(response.text == "chunk 1\nchunk 2\nchunk 3\n")
            #expect(response.seconds >= 0.9)
            #expect((Double(response.writeOut) ?? 9) < 0.6)  // headers did not wait for the chunks
        }
    }

    @Test func redirectFollowsNHopsToTarget() {
        withServer { server in
            let followed = Curl.fetch(server.url("/redirect?n=3&to=/json"), ["-L"], writeOut: "%{num_redirects}")
            #expect(followed.status == 200)
            #expect(followed.writeOut == "3")
            #expect(followed.headers["content-type"] == "application/json")
            #expect(server.requestCount(path: "/redirect") == 3)
            #expect(server.requestCount(path: "/json") == 1)

            let single = Curl.fetch(server.url("/redirect?n=2&to=/ok"))
            #expect(single.status == 302)
            #expect(single.headers["location"] == "/redirect?n=1&to=/ok")

            // A target with its own query survives the chain.
            let nested = Curl.fetch(server.url("/redirect?n=2&to=%2Fstatus%3Fcode%3D201"), ["-L"])
            #expect(nested.status == 201)
        }
    }

    @Test func flakyFailsEveryNthRequest() {
        withServer { server in
            let statuses = (0..<6).map { _ in Curl.fetch(server.url("/flaky?every=2")).status }
            #expect(statuses == [200, 500, 200, 500, 200, 500])
            server.resetCounts()
            let thirds = (0..<6).map { _ in Curl.fetch(server.url("/flaky?every=3")).status }
            #expect(thirds == [200, 200, 500, 200, 200, 500])
        }
    }

    @Test func latencyWithZeroSigmaIsTheMedian() {
        withServer { server in
            let fixed = Curl.fetch(server.url("/latency?mean_ms=250&sigma=0"))
            #expect(fixed.status == 200)
            #expect(fixed.seconds >= 0.25)
            #expect(Curl.fetch(server.url("/latency?mean_ms=5&sigma=0.5")).status == 200)
        }
    }

    @Test func rampGrowsFromFirstRequestThenStays() {
        withServer { server in
            let url = server.url("/ramp?from_ms=0&to_ms=800&over_s=1")
            let first = Curl.fetch(url)
            #expect(first.status == 200)
            #expect(first.seconds < 0.6)
            Thread.sleep(forTimeInterval: 1.1)
            #expect(Curl.fetch(url).seconds >= 0.8)       // reached to_ms
            #expect(Curl.fetch(url).seconds >= 0.8)       // and stays there
            server.resetCounts()                          // restarts the ramp clock
            #expect(Curl.fetch(url).seconds < 0.6)
        }
    }

    @Test func limitedQueuesBeyondCapacity() {
        withServer { server in
            func parallel(_ query: String, count: Int) -> (Double, [String]) {
                let urls = Array(repeating: server.url("/limited?\(query)"), count: count)
                let start = ContinuousClock.now
                let run = Curl.run(["-s", "--parallel", "--parallel-immediate", "--parallel-max", "\(count)",
                                    "-w", "%{http_code} "] + urls.flatMap { ["-o", "/dev/null", $0] })
                let elapsed = ContinuousClock.now - start
                return (Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds),
                        run.stdout.split(separator: " ").map(String.init))
            }
            // Capacity 1, 300 ms each: three requests take at least 900 ms in total.
            let (serial, serialCodes) = parallel("capacity=1&ms=300", count: 3)
            #expect(serialCodes == ["200", "200", "200"])
            #expect(serial >= 0.9)
            #expect(server.maxConcurrentSeen == 3)   // all three were in progress, two of them queued
            // Capacity 3: the same three run side by side.
            let (wide, wideCodes) = parallel("capacity=3&ms=300", count: 3)
            #expect(wideCodes == ["200", "200", "200"])
            #expect(wide < 0.8)
        }
    }

    @Test func ipv6Loopback() throws {
        let server = try FaultServer.start(host: "::1")
        defer { server.shutdown() }
        #expect(server.baseURL == "http://[::1]:\(server.port)")
        #expect(Curl.fetch(server.url("/ok")).text == "ok")
    }

    @Test func shutdownIsIdempotentAndStopsServing() {
        let server = try! FaultServer.start(threads: 2)
        #expect(Curl.fetch(server.url("/ok")).status == 200)
        server.shutdown()
        server.shutdown()
        #expect(Curl.fetch(server.url("/ok")).exitCode == 7)   // connection refused
    }
}
