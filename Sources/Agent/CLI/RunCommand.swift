import ArgumentParser
import Exporter
import Foundation
import Probes

/// `kalm run`: one scenario, once, like `k6 run`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one scenario to completion and print a k6-style summary.",
        discussion: """
            Scenario choice: --scenario NAME; else the only scenario; else the only one that is
            neither continuous nor scheduled. Exit codes: 0 ok, 99 thresholds failed,
            104 invalid config or arguments, 105 aborted by a signal.
            """)

    @OptionGroup var config: ConfigOptions

    @Option(help: "The scenario to run.")
    var scenario: String?

    @Option(help: "VUs per probe (constant-vus: the count; ramping-vus: the peak, stages scaled).")
    var vus: Int?

    @Option(help: ArgumentHelp("How long to run (constant-vus), or the stages' total (ramping), e.g. 30s, 5m.", valueName: "duration"))
    var duration: DurationArgument?

    @Option(name: .customLong("summary-export"), help: ArgumentHelp("Write the summary as k6-shaped JSON to this file.", valueName: "file"))
    var summaryExport: String?

    @OptionGroup var engine: EngineOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = logging.bootstrap()
        let overrides = RunOverrides(vus: vus, duration: duration?.seconds)
        try overrides.validate()
        let threads = try engine.threadCount()
        let cfg = try config.load()
        let chosen = try ScenarioSelector.select(from: cfg, name: scenario)
        var spec: ScenarioSpec
        if let chosen {
            spec = chosen.spec
            spec.executor = try overrides.apply(to: spec.executor, continuous: chosen.continuous)
        } else {
            guard let d = duration?.seconds else {
                throw UsageError("\(cfg.sourcePath) has no scenarios: add one under `scenarios:`, or pass --duration (and --vus) to run every probe with constant VUs")
            }
            spec = ScenarioSpec(name: "default", probes: cfg.probes, executor: .constantVUs(vus: vus ?? 1, duration: d))
        }
        try Self.requireSupported(spec.executor)
        let layout = StatsLayout(buckets: cfg.agent.buckets, phaseBuckets: cfg.agent.phaseBuckets)
        let controller = RunController(scenario: spec, threads: threads, layout: layout, logger: logger)
        let outcome = try controller.run()
        let report = RunReport(scenario: spec, outcome: outcome, layout: layout)
        print(SummaryPrinter(report: report).render())
        if let path = summaryExport {
            try SummaryExport(report: report).write(to: path)
        }
        if outcome.aborted { throw ExitCode(KalmExit.aborted) }
    }

    /// Arrival-rate executors are accepted by the config schema but not run yet.
    static func requireSupported(_ e: ExecutorSpec) throws {
        switch e {
        case .constantArrivalRate, .rampingArrivalRate:
            throw UsageError("executor \(e.name) is not supported yet; use constant-vus or ramping-vus")
        default:
            return
        }
    }
}
