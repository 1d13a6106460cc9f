import Foundation
import KalmSupport
import KalmTestSupport
import Logging
import Measurements
import NIOCore
import NIOPosix
import Testing
@testable import Exporter

/// The metrics HTTP server, driven over real sockets by the `curl` CLI. The endpoint closures
/// are the server's inputs (what the rest of the agent supplies), set per test.
@Suite(.serialized)
struct MetricsHTTPServerTests {
    @Test func everyRouteAnswers() async throws {
        try await withServer { server, base in
            let metrics = await Curl.fetchAsync(base + "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text == EndpointStub.plainMetrics)
            #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(metrics.headers["vary"]?.contains("Accept-Encoding") == true)
            #expect(metrics.headers["content-encoding"] == nil)
            #expect(await Curl.fetchAsync(base + "/metrics?name[]=x").status == 200)   // query ignored

            let page = await Curl.fetchAsync(base + "/")
            #expect(page.status == 200)
            #expect(page.headers["content-type"] == "text/html; charset=utf-8")
            #expect(page.text == EndpointStub.page)

            let healthy = await Curl.fetchAsync(base + "/-/healthy")
            #expect(healthy.status == 200)
            #expect(healthy.text == "Healthy\n")
            #expect(await Curl.fetchAsync(base + "/-/ready").status == 200)

            for path in ["/nope", "/metrics/", "/-/", "/favicon.ico"] {
                #expect(await Curl.fetchAsync(base + path).status == 404, "\(path)")
            }
        }
    }

    @Test func headSendsHeadersWithTheGetLengthAndNoBody() async throws {
        try await withServer { server, base in
            for path in ["/metrics", "/", "/-/healthy", "/-/ready"] {
                let get = await Curl.fetchAsync(base + path)
                let head = await Curl.fetchAsync(base + path, ["--head"])
                #expect(head.status == 200, "\(path)")
                #expect(head.headers["content-length"] == String(get.body.count), "\(path)")

                // No body: the next response on the connection follows the HEAD headers directly.
                let raw = try RawConnection(port: server.port)
                raw.send("HEAD \(path) HTTP/1.1\r\nHost: x\r\n\r\nGET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let bytes = String(decoding: raw.readToEnd(seconds: 5), as: UTF8.self)
                let parts = bytes.components(separatedBy: "\r\n\r\n")
                #expect(parts.count == 3 && parts[1].hasPrefix("HTTP/1.1 200 OK") && parts[2] == "Healthy\n", "\(path): \(bytes)")
            }
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await withServer { _, base in
            for (method, path) in [("POST", "/metrics"), ("DELETE", "/-/healthy"), ("PUT", "/"), ("POST", "/-/ready")] {
                let response = await Curl.fetchAsync(base + path, ["-X", method])
                #expect(response.status == 405, "\(method) \(path)")
                #expect(response.headers["allow"] == "GET, HEAD", "\(method) \(path)")
            }
            let getReload = await Curl.fetchAsync(base + "/-/reload")
            #expect(getReload.status == 405)
            #expect(getReload.headers["allow"]?.contains("POST") == true)
        }
    }

    @Test func contentNegotiationHeadersArePassedThrough() async throws {
        try await withServer { server, base in
            let stub = server.stub
            let raw = await Curl.fetchAsync(base + "/metrics", ["-H", "Accept-Encoding: gzip"])
            #expect(raw.status == 200)
            #expect(raw.headers["content-encoding"] == "gzip")
            #expect(raw.headers["content-length"] == String(EndpointStub.gzippedMetrics.count))
            #expect([UInt8](raw.body) == EndpointStub.gzippedMetrics)
            #expect(stub.seen.acceptEncoding == "gzip")

            let decoded = await Curl.fetchAsync(base + "/metrics", ["--compressed"])
            #expect(decoded.headers["content-encoding"] == "gzip")
            #expect(decoded.text == EndpointStub.plainMetrics)

            let openMetrics = "application/openmetrics-text; version=1.0.0; q=0.9, text/plain; q=0.5"
            _ = await Curl.fetchAsync(base + "/metrics", ["-H", "Accept: \(openMetrics)"])
            #expect(stub.seen.accept == openMetrics)
            _ = await Curl.fetchAsync(base + "/metrics", ["-H", "Accept:"])
            #expect(stub.seen.accept == nil)
            #expect(stub.seen.acceptEncoding == nil)
        }
    }

    @Test func readyFollowsTheClosure() async throws {
        try await withServer { server, base in
            server.stub.setReady(false)
            let notReady = await Curl.fetchAsync(base + "/-/ready")
            #expect(notReady.status == 503)
            #expect(await Curl.fetchAsync(base + "/-/ready", ["--head"]).status == 503)
            #expect(await Curl.fetchAsync(base + "/-/healthy").status == 200)   // healthy while not ready
            server.stub.setReady(true)
            let ready = await Curl.fetchAsync(base + "/-/ready")
            #expect(ready.status == 200)
            #expect(ready.text == "Ready\n")
        }
    }

    @Test func reloadReportsSuccessAndFailure() async throws {
        try await withServer { server, base in
            #expect(await Curl.fetchAsync(base + "/-/reload", ["-X", "POST"]).status == 200)
            #expect(await Curl.fetchAsync(base + "/-/reload", ["-X", "PUT"]).status == 200)
            #expect(server.stub.reloads == 2)

            server.stub.setReloadError("kalm.yml:3:5: probes.api.url: not a URL")
            let failed = await Curl.fetchAsync(base + "/-/reload", ["-X", "POST", "-d", "x"])
            #expect(failed.status == 500)
            #expect(failed.text == "kalm.yml:3:5: probes.api.url: not a URL\n")

            let huge = String(repeating: "a", count: 65 * 1024)
            let tooBig = await Curl.fetchAsync(base + "/-/reload", ["-X", "POST", "--data-binary", huge])
            #expect(tooBig.status == 413)
            #expect(server.stub.reloads == 3)
        }
    }

    @Test func keepAliveReusesTheConnection() async throws {
        try await withServer { _, base in
            let run = await Curl.runAsync(["-s", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
                                            "-w", "%{http_code}:%{num_connects}\n",
                                            base + "/metrics", base + "/-/healthy", base + "/metrics"])
            #expect(run.stdout == "200:1\n200:0\n200:0\n")
        }
    }

    @Test func bindsEveryAddressForm() async throws {
        try await withGroup { group in
            let server = try await MetricsHTTPServer.start(addresses: ["127.0.0.1:0", ":0", "[::1]:0", "localhost:0"],
                                                           routes: EndpointStub().routes, group: group,
                                                           logger: Logger(label: "test"))
            #expect(server.boundAddresses.count == 4)
            #expect(server.boundAddresses[0].hasPrefix("127.0.0.1:"))
            #expect(server.boundAddresses[2].hasPrefix("[::1]:"))
            for address in server.boundAddresses {
                let port = address[address.index(after: address.lastIndex(of: ":")!)...]
                #expect(Int(port)! > 0, "\(address)")
            }
            let anyPort = server.boundAddresses[1].split(separator: ":").last!
            #expect(await Curl.fetchAsync("http://127.0.0.1:\(anyPort)/-/healthy").status == 200)
            #expect(await Curl.fetchAsync("http://\(server.boundAddresses[2])/-/healthy").status == 200)
            await server.shutdown()
            #expect(await Curl.fetchAsync("http://\(server.boundAddresses[0])/-/healthy").exitCode == 7)   // refused
        }
    }

    @Test func bindFailuresNameTheAddress() async throws {
        try await withGroup { group in
            let first = try await MetricsHTTPServer.start(addresses: ["127.0.0.1:0"], routes: EndpointStub().routes,
                                                          group: group, logger: Logger(label: "test"))
            let taken = first.boundAddresses[0]
            do {
                _ = try await MetricsHTTPServer.start(addresses: [taken], routes: EndpointStub().routes,
                                                      group: group, logger: Logger(label: "test"))
                Issue.record("binding \(taken) twice succeeded")
            } catch let error as ListenError {
                #expect(error.description.contains("\"\(taken)\""))
                #expect(error.description.contains("already in use"))
            }
            await first.shutdown()

            for bad in ["9464", "localhost", "127.0.0.1:http", "127.0.0.1:70000", "::1:9464", "[::1:9464", "[127.0.0.1]:1", ""] {
                do {
                    _ = try await MetricsHTTPServer.start(addresses: [bad], routes: EndpointStub().routes,
                                                          group: group, logger: Logger(label: "test"))
                    Issue.record("\"\(bad)\" was accepted")
                } catch let error as ListenError {
                    #expect(error.isSyntaxError, "\(bad)")
                    #expect(error.description.contains("\"\(bad)\""), "\(bad)")
                }
            }
        }
    }

    @Test func aStuckClientDoesNotBlockScrapes() async throws {
        try await withServer { server, base in
            let half = try RawConnection(port: server.port)
            half.send("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: ")   // never finished, never read
            let clock = ContinuousClock()
            let start = clock.now
            let scrape = await Curl.fetchAsync(base + "/metrics", ["--max-time", "5"])
            #expect(scrape.status == 200)
            #expect(clock.now - start < .seconds(2))
            withExtendedLifetime(half) {}
        }
    }

    @Test func aClientThatNeverReadsIsNotServedWithoutBound() async throws {
        // 1 MiB responses, 300 pipelined requests, nothing read: the server must stop
        // rendering once 8 MiB (plus what the kernel buffers) are waiting.
        let stub = EndpointStub(metricsBody: [UInt8](repeating: UInt8(ascii: "m"), count: 1 << 20))
        try await withServer(stub: stub) { server, base in
            let greedy = try RawConnection(port: server.port)
            greedy.send(String(repeating: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", count: 300))
            try await Task.sleep(for: .seconds(1))
            let rendered = stub.metricsCalls
            #expect(rendered < 60, "rendered \(rendered) responses for a client that reads nothing")
            let scrape = await Curl.fetchAsync(base + "/metrics", ["--max-time", "5"])
            #expect(scrape.status == 200)
            #expect(scrape.body.count == 1 << 20)
            withExtendedLifetime(greedy) {}
        }
    }

    @Test func oversizedRequestHeadersAreRefused() async throws {
        try await withServer { _, base in
            let huge = String(repeating: "h", count: 100 * 1024)
            let response = await Curl.fetchAsync(base + "/metrics", ["-H", "X-Huge: \(huge)"])
            #expect(response.status == 400)   // NIO's parser caps a request head at 80 KiB
            #expect(await Curl.fetchAsync(base + "/metrics").status == 200)
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        try await withServer(limits: ServerLimits(idleTimeout: .milliseconds(300))) { server, _ in
            let half = try RawConnection(port: server.port)
            half.send("GET /metrics HTTP/1.1\r\n")
            #expect(half.waitForClose(seconds: 5))
        }
    }

    // MARK: - Harness

    private struct Running {
        var server: MetricsHTTPServer
        var stub: EndpointStub
        var port: Int { Int(server.boundAddresses[0].split(separator: ":").last!)! }
    }

    private func withGroup(_ body: (EventLoopGroup) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await body(group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private func withServer(stub: EndpointStub = EndpointStub(), limits: ServerLimits = ServerLimits(),
                            _ body: (Running, String) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await MetricsHTTPServer.start(addresses: ["127.0.0.1:0"], routes: stub.routes,
                                                       group: group, logger: Logger(label: "test"),
                                                       limits: limits)
        let running = Running(server: server, stub: stub)
        do {
            try await body(running, "http://\(server.boundAddresses[0])")
        } catch {
            await server.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        await server.shutdown()
        try await group.shutdownGracefully()
    }
}

/// The server's inputs: fixed bodies, a readiness flag and a reload result set by the test;
/// records the negotiation headers it was given.
private final class EndpointStub: Sendable {
    static let plainMetrics = "# HELP kalm_up Test.\n# TYPE kalm_up gauge\nkalm_up 1\n"
    static let gzippedMetrics = gzip(Array(plainMetrics.utf8))
    static let page = "<!doctype html><title>kalm</title><p>ok</p>\n"

    struct Seen { var accept: String?; var acceptEncoding: String? }
    private struct State {
        var ready = true
        var reloadError: String?
        var reloads = 0
        var metricsCalls = 0
        var seen = Seen()
    }

    private let state = Locked(State())
    private let metricsBody: [UInt8]

    init(metricsBody: [UInt8] = Array(plainMetrics.utf8)) {
        self.metricsBody = metricsBody
    }

    var seen: Seen { state.withLock { $0.seen } }
    var reloads: Int { state.withLock { $0.reloads } }
    var metricsCalls: Int { state.withLock { $0.metricsCalls } }
    func setReady(_ ready: Bool) { state.withLock { $0.ready = ready } }
    func setReloadError(_ error: String?) { state.withLock { $0.reloadError = error } }

    /// Routes shaped like the agent's: `/metrics`, `/`, `/-/healthy`, `/-/ready` and a
    /// deferred `POST|PUT /-/reload` that accepts up to 64 KiB of body.
    var routes: [HTTPRoute] {
        [
            .metrics { [self] accept, acceptEncoding in
                state.withLock {
                    $0.metricsCalls += 1
                    $0.seen = Seen(accept: accept, acceptEncoding: acceptEncoding)
                }
                if acceptEncoding?.contains("gzip") == true, metricsBody == Array(Self.plainMetrics.utf8) {
                    return (ByteBuffer(bytes: Self.gzippedMetrics), "text/plain; version=0.0.4; charset=utf-8", "gzip")
                }
                return (ByteBuffer(bytes: metricsBody), "text/plain; version=0.0.4; charset=utf-8", nil)
            },
            .read("/") { _ in .html(Self.page) },
            .read("/-/healthy") { _ in .text("Healthy\n") },
            .read("/-/ready") { [self] _ in
                state.withLock { $0.ready } ? .text("Ready\n") : .text("Not ready\n", status: .serviceUnavailable)
            },
            HTTPRoute("/-/reload", methods: [.POST, .PUT], handler: .deferred(maxBody: 64 * 1024) { [self] _ in
                try? await Task.sleep(for: .milliseconds(20))   // a reload takes a moment
                let failure = state.withLock {
                    $0.reloads += 1
                    return $0.reloadError
                }
                guard let failure else { return .text("Reloaded\n") }
                return .text(failure + "\n", status: .internalServerError)
            }),
        ]
    }

    /// Compresses with the `gzip` CLI, so decoding by curl checks real gzip bytes.
    private static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        let child = try! ChildProcess("/bin/gzip", ["-c", "-n"], stdin: Data(bytes))
        #expect(child.waitForExit(timeout: 30) == 0)
        return [UInt8](child.stdoutData)
    }
}
