import ArgumentParser
import Exporter
import Logging
import NIOPosix
import ServiceLifecycle

/// `kalm agent`: runs every continuous scenario forever and serves /metrics.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run continuous probes forever and serve /metrics for Prometheus.",
        discussion: """
            SIGTERM/SIGINT: stop gracefully (in-flight requests finish or time out), exit 0.
            SIGHUP or POST /-/reload: re-read the config; a bad config is logged and the old one keeps running.
            """)

    /// The default listen address: a port in the exporters' range that no well-known exporter uses.
    static let defaultListenAddress = ":9877"

    @OptionGroup var config: ConfigOptions

    @Option(name: .customLong("web.listen-address"),
            help: ArgumentHelp("Address to serve /metrics on (repeatable). Default \(defaultListenAddress).", valueName: "host:port"))
    var listenAddresses: [String] = []

    @OptionGroup var engine: EngineOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        let threads = try engine.threadCount()
        let cfg = try config.load()
        let runtime = AgentRuntime(config: cfg, configPath: config.configFile, env: try config.environment(),
                                   threads: threads, logger: logger)
        logger.info("kalm agent starting", metadata: ["version": .string(BuildInfo.versionLine), "config": .string(cfg.sourcePath)])
        try await AgentRunner.run(runtime: runtime, addresses: listenAddresses.isEmpty ? [Self.defaultListenAddress] : listenAddresses,
                                  logger: logger)
    }
}

/// Runs an agent's services until SIGTERM/SIGINT.
enum AgentRunner {
    static func run(runtime: AgentRuntime, addresses: [String], logger: Logger,
                    onListening: (@Sendable ([String]) -> Void)? = nil) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let metrics = MetricsService(runtime: runtime, addresses: addresses, group: group, onListening: onListening)
        let probes = ProbeService(runtime: runtime)
        // Services stop in reverse order: probes drain first, then the server stops answering.
        let serviceGroup = ServiceGroup(configuration: .init(
            services: [.init(service: metrics), .init(service: probes)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await serviceGroup.run()
        } catch let e as ListenError {
            try? await group.shutdownGracefully()
            throw UsageError(e.description)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }
}
