import ArgumentParser
import Foundation
import Logging
import NIOPosix

/// `kalm demo`: a demo valuations API on loopback and an agent probing it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a demo API on loopback and an agent probing it; print where to look.")

    @Option(name: .customLong("web.listen-address"), help: ArgumentHelp("Where the agent serves /metrics (default 127.0.0.1:9877; an ephemeral port if that is taken).", valueName: "host:port"))
    var listenAddress: String?

    @Option(help: ArgumentHelp("Stop after this long (default: run until Ctrl-C).", valueName: "duration"))
    var duration: DurationArgument?

    @Flag(name: .customLong("print-config"), help: "Print the demo's kalm.yml and exit.")
    var printConfig = false

    @OptionGroup var engine: EngineOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        if printConfig {
            print(DemoConfig.yaml)
            return
        }
        let logger = logging.bootstrap()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let api = try await DemoAPIServer.start(group: group)
        let cfg = try ConfigLoader.parse(yaml: DemoConfig.yaml, sourceName: "<kalm demo>", env: ["DEMO_API": api.baseURL],
                                         baseDirectory: FileManager.default.currentDirectoryPath)
        let runtime = AgentRuntime(config: cfg, configPath: nil, env: [:], threads: try engine.threadCount(), logger: logger,
                                   systemd: SystemdNotifier.fromEnvironment(logger: logger))
        var address = listenAddress ?? "127.0.0.1:9877"
        if listenAddress == nil, !Self.portIsFree(host: "127.0.0.1", port: 9877) {
            address = "127.0.0.1:0"
        }
        if let d = duration?.seconds {
            Task {
                try? await Task.sleep(nanoseconds: UInt64(d * 1e9))
                kill(getpid(), SIGTERM)
            }
        }
        let apiURL = api.baseURL
        let fallback = address
        try await AgentRunner.run(runtime: runtime, addresses: [address], logger: logger) { bound in
            let host = bound.first ?? fallback
            print("""

                kalm demo is running (Ctrl-C to stop).

                  demo API        POST \(apiURL)/v1/valuations   (log-normal latency ~40 ms, slow tail, ~0.5% 5xx)
                  status page     http://\(host)/
                  metrics         http://\(host)/metrics
                  try             curl -s http://\(host)/metrics | grep kalm_window_latency_seconds

                The agent probes the API with 2 VUs and the guide's checks; `kalm demo --print-config` shows its kalm.yml.

                """)
        }
        await api.shutdown()
        try? await group.shutdownGracefully()
    }

    /// Whether nothing listens on host:port (so the demo can take the default port).
    static func portIsFree(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // As NIO binds (SO_REUSEADDR): a port left in TIME_WAIT by an earlier demo is free.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(host)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return r == 0
    }
}
