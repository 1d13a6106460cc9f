import Exporter
import Foundation
import Logging
import NIOCore
import NIOPosix

/// A `MetricsHTTPServer` on an ephemeral loopback port with two routes (`/metrics` answers
/// at once, `/slow` after `slowFor`), for the endpoint's TLS, auth and limits tests.
final class TestEndpoint: Sendable {
    let server: MetricsHTTPServer
    let group: MultiThreadedEventLoopGroup
    let port: Int

    static let body = "kalm_up 1\n"

    init(limits: ServerLimits = ServerLimits(), security: EndpointSecuritySource = .fixed(.open),
         slowFor: Duration = .milliseconds(500)) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let routes = [
            HTTPRoute("/metrics", methods: [.GET], handler: .immediate { _ in .text(TestEndpoint.body) }),
            HTTPRoute("/slow", methods: [.GET], handler: .deferred(maxBody: 0) { _ in
                try? await Task.sleep(for: slowFor)
                return .text("slow\n")
            }),
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
