import Exporter
import Foundation
import KalmTestSupport
import Logging
import NIOCore
import Testing

/// What one client may cost the endpoint (`ServerLimits`): slow and oversized request heads,
/// the connection limit, request rate and password checks, against a real server over
/// real sockets.
@Suite("endpoint limits")
struct ServerLimitsTests {
    static func serving(_ limits: ServerLimits = ServerLimits(), security: EndpointSecuritySource = .fixed(.open),
                        _ body: (TestEndpoint) async throws -> Void) async throws {
        let endpoint = try await TestEndpoint(limits: limits, security: security)
        do { try await body(endpoint) } catch { await endpoint.stop(); throw error }
        await endpoint.stop()
    }

    @Test func aSlowlorisHeadIsAnswered408AndClosed() async throws {
        try await Self.serving(ServerLimits(requestHeadTimeout: .seconds(1))) { server in
            let slow = try RawConnection(port: server.port, timeoutSeconds: 10)
            slow.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: a")
            let answer = await offPool { String(decoding: slow.readToEnd(seconds: 10), as: UTF8.self) }
            #expect(answer.hasPrefix("HTTP/1.1 408 Request Timeout"), "\(answer)")
            // One that never says anything is closed without an answer.
            let silent = try RawConnection(port: server.port, timeoutSeconds: 10)
            #expect(await offPool { silent.waitForClose(seconds: 10) })
        }
    }

    @Test func anIdleKeepAliveConnectionIsNotTheHeadTimeoutsBusiness() async throws {
        // The idle timeout is long: a stalled test process must not look like an idle client.
        try await Self.serving(ServerLimits(idleTimeout: .seconds(300), requestHeadTimeout: .seconds(1))) { server in
            let connection = try RawConnection(port: server.port, timeoutSeconds: 10)
            connection.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await offPool { try? connection.readResponse() }?.head.hasPrefix("HTTP/1.1 200") == true)
            // Quiet for longer than the head timeout between requests: still open.
            try await Task.sleep(for: .milliseconds(2500))
            connection.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await offPool { try? connection.readResponse() }?.head.hasPrefix("HTTP/1.1 200") == true)
        }
    }

    @Test func oversizedHeadsAreRefused() async throws {
        try await Self.serving(ServerLimits(maxHeadBytes: 4096, maxHeaderCount: 20)) { server in
            let longURL = try RawConnection(port: server.port)
            longURL.send("GET /metrics?" + String(repeating: "a", count: 8192) + " HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = await offPool { String(decoding: longURL.readToEnd(seconds: 10), as: UTF8.self) }
            // NIO's decoder counts the URL against the head limit (400); a head that grows past
            // it without ending is refused by the deadline guard (431). Refused either way.
            #expect(first.hasPrefix("HTTP/1.1 400") || first.hasPrefix("HTTP/1.1 431"), "\(first.prefix(200))")
            let endless = try RawConnection(port: server.port)
            endless.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Long: " + String(repeating: "b", count: 6000))
            let third = await offPool { String(decoding: endless.readToEnd(seconds: 10), as: UTF8.self) }
            #expect(third.hasPrefix("HTTP/1.1 4") && !third.hasPrefix("HTTP/1.1 404"), "\(third.prefix(200))")
            let manyHeaders = try RawConnection(port: server.port)
            manyHeaders.send("GET /metrics HTTP/1.1\r\nHost: x\r\n" + (0..<30).map { "X-H\($0): v\r\n" }.joined() + "\r\n")
            let second = await offPool { String(decoding: manyHeaders.readToEnd(seconds: 10), as: UTF8.self) }
            #expect(second.hasPrefix("HTTP/1.1 4") && !second.hasPrefix("HTTP/1.1 404"), "\(second.prefix(200))")
            // Within the limits it is served.
            #expect(await Curl.fetchAsync(server.url("/metrics?" + String(repeating: "a", count: 1000))).status == 200)
        }
    }

    @Test func atTheConnectionLimitTheQuietestIdleConnectionMakesRoom() async throws {
        // Long timeouts: only the limit may close a connection here, however slow the test runs.
        try await Self.serving(ServerLimits(idleTimeout: .seconds(300), requestHeadTimeout: .seconds(300), maxConnections: 4)) { server in
            // One connection is mid-request (its body not yet sent), three are idle.
            let busy = try RawConnection(port: server.port, timeoutSeconds: 60)
            busy.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n")
            let idle = try (0..<3).map { _ in try RawConnection(port: server.port) }
            #expect(await offPool { poll(timeout: 5) { server.server.openConnections == 4 } })
            let scrape = await Curl.fetchAsync(server.url())
            #expect(scrape.status == 200, "a scrape must get in at the limit: \(scrape.curlError)")
            #expect(server.server.evictedConnections == 1)
            #expect(await offPool { idle[0].waitForClose(seconds: 5) }, "the oldest idle connection makes room")
            // The connection with a request in flight was not the one closed.
            busy.send("body")
            #expect(await offPool { try? busy.readResponse() }?.head.hasPrefix("HTTP/1.1 200") == true)
        }
    }

    @Test func rateLimitAnswers429BeyondTheBurst() async throws {
        let security = EndpointSecurity(rateLimiter: RequestRateLimiter(interval: .seconds(3600), burst: 2))
        try await Self.serving(security: .fixed(security)) { server in
            let codes = await (0..<4).asyncMap { _ in await Curl.fetchAsync(server.url()).status }
            #expect(codes == [200, 200, 429, 429])
        }
    }

    /// bcrypt (cost 10, libcrypt) of "kalm-scrape-pw".
    static let hash = "$2b$10$Q7n1vH3sK9pL2mX5cR8tWevuBAxC93D.gtgHPlNaeaY2NXh264Zm."

    @Test func aFloodOfWrongPasswordsNeitherQueuesWithoutBoundNorEvictsTheScraper() async throws {
        let auth = BasicAuthenticator(users: ["prometheus": Self.hash])
        #expect(await auth.verify(user: "prometheus", password: "kalm-scrape-pw") == .allowed)
        let outcomes = await withTaskGroup(of: BasicAuthenticator.Outcome.self) { group in
            for i in 0..<(BasicAuthenticator.maxPending + 16) {
                group.addTask { await auth.verify(user: "prometheus", password: "guess-\(i)") }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(!outcomes.contains(BasicAuthenticator.Outcome.allowed))
        #expect(outcomes.contains(BasicAuthenticator.Outcome.busy), "more than maxPending checks at once must be turned away")
        #expect(outcomes.filter { $0 == BasicAuthenticator.Outcome.denied }.count <= BasicAuthenticator.maxPending)
        // The scraper's credentials are still answered from the cache, without bcrypt.
        #expect(auth.cached(user: "prometheus", password: "kalm-scrape-pw") == true)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
