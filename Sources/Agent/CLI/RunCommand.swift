import ArgumentParser
import Exporter
import Foundation
import Measurements
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

    @Option(help: ArgumentHelp("Replace the executor with a load profile: smoke, load, stress, spike, soak, breakpoint (numbers per probe).", valueName: "name"))
    var profile: Profile?

    @Option(help: ArgumentHelp("Ramp through these stages instead: DURATION:TARGET,... e.g. 30s:10,1m:50 (VUs, or the rate of an arrival-rate executor).", valueName: "stages"))
    var stages: String?

    @Option(help: "VUs per probe (constant-vus: the count; ramping-vus: the peak, stages scaled).")
    var vus: Int?

    @Option(help: ArgumentHelp("How long to run (constant-vus), or the stages' total (ramping), e.g. 30s, 5m.", valueName: "duration"))
    var duration: DurationArgument?

    @Option(name: .customLong("summary-export"), help: ArgumentHelp("Write the summary as k6-shaped JSON to this file.", valueName: "file"))
    var summaryExport: String?

    @Option(name: .customLong("report"), help: ArgumentHelp("Write a self-contained HTML report (charts over time, probes, thresholds).", valueName: "file.html"))
    var reportFile: String?

    @Option(name: .customLong("junit"), help: ArgumentHelp("Write a JUnit XML report: a testcase per threshold and per check.", valueName: "file"))
    var junit: String?

    @Option(name: .customLong("baseline"), help: ArgumentHelp("Compare with an earlier --summary-export (kalm's or k6's).", valueName: "file"))
    var baseline: String?

    @Option(name: .customLong("max-regression"), help: ArgumentHelp("With --baseline: fail (99) when p(95)/p(99) grew more than this, or the error rate more than max(this share, 0.1 pt).", valueName: "percent"))
    var maxRegression: String?

    @Option(name: .customLong("web.listen-address"),
            help: ArgumentHelp("Serve /metrics here while the run goes (repeatable), e.g. 127.0.0.1:9877.", valueName: "host:port"))
    var listenAddresses: [String] = []

    @Option(name: .customLong("out"), help: ArgumentHelp("Write one row per request: csv=FILE or json=FILE (repeatable; .gz compresses).", valueName: "type=file"))
    var outputs: [String] = []

    @OptionGroup var distributed: DistributedOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var webConfig: WebConfigOption

    func run() throws {
        let logger = logging.bootstrap()
        let security = try webConfig.source(logger: logger)
        FileDescriptorLimit.raiseToHardLimit()
        let limits = try webConfig.limits()
        let overrides = RunOverrides(vus: vus, duration: duration?.seconds)
        try overrides.validate()
        let threads = try engine.threadCount()
        let segment = try distributed.executionSegment()
        let startAt = try distributed.startInstant()
        let outputSpecs = try outputs.map { o -> (RequestOutput.Format, String) in
            guard let eq = o.firstIndex(of: "="), let format = RequestOutput.Format(rawValue: String(o[..<eq])), o.index(after: eq) < o.endIndex else {
                throw UsageError(.invalidValue, "--out \(o): write csv=FILE or json=FILE (k6's other outputs are not built in; use --web.listen-address for Prometheus)")
            }
            return (format, String(o[o.index(after: eq)...]))
        }
        let cfg = try config.load()
        let stageList = try stages.map { text -> [Stage] in
            do { return try StageList.parse(text) } catch {
                throw UsageError(.invalidValue, "--stages \"\(text)\": \(error); write DURATION:TARGET pairs, e.g. 30s:10,1m:50")
            }
        }
        let chosen = try ScenarioSelector.select(from: cfg, name: scenario)
        var spec: ScenarioSpec
        if let chosen {
            spec = chosen.spec
            if let profile { spec.executor = profile.executor }
        } else if let profile {
            spec = ScenarioSpec(name: profile.rawValue, probes: cfg.probes, executor: profile.executor, thinkTime: profile.defaultThinkTime)
        } else if stageList != nil {
            spec = ScenarioSpec(name: "default", probes: cfg.probes, executor: .rampingVUs(startVUs: 0, stages: [], gracefulRampDown: 30))
        } else {
            guard let d = duration?.seconds else {
                throw UsageError(.noScenario, "\(cfg.sourcePath) has no scenarios: add one under `scenarios:`, pass --profile NAME, or pass --duration (and --vus) to run every probe with constant VUs")
            }
            spec = ScenarioSpec(name: "default", probes: cfg.probes, executor: .constantVUs(vus: vus ?? 1, duration: d))
        }
        if let stageList { spec.executor = RunOverrides.applyStages(stageList, to: spec.executor) }
        spec.executor = try overrides.apply(to: spec.executor, continuous: chosen?.continuous ?? false)
        spec.segment = segment
        let maxRegressionPercent = try maxRegression.map(BaselineComparison.parsePercent)
        if maxRegressionPercent != nil, baseline == nil {
            throw UsageError(.conflictingFlags, "--max-regression needs --baseline FILE (the export to compare with)")
        }
        let baselineMetrics = try baseline.map(BaselineComparison.load)
        let declared = chosen.map { RunThresholds(config: cfg, scenario: $0) } ?? RunThresholds(config: cfg, scenario: nil)
        // --no-thresholds (k6's): a part is not judged, not even by abortOnFail; the export still
        // carries the thresholds, for `kalm merge` to judge the whole.
        let thresholds = distributed.noThresholds ? RunThresholds([]) : declared
        let breakpoint = distributed.noThresholds ? nil
            : try RunMonitor.breakpointThresholds(isBreakpoint: profile == .breakpoint, abortOn: chosen?.abortOn, thresholds: thresholds)
        let layout = StatsLayout(buckets: cfg.agent.buckets, phaseBuckets: cfg.agent.phaseBuckets,
                                 statusTrends: ThresholdNeeds.statusTrends(declared.all),
                                 windowExtras: ThresholdNeeds.windowExtras(breakpoint ?? []),
                                 native: cfg.agent.nativeHistograms)
        // Soak statistics when the run has a steady state worth the name: the soak profile,
        // or a ramping executor that holds its target.
        var steady = SteadyState(spec.executor)
        if profile != .soak, case .constantVUs = spec.executor { steady = nil }
        if profile != .soak, case .constantArrivalRate = spec.executor { steady = nil }
        var metricsServer: RunMetricsServer?
        if !listenAddresses.isEmpty {
            let server = RunMetricsServer(config: cfg)
            try server.start(addresses: listenAddresses, security: security, limits: limits, logger: logger)
            metricsServer = server
        }
        defer { metricsServer?.stop() }
        let controller = RunController(scenario: spec, threads: threads, layout: layout, logger: logger)
        controller.onStart = { sink, engine in metricsServer?.attach(scenario: spec, sink: sink, engine: engine) }
        let progress = ProgressReporter(totalSeconds: spec.executor.duration)
        let outcome = try controller.run(thresholds: thresholds, progress: progress, breakpoint: breakpoint, soak: steady,
                                         startAt: startAt, outputs: outputSpecs)
        let report = RunReport(scenario: spec, outcome: outcome, layout: layout)
        let monitor = outcome.monitor
        let results = monitor.finalResults(stats: outcome.stats, elapsed: outcome.elapsedSeconds, vus: outcome.vus.value)
        var export = SummaryExport(report: report)
        var comparison: BaselineComparison?
        if let base = baselineMetrics, let path = baseline {
            comparison = BaselineComparison(path: path, baseline: base, current: export.metricsObject(),
                                            maxRegression: maxRegressionPercent)
        }
        let passed = monitor.passed(results) && (comparison?.passed ?? true)
        export.part = PartExport(runDigest: PartExport.digest(configPath: cfg.sourcePath, scenario: spec), scenario: spec,
                                 report: report, thresholds: declared.all, startedAt: outcome.startedAtUnix,
                                 startAt: distributed.startAt, layout: layout,
                                 timeline: outcome.timeline)

        var printer = SummaryPrinter(report: report)
        printer.thresholds = results
        printer.abortedBy = monitor.abortedBy
        print(printer.render(), terminator: "")
        if let bp = monitor.bp { print(BreakpointReport.render(bp, probes: spec.probes.map(\.name))) }
        if let soak = outcome.soak, let steady { print(SoakSummary.render(soak, probes: spec.probes.map(\.name), steady: steady)) }
        if let comparison { print(comparison.render()) }
        if !passed, !outcome.aborted {
            let failed = results.filter { !$0.ok }.map { "\($0.threshold.key) \($0.threshold.source) (\($0.observedText))" }
            let regressions = comparison?.verdicts.filter { !$0.ok }.map(\.what) ?? []
            printErr("error: thresholds failed: " + (failed + regressions).joined(separator: "; "))
        }
        if let path = summaryExport {
            export.setThresholds(results, comparison: comparison, passed: passed)
            export.breakpoint = monitor.bp.map { BreakpointReport.json($0, probes: spec.probes.map(\.name)) }
            export.soak = outcome.soak.map { SoakSummary.json($0, probes: spec.probes.map(\.name)) }
            try export.write(to: path)
        }
        if let path = junit {
            try JUnitReport.make(report: report, results: results, comparison: comparison).write(to: path)
        }
        if let path = reportFile {
            let data = ReportData(report: report, timeline: outcome.timeline, results: results, executor: spec.executor.name,
                                  startedAt: outcome.startedAtUnix, parts: 1, passed: passed)
            try HTMLReport.write(data, to: path)
        }
        if outcome.aborted { throw ExitCode(KalmExit.aborted) }
        if !passed { throw ExitCode(KalmExit.thresholdsFailed) }
    }
}
