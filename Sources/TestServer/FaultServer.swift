import Foundation
import KalmSupport
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP/1.1 server on loopback with fault-injection routes, for tests and demos.
///
/// Start it with `FaultServer.start()`, point clients at `baseURL`, and call `shutdown()`
/// when done. Routes (all take query parameters and any method; HEAD gets headers only):
/// `/ok`, `/sleep?ms=`, `/status?code=`, `/json`, `/valuations` (POST), `/echo?headers=a,b`,
/// `/headers`, `/garbage`, `/reset`, `/close`, `/bytes?n=`, `/gzip?n=`,
/// `/slowbody?chunks=&interval_ms=`, `/redirect?n=&to=`, `/flaky?every=`,
/// `/latency?mean_ms=&sigma=`, `/ramp?from_ms=&to_ms=&over_s=`, `/limited?capacity=&ms=`,
/// `/count?path=` (a request count as text; `path=unauthorized` counts 401 answers);
/// anything else is 404.
///
/// OAuth (see `OAuthRoutes`, `ItemRoutes`): `POST /oauth/token?ttl=SECONDS` is an RFC 6749
/// client-credentials token endpoint for client `oauthClientID`/`oauthClientSecret`
/// (HTTP Basic or body fields; `ttl` defaults to 60, clamped to 0.5...3600); its bearer
/// tokens guard the JSON CRUD API `POST /api/items`, `GET`/`DELETE /api/items/ID`.
public final class FaultServer: Sendable {
    /// The address the server listens on, `127.0.0.1` or `::1`.
    public let host: String
    /// The ephemeral port the server was given.
    public let port: Int

    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: Channel
    private let state: ServerState
    private let isShutDown = Locked(false)

    private init(host: String, port: Int, group: MultiThreadedEventLoopGroup, serverChannel: Channel, state: ServerState) {
        self.host = host
        self.port = port
        self.group = group
        self.serverChannel = serverChannel
        self.state = state
    }

    deinit {
        // Never blocks: deinit may run on an event loop thread.
        if !isShutDown.withLock({ $0 }) {
            serverChannel.close(promise: nil)
            group.shutdownGracefully { _ in }
        }
    }

    /// Starts a server on `host` (`127.0.0.1` or `::1`) with an ephemeral port, served by
    /// `threads` NIO event-loop threads.
    public static func start(host: String = "127.0.0.1", threads: Int = 1) throws -> FaultServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let state = ServerState()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 4096)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FaultHandler(state: state))
                }
            }
        do {
            let channel = try bootstrap.bind(host: host, port: 0).wait()
            guard let port = channel.localAddress?.port else {
                channel.close(promise: nil)
                throw ChannelError.unknownLocalAddress
            }
            return FaultServer(host: host, port: port, group: group, serverChannel: channel, state: state)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// `http://127.0.0.1:PORT` (or `http://[::1]:PORT`), without a trailing slash.
    public var baseURL: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// `baseURL` + `path`, e.g. `url("/sleep?ms=10")`.
    public func url(_ path: String) -> String { baseURL + path }

    /// Closes the listener and every connection and stops the event loops. Idempotent;
    /// must not be called from one of this server's event loop threads.
    public func shutdown() {
        let first: Bool = isShutDown.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        try? serverChannel.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Requests seen for `path` (without query string) since start or the last `resetCounts()`;
    /// `requestCount(path: "unauthorized")` is the number of 401 answers from the OAuth routes.
    public func requestCount(path: String) -> Int { state.count(path: path) }

    /// Requests seen on all paths since start or the last `resetCounts()`.
    public var totalRequests: Int { state.totalRequests }

    /// Zeroes the request counters (which also restarts `/flaky`'s sequence), restarts the
    /// `/ramp` clock, and restarts `maxConcurrentSeen` from the requests in progress now.
    public func resetCounts() { state.reset() }

    /// Revokes every access token `/oauth/token` issued, as an authorization server does
    /// when keys rotate: the protected routes answer 401 to them from now on.
    public func revokeTokens() { state.revokeTokens() }

    /// Makes `/switch?name=NAME` answer with `status` from now on (e.g. 503 to start failing).
    public func setSwitch(_ name: String = "default", status: Int) { state.setSwitch(name, status: status) }

    /// Every `/latency` request answered with a delay: its `tag=` query value, the delay drawn
    /// and the `traceparent` header it carried, in arrival order.
    public var latencyLog: [LatencyLogEntry] { state.latencyLog }

    /// The highest number of requests in progress at once (from request head received to
    /// response end written, or connection closed).
    public var maxConcurrentSeen: Int { state.maxConcurrentSeen }
}
