import ArgumentParser
import Exporter
import Logging
import Measurements
import NIOPosix
import ServiceLifecycle

/// `kalm agent`: runs every continuous scenario forever and serves /metrics.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run continuous probes forever and serve /metrics for Prometheus.",
        discussion: """
            SIGTERM/SIGINT: stop gracefully (in-flight requests finish or time out), exit 0.
            SIGHUP, or POST /-/reload with --web.enable-lifecycle: re-read the config; a bad config is logged and the old one keeps running.
            """)

    /// The default listen address: a port in the exporters' range that no well-known exporter uses.
    static let defaultListenAddress = ":9877"

    @OptionGroup var config: ConfigOptions

    @Option(name: .customLong("web.listen-address"),
            help: ArgumentHelp("Address to serve /metrics on (repeatable). Default \(defaultListenAddress).", valueName: "host:port"))
    var listenAddresses: [String] = []

    @Flag(name: .customLong("web.enable-lifecycle"),
          help: "Allow POST|PUT /-/reload (Prometheus's flag); without it /-/reload answers 403. SIGHUP reloads either way.")
    var enableLifecycle = false

    @OptionGroup var engine: EngineOptions
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var webConfig: WebConfigOption

    func run() async throws {
        let logger = logging.bootstrap()
        let security = try webConfig.source(logger: logger)
        FileDescriptorLimit.raiseToHardLimit()
        let limits = try webConfig.limits()
        let threads = try engine.threadCount()
        let cfg = try config.load()
        let runtime = AgentRuntime(config: cfg, configPath: config.configFile, env: try config.environment(),
                                   threads: threads, logger: logger,
                                   systemd: SystemdNotifier.fromEnvironment(logger: logger))
        logger.info("kalm agent starting", metadata: ["version": .string(BuildInfo.versionLine), "config": .string(cfg.sourcePath)])
        try await AgentRunner.run(runtime: runtime, addresses: listenAddresses.isEmpty ? [Self.defaultListenAddress] : listenAddresses,
                                  lifecycle: enableLifecycle, security: security, limits: limits, logger: logger)
    }
}

/// Runs an agent's services until SIGTERM/SIGINT.
enum AgentRunner {
    /// - Parameter lifecycle: whether `/-/reload` reloads (`--web.enable-lifecycle`) or answers 403.
    static func run(runtime: AgentRuntime, addresses: [String], lifecycle: Bool = false,
                    security: EndpointSecuritySource = .fixed(.open), limits: ServerLimits = ServerLimits(),
                    logger: Logger,
                    onListening: (@Sendable ([String]) -> Void)? = nil) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // systemd (Type=notify): READY=1 once listening and probing, WATCHDOG=1 while the HTTP loop answers.
        let systemd = runtime.systemd
        let readiness = systemd.map { SystemdReadiness(notifier: $0) { [runtime] in AgentRunner.readyStatus(runtime, $0) } }
        let watchdog = systemd.map { n in
            Task { await n.runWatchdog { (try? await group.any().submit {}.get()) != nil } }
        }
        // The watchdog asks the event loop, so it stops before the loop does.
        func shutdownGroup() async {
            watchdog?.cancel()
            await watchdog?.value
            try? await group.shutdownGracefully()
        }
        let metrics = MetricsService(runtime: runtime, addresses: addresses, group: group, lifecycle: lifecycle, security: security, limits: limits, onListening: { bound in
            onListening?(bound)
            readiness?.listening(bound)
        })
        let probes = ProbeService(runtime: runtime, onStarted: { readiness?.probesStarted() },
                                  onStopping: { systemd?.stopping(status: "stopping: waiting for in-flight requests") })
        // Services stop in reverse order: probes drain first, then the server stops answering.
        let serviceGroup = ServiceGroup(configuration: .init(
            services: [.init(service: metrics), .init(service: probes)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await serviceGroup.run()
        } catch let e as ListenError {
            await shutdownGroup()
            throw UsageError(.listenAddress, e.description)
        } catch {
            await shutdownGroup()
            throw error
        }
        await shutdownGroup()
        logger.info("stopped")
    }

    /// systemd's STATUS= line once the agent is up.
    static func readyStatus(_ runtime: AgentRuntime, _ addresses: [String]) -> String {
        let scenarios = runtime.config.scenarios
        let continuous = scenarios.filter(\.continuous).count
        let scheduled = scenarios.filter { !$0.isOneShot && !$0.continuous }.count
        return "serving /metrics on \(addresses.joined(separator: ", ")); \(continuous) continuous, \(scheduled) scheduled scenario(s)"
    }
}
