import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The HTTP/1 server behind `/metrics` and whatever other routes its owner registers
/// (the agent's are listed in docs/metrics.md and README.md).
///
/// A route's method set decides 405 (with `Allow`) for other methods; any other path is
/// 404. Keep-alive is supported. `ServerLimits` bound what a client costs: idle and
/// slow connections are closed, request heads are bounded in time and size, connections in
/// number; request bodies are discarded (a deferred route accepts up to its `maxBody`), and
/// a client that does not read its responses is not served more once its connection has
/// 8 MiB buffered, so it cannot exhaust memory. With `--web.config.file` it serves HTTPS
/// and asks for basic auth (`EndpointSecuritySource`, looked up per connection).
public final class MetricsHTTPServer: Sendable {
    /// The addresses actually bound, as `host:port` (`[host]:port` for IPv6), with
    /// ephemeral ports resolved; one per listen address, in the order given.
    public let boundAddresses: [String]

    private let listeners: [Channel]
    private let connections: ChannelRegistry
    private let logger: Logger

    /// Outbound bytes buffered per connection above which no further response is rendered.
    static let writeBufferHighWater = 8 * 1024 * 1024

    private init(boundAddresses: [String], listeners: [Channel], connections: ChannelRegistry, logger: Logger) {
        self.boundAddresses = boundAddresses
        self.listeners = listeners
        self.connections = connections
        self.logger = logger
    }

    /// Binds every address (`127.0.0.1:9464`, `:9464` for every interface, `[::1]:9464`,
    /// `0.0.0.0:0` for an ephemeral port) and starts serving `routes` on `group`.
    ///
    /// Throws a `ListenError` naming the address when one cannot be parsed or bound (after
    /// closing the ones already bound). `limits` bound each client's cost. `security` (per
    /// connection, so rotated certificates apply to new ones) may serve TLS, ask every request
    /// for basic auth and add headers to every response (`--web.config.file`).
    public static func start(addresses: [String], routes: [HTTPRoute], group: EventLoopGroup,
                             logger: Logger, limits: ServerLimits = ServerLimits(),
                             security: EndpointSecuritySource = .fixed(.open)) async throws -> MetricsHTTPServer {
        let parsed = try addresses.map { try ListenAddress(parsing: $0) }
        let connections = ChannelRegistry(limit: limits.maxConnections)
        let router = HTTPRouter(routes)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark,
                                value: .init(low: writeBufferHighWater / 8, high: writeBufferHighWater))
            .childChannelInitializer { channel in
                let activity = ConnectionActivity()
                connections.add(channel, activity: activity)
                let security = security.current()
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(allTimeout: limits.idleTimeout))
                    if let tls = security.tls {
                        try sync.addHandler(PlainHTTPProbe())
                        try sync.addHandler(NIOSSLServerHandler(context: tls.context,
                                                                customVerificationCallback: tls.settings.acceptAnyCertificate,
                                                                configuration: .init()))
                        if let sans = tls.settings.clientAllowedSANs { try sync.addHandler(ClientSANCheck(allowed: sans)) }
                    }
                    let deadline = RequestHeadDeadline(timeout: limits.requestHeadTimeout, maxBytes: limits.maxHeadBytes,
                                                       activity: activity)
                    try sync.addHandler(deadline)
                    try sync.configureHTTPServerPipeline(withErrorHandling: true,
                                                         withEncoderConfiguration: .init(),
                                                         withDecoderLimitConfiguration: limits.decoderLimits)
                    try sync.addHandler(HTTPRequestHandler(router: router, logger: logger, security: security, headDeadline: deadline))
                }
            }
        var listeners: [Channel] = []
        var bound: [String] = []
        for (text, address) in zip(addresses, parsed) {
            do {
                let channel = try await bind(bootstrap, address)
                listeners.append(channel)
                bound.append(channel.localAddress.map(format) ?? text)
                logger.info("listening", metadata: ["address": "\(bound.last!)", "tls": "\(security.current().tls != nil)"])
            } catch {
                let failure = listenError(error, address: text, port: address.port)
                logger.error("cannot listen", metadata: ["address": "\(text)", "error": "\(failure.reason)"])
                for channel in listeners { try? await channel.close() }
                throw failure
            }
        }
        return MetricsHTTPServer(boundAddresses: bound, listeners: listeners, connections: connections, logger: logger)
    }

    /// Connections closed so far to make room under `ServerLimits.maxConnections`.
    public var evictedConnections: Int { connections.evictions }

    /// Connections open now.
    public var openConnections: Int { connections.count }

    /// Stops listening and closes every open connection (a reload in progress still finishes,
    /// but its answer is dropped). Idempotent. Does not shut down the event loop group.
    public func shutdown() async {
        for channel in listeners {
            try? await channel.close()
        }
        await connections.closeAll()
    }

    // MARK: - Binding

    /// Binds the first of `address.bindHosts` that this host supports (an IPv4-only host
    /// cannot bind `::`); other errors, like the port being taken, are thrown at once.
    private static func bind(_ bootstrap: ServerBootstrap, _ address: ListenAddress) async throws -> Channel {
        let hosts = address.bindHosts
        for (index, host) in hosts.enumerated() {
            do {
                return try await bootstrap.bind(host: host, port: address.port).get()
            } catch let error as IOError where index < hosts.count - 1
                        && [EAFNOSUPPORT, EADDRNOTAVAIL, EPROTONOSUPPORT].contains(error.errnoCode) {
                continue
            }
        }
        preconditionFailure("bindHosts is never empty")
    }

    private static func listenError(_ error: Error, address: String, port: Int) -> ListenError {
        if let error = error as? ListenError { return error }
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE:
                return ListenError(.addressInUse, address: address,
                                   reason: "address already in use (another process is listening on port \(port))")
            case EACCES:
                return ListenError(.permissionDenied, address: address,
                                   reason: "permission denied (ports below 1024 need privileges; pick a port above 1024)")
            case EADDRNOTAVAIL:
                return ListenError(.addressNotAvailable, address: address, reason: "address not available (no interface on this host has it)")
            default:
                return ListenError(.other, address: address, reason: "\(error)")
            }
        }
        if error is SocketAddressError {
            return ListenError(.unresolvableHost, address: address, reason: "cannot resolve the host name")
        }
        return ListenError(.other, address: address, reason: "\(error)")
    }

    private static func format(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "?"
        let port = address.port ?? 0
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
