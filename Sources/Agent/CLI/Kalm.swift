import ArgumentParser
import CKalm
import Exporter
import Measurements
import Probes

/// The `kalm` command: subcommands `agent`, `run`, `merge`, `check`, `demo`, `health`.
struct Kalm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kalm",
        abstract: "Synthetic monitoring and load testing for HTTP APIs, with a Prometheus /metrics endpoint.",
        discussion: """
            kalm agent -c kalm.yml   run continuous probes and scheduled windows; serve /metrics
            kalm run -c kalm.yml     one-shot test like `k6 run`, with thresholds and exit codes
            kalm check -c kalm.yml   validate a config
            kalm demo                a demo API and an agent probing it
            kalm health --url URL    check an agent's /-/healthy or /-/ready (container probes)
            """,
        version: BuildInfo.versionLine,
        subcommands: [AgentCommand.self, RunCommand.self, MergeCommand.self, CheckCommand.self, DemoCommand.self, HealthCommand.self]
    )
}

/// Version and revision baked into the binary.
enum BuildInfo {
    static let version = KalmVersion.version
    /// The git revision of the build (`-dirty` with uncommitted changes), set by Package.swift.
    static let revision = String(cString: kalm_build_revision())
    static var versionLine: String { "kalm \(version) (revision \(revision))" }

    /// `kalm_build_info` with the agent's labels; the agent and `kalm run` both expose it.
    static func family(labels base: MetricLabels) -> MetricFamily {
        var build = MetricFamily(MetricCatalogue.buildInfo)
        build.add(1, labels: [(name: "revision", value: revision), (name: "version", value: version)] + base)
        return build
    }
}
