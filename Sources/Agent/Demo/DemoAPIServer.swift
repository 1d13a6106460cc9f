import Exporter
import Measurements
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The built-in demo API that `kalm demo` probes: a fake valuations service on loopback.
///
/// Routes: `POST /v1/valuations` with a JSON object like
/// `{"brand":"Rolex","category":"watches","condition":"good"}` answers, after a delay drawn
/// from the `DemoLatencyProfile`, 200 with `{"id":"val_…","estimated_value":6375.00,
/// "currency":"EUR","brand":…,"category":…,"condition":…}` or (with the profile's error
/// probability) 503 `{"error":"upstream unavailable"}`; a body that is not a JSON object is
/// 400 at once. `GET /v1/valuations` is 405, `GET /healthz` 200, anything else 404.
final class DemoAPIServer: Sendable {
    /// The port the server listens on (the ephemeral one when started with port 0).
    let port: Int
    /// The host it listens on, as given.
    let host: String

    private let listener: Channel
    private let connections: ChannelRegistry

    private init(host: String, port: Int, listener: Channel, connections: ChannelRegistry) {
        self.host = host
        self.port = port
        self.listener = listener
        self.connections = connections
    }

    /// Starts serving on `host:port` (port 0 picks a free one) on `group`.
    static func start(host: String = "127.0.0.1", port: Int = 0, group: EventLoopGroup,
                      profile: DemoLatencyProfile = .realistic) async throws -> DemoAPIServer {
        let connections = ChannelRegistry()
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(DemoAPIHandler(profile: profile))
                }
            }
            .bind(host: host, port: port).get()
        return DemoAPIServer(host: host, port: listener.localAddress?.port ?? port, listener: listener,
                             connections: connections)
    }

    /// `http://127.0.0.1:PORT` (brackets around an IPv6 host), without a trailing slash.
    var baseURL: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// Stops listening and closes every open connection. Does not shut down the event loop group.
    func shutdown() async {
        try? await listener.close()
        await connections.closeAll()
    }
}
