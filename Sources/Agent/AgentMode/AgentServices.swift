import Exporter
import Logging
import Measurements
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Runs the probes: starts the continuous scenarios, reloads on SIGHUP, and on graceful
/// shutdown stops them, letting in-flight requests finish or time out.
struct ProbeService: Service {
    let runtime: AgentRuntime
    /// Called once the scenarios have started, and when graceful shutdown begins (systemd's READY=1 and STOPPING=1).
    var onStarted: (@Sendable () -> Void)? = nil
    var onStopping: (@Sendable () -> Void)? = nil

    func run() async throws {
        try runtime.start()
        onStarted?()
        let runtime = self.runtime
        let scheduler = Task { await runtime.runScheduler() }
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            runtime.logger.info("SIGHUP: reloading the config")
            _ = await runtime.reload()
        }
        scheduler.cancel()
        onStopping?()
        runtime.logger.info("stopping: waiting for in-flight requests")
        await runtime.stopAll()
    }
}

/// Serves /metrics, /, /-/healthy, /-/ready and /-/reload until graceful shutdown.
struct MetricsService: Service {
    let runtime: AgentRuntime
    let addresses: [String]
    let group: EventLoopGroup
    /// `--web.enable-lifecycle`: whether `/-/reload` may reload.
    var lifecycle = false
    /// `--web.config.file`: TLS, basic auth and headers on every path.
    var security = EndpointSecuritySource.fixed(.open)
    /// `--web.max-connections` and the fixed limits.
    var limits = ServerLimits()
    /// Called with the bound addresses once listening (kalm demo prints them).
    var onListening: (@Sendable ([String]) -> Void)?

    func run() async throws {
        let runtime = self.runtime
        var reload: (@Sendable () async -> String?)?
        if lifecycle { reload = { @Sendable in await runtime.reload() } }
        let routes = AgentRoutes.make(
            metrics: { accept, encoding in runtime.scrape(accept: accept, acceptEncoding: encoding) },
            statusPage: { StatusPage.render(runtime: runtime) },
            reload: reload,
            isReady: { runtime.isReady })
        let server = try await MetricsHTTPServer.start(addresses: addresses, routes: routes, group: group,
                                                       logger: runtime.logger, limits: limits, security: security)
        onListening?(server.boundAddresses)
        try? await gracefulShutdown()
        await server.shutdown()
    }
}
