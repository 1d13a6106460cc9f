import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import Exporter

/// The metrics HTTP server, driven over real sockets by the `curl` CLI. The endpoint closures
/// are the server's inputs (what the rest of the agent supplies), set per test.
@Suite(.serialized)
struct MetricsHTTPServerTests {
    @Test func everyRouteAnswers() async throws {
        try await withServer { server, base in
            let metrics = await ServerCurl.fetch(base + "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text == EndpointStub.plainMetrics)
            #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(metrics.headers["vary"]?.contains("Accept-Encoding") == true)
            #expect(metrics.headers["content-encoding"] == nil)
            #expect(await ServerCurl.fetch(base + "/metrics?name[]=x").status == 200)   // query ignored

            let page = await ServerCurl.fetch(base + "/")
            #expect(page.status == 200)
            #expect(page.headers["content-type"] == "text/html; charset=utf-8")
            #expect(page.text == EndpointStub.page)

            let healthy = await ServerCurl.fetch(base + "/-/healthy")
            #expect(healthy.status == 200)
            #expect(healthy.text == "Healthy\n")
            #expect(await ServerCurl.fetch(base + "/-/ready").status == 200)

            for path in ["/nope", "/metrics/", "/-/", "/favicon.ico"] {
                #expect(await ServerCurl.fetch(base + path).status == 404, "\(path)")
            }
        }
    }

    @Test func headSendsHeadersWithTheGetLengthAndNoBody() async throws {
        try await withServer { server, base in
            for path in ["/metrics", "/", "/-/healthy", "/-/ready"] {
                let get = await ServerCurl.fetch(base + path)
                let head = await ServerCurl.fetch(base + path, ["--head"])
                #expect(head.status == 200, "\(path)")
                #expect(head.headers["content-length"] == String(get.body.count), "\(path)")

                // No body: the next response on the connection follows the HEAD headers directly.
                let raw = try RawClient(port: server.port)
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
                let response = await ServerCurl.fetch(base + path, ["-X", method])
                #expect(response.status == 405, "\(method) \(path)")
                #expect(response.headers["allow"] == "GET, HEAD", "\(method) \(path)")
            }
            let getReload = await ServerCurl.fetch(base + "/-/reload")
            #expect(getReload.status == 405)
            #expect(getReload.headers["allow"]?.contains("POST") == true)
        }
    }

    @Test func contentNegotiationHeadersArePassedThrough() async throws {
        try await withServer { server, base in
            let stub = server.stub
            let raw = await ServerCurl.fetch(base + "/metrics", ["-H", "Accept-Encoding: gzip"])
            #expect(raw.status == 200)
            #expect(raw.headers["content-encoding"] == "gzip")
            #expect(raw.headers["content-length"] == String(EndpointStub.gzippedMetrics.count))
            #expect([UInt8](raw.body) == EndpointStub.gzippedMetrics)
            #expect(stub.seen.acceptEncoding == "gzip")

            let decoded = await ServerCurl.fetch(base + "/metrics", ["--compressed"])
            #expect(decoded.headers["content-encoding"] == "gzip")
            #expect(decoded.text == EndpointStub.plainMetrics)

            let openMetrics = "application/openmetrics-text; version=1.0.0; q=0.9, text/plain; q=0.5"
            _ = await ServerCurl.fetch(base + "/metrics", ["-H", "Accept: \(openMetrics)"])
            #expect(stub.seen.accept == openMetrics)
            _ = await ServerCurl.fetch(base + "/metrics", ["-H", "Accept:"])
            #expect(stub.seen.accept == nil)
            #expect(stub.seen.acceptEncoding == nil)
        }
    }

    @Test func readyFollowsTheClosure() async throws {
        try await withServer { server, base in
            server.stub.setReady(false)
            let notReady = await ServerCurl.fetch(base + "/-/ready")
            #expect(notReady.status == 503)
            #expect(await ServerCurl.fetch(base + "/-/ready", ["--head"]).status == 503)
            #expect(await ServerCurl.fetch(base + "/-/healthy").status == 200)   // healthy while not ready
            server.stub.setReady(true)
            let ready = await ServerCurl.fetch(base + "/-/ready")
            #expect(ready.status == 200)
            #expect(ready.text == "Ready\n")
        }
    }

    @Test func reloadReportsSuccessAndFailure() async throws {
        try await withServer { server, base in
            #expect(await ServerCurl.fetch(base + "/-/reload", ["-X", "POST"]).status == 200)
            #expect(await ServerCurl.fetch(base + "/-/reload", ["-X", "PUT"]).status == 200)
            #expect(server.stub.reloads == 2)

            server.stub.setReloadError("kalm.yml:3:5: probes.api.url: not a URL")
            let failed = await ServerCurl.fetch(base + "/-/reload", ["-X", "POST", "-d", "x"])
            #expect(failed.status == 500)
            #expect(failed.text == "kalm.yml:3:5: probes.api.url: not a URL\n")

            let huge = String(repeating: "a", count: 65 * 1024)
            let tooBig = await ServerCurl.fetch(base + "/-/reload", ["-X", "POST", "--data-binary", huge])
            #expect(tooBig.status == 413)
            #expect(server.stub.reloads == 3)
        }
    }

    @Test func keepAliveReusesTheConnection() async throws {
        try await withServer { _, base in
            let run = await ServerCurl.run(["-s", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
                                            "-w", "%{http_code}:%{num_connects}\n",
                                            base + "/metrics", base + "/-/healthy", base + "/metrics"])
            #expect(run.stdout == "200:1\n200:0\n200:0\n")
        }
    }

    @Test func bindsEveryAddressForm() async throws {
        try await withGroup { group in
            let server = try await MetricsHTTPServer.start(addresses: ["127.0.0.1:0", ":0", "[::1]:0", "localhost:0"],
                                                           endpoints: EndpointStub().endpoints, group: group,
                                                           logger: Logger(label: "test"))
            #expect(server.boundAddresses.count == 4)
            #expect(server.boundAddresses[0].hasPrefix("127.0.0.1:"))
            #expect(server.boundAddresses[2].hasPrefix("[::1]:"))
            for address in server.boundAddresses {
                let port = address[address.index(after: address.lastIndex(of: ":")!)...]
                #expect(Int(port)! > 0, "\(address)")
            }
            let anyPort = server.boundAddresses[1].split(separator: ":").last!
            #expect(await ServerCurl.fetch("http://127.0.0.1:\(anyPort)/-/healthy").status == 200)
            #expect(await ServerCurl.fetch("http://\(server.boundAddresses[2])/-/healthy").status == 200)
            await server.shutdown()
            #expect(await ServerCurl.fetch("http://\(server.boundAddresses[0])/-/healthy").exitCode == 7)   // refused
        }
    }

    @Test func bindFailuresNameTheAddress() async throws {
        try await withGroup { group in
            let first = try await MetricsHTTPServer.start(addresses: ["127.0.0.1:0"], endpoints: EndpointStub().endpoints,
                                                          group: group, logger: Logger(label: "test"))
            let taken = first.boundAddresses[0]
            do {
                _ = try await MetricsHTTPServer.start(addresses: [taken], endpoints: EndpointStub().endpoints,
                                                      group: group, logger: Logger(label: "test"))
                Issue.record("binding \(taken) twice succeeded")
            } catch let error as ListenError {
                #expect(error.description.contains("\"\(taken)\""))
                #expect(error.description.contains("already in use"))
            }
            await first.shutdown()

            for bad in ["9464", "localhost", "127.0.0.1:http", "127.0.0.1:70000", "::1:9464", "[::1:9464", "[127.0.0.1]:1", ""] {
                do {
                    _ = try await MetricsHTTPServer.start(addresses: [bad], endpoints: EndpointStub().endpoints,
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
            let half = try RawClient(port: server.port)
            half.send("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: ")   // never finished, never read
            let clock = ContinuousClock()
            let start = clock.now
            let scrape = await ServerCurl.fetch(base + "/metrics", ["--max-time", "5"])
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
            let greedy = try RawClient(port: server.port)
            greedy.send(String(repeating: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", count: 300))
            try await Task.sleep(for: .seconds(1))
            let rendered = stub.metricsCalls
            #expect(rendered < 60, "rendered \(rendered) responses for a client that reads nothing")
            let scrape = await ServerCurl.fetch(base + "/metrics", ["--max-time", "5"])
            #expect(scrape.status == 200)
            #expect(scrape.body.count == 1 << 20)
            withExtendedLifetime(greedy) {}
        }
    }

    @Test func oversizedRequestHeadersAreRefused() async throws {
        try await withServer { _, base in
            let huge = String(repeating: "h", count: 100 * 1024)
            let response = await ServerCurl.fetch(base + "/metrics", ["-H", "X-Huge: \(huge)"])
            #expect(response.status == 400)   // NIO's parser caps a request head at 80 KiB
            #expect(await ServerCurl.fetch(base + "/metrics").status == 200)
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        try await withServer(idleTimeout: .milliseconds(300)) { server, _ in
            let half = try RawClient(port: server.port)
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

    private func withServer(stub: EndpointStub = EndpointStub(), idleTimeout: TimeAmount = .seconds(30),
                            _ body: (Running, String) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await MetricsHTTPServer.start(addresses: ["127.0.0.1:0"], endpoints: stub.endpoints,
                                                       group: group, logger: Logger(label: "test"),
                                                       idleTimeout: idleTimeout)
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

    private let state = Mutex(State())
    private let metricsBody: [UInt8]

    init(metricsBody: [UInt8] = Array(plainMetrics.utf8)) {
        self.metricsBody = metricsBody
    }

    var seen: Seen { state.withLock { $0.seen } }
    var reloads: Int { state.withLock { $0.reloads } }
    var metricsCalls: Int { state.withLock { $0.metricsCalls } }
    func setReady(_ ready: Bool) { state.withLock { $0.ready = ready } }
    func setReloadError(_ error: String?) { state.withLock { $0.reloadError = error } }

    var endpoints: MetricsEndpoints {
        MetricsEndpoints(
            metrics: { [self] accept, acceptEncoding in
                state.withLock {
                    $0.metricsCalls += 1
                    $0.seen = Seen(accept: accept, acceptEncoding: acceptEncoding)
                }
                if acceptEncoding?.contains("gzip") == true, metricsBody == Array(Self.plainMetrics.utf8) {
                    return (ByteBuffer(bytes: Self.gzippedMetrics), "text/plain; version=0.0.4; charset=utf-8", "gzip")
                }
                return (ByteBuffer(bytes: metricsBody), "text/plain; version=0.0.4; charset=utf-8", nil)
            },
            statusPage: { Self.page },
            reload: { [self] in
                try? await Task.sleep(for: .milliseconds(20))   // a reload takes a moment
                return state.withLock {
                    $0.reloads += 1
                    return $0.reloadError
                }
            },
            isReady: { [self] in state.withLock { $0.ready } })
    }

    /// Compresses with the `gzip` CLI, so decoding by curl checks real gzip bytes.
    private static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-c", "-n"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try! process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try! input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](data)
    }
}

/// Runs the `curl` CLI on a thread of its own (never blocking the cooperative pool, which the
/// server's async reload closure needs).
private enum ServerCurl {
    struct Response {
        var exitCode: Int32
        var status: Int
        var headers: [String: String]   // lower-cased names
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func fetch(_ url: String, _ extra: [String] = []) async -> Response {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalm-srv-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let headerFile = dir.appendingPathComponent("h").path, bodyFile = dir.appendingPathComponent("b").path
        let result = await run(["-sS", "-g", "--max-time", "20", "-D", headerFile, "-o", bodyFile,
                                "-w", "%{http_code}"] + extra + [url])
        var headers: [String: String] = [:]
        let dump = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        for line in dump.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(exitCode: result.exitCode, status: Int(result.stdout) ?? 0, headers: headers,
                        body: FileManager.default.contents(atPath: bodyFile) ?? Data())
    }

    static func run(_ args: [String]) async -> (exitCode: Int32, stdout: String) {
        await withCheckedContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["curl"] + args
                let out = Pipe()
                process.standardOutput = out
                process.standardError = FileHandle.nullDevice
                try! process.run()
                let data = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
            }.start()
        }
    }
}

/// A plain TCP client that sends what it is told and reads nothing.
private final class RawClient {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            bytes = bytes.dropFirst(sent)
        }
    }

    /// Everything the server sends until it closes the connection or `seconds` pass.
    func readToEnd(seconds: Double) -> [UInt8] {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            received += chunk[0..<n]
        }
        return received
    }

    /// Whether the server closed the connection within `seconds` (EOF or reset).
    func waitForClose(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            if recv(fd, &chunk, chunk.count, 0) <= 0 { return true }
        }
        return false
    }
}
