import Exporter
import Foundation
import Logging
import NIOCore
import NIOPosix

/// A `MetricsHTTPServer` on an ephemeral loopback port with two routes (`/metrics` answers
/// at once; `POST /upload` reads a body of up to 100 bytes first, so a client that never
/// finishes its body keeps a request in flight), for the endpoint's TLS, auth and limits tests.
final class TestEndpoint: Sendable {
    let server: MetricsHTTPServer
    let group: MultiThreadedEventLoopGroup
    let port: Int

    static let body = "kalm_up 1\n"

    init(limits: ServerLimits = ServerLimits(), security: EndpointSecuritySource = .fixed(.open)) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let routes = [
            HTTPRoute("/metrics", methods: [.GET], handler: .immediate { _ in .text(TestEndpoint.body) }),
            HTTPRoute("/upload", methods: [.POST], handler: .deferred(maxBody: 100) { _ in .text("uploaded\n") }),
        ]
        server = try await MetricsHTTPServer.start(addresses: ["127.0.0.1:0"], routes: routes, group: group,
                                                   logger: Logger(label: "test"), limits: limits, security: security)
        port = Int(server.boundAddresses[0].split(separator: ":").last!)!
    }

    func url(_ path: String = "/metrics", scheme: String = "http") -> String { "\(scheme)://127.0.0.1:\(port)\(path)" }

    func stop() async {
        await server.shutdown()
        try? await group.shutdownGracefully()
    }
}
