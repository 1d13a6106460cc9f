import ArgumentParser
import Foundation
import Measurements
import Probes

/// `kalm merge`: the parts of a distributed run, added up exactly, judged as one run
/// (docs/configuration.md, "Distributed runs").
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the --summary-export files of a distributed run's parts and judge the thresholds over the whole.",
        discussion: """
            Every part must come from the same config, scenario and segment sequence, and every
            segment must be there (--allow-missing merges what exists). Exit codes, as a run's:
            0 thresholds passed, 99 thresholds failed, 104 parts that cannot be merged.
            """)

    @Argument(help: ArgumentHelp("The parts' --summary-export files.", valueName: "part.json"))
    var parts: [String]

    @Option(name: .customLong("summary-export"), help: ArgumentHelp("Write the merged summary as k6-shaped JSON to this file.", valueName: "file"))
    var summaryExport: String?

    @Option(name: .customLong("junit"), help: ArgumentHelp("Write a JUnit XML report of the whole.", valueName: "file"))
    var junit: String?

    @Option(name: .customLong("report"), help: ArgumentHelp("Write a self-contained HTML report of the whole.", valueName: "file.html"))
    var reportFile: String?

    @Flag(name: .customLong("allow-missing"), help: "Merge the parts that exist when some segment's part is missing (its load is then not in the result).")
    var allowMissing = false

    func run() throws {
        guard !parts.isEmpty else { throw UsageError(.invalidValue, "kalm merge needs the parts' --summary-export files") }
        let loaded = try parts.map { try PartExport(file: $0) }
        let merged = try Self.merge(loaded, files: parts, allowMissing: allowMissing)
        let report = merged.report
        let results = RunThresholds(merged.thresholds).evaluate(RunThresholdData(
            scenario: report.scenarioName, probes: report.thresholdProbes, stats: report.perProbe, stepStats: report.perStep,
            elapsedSeconds: report.elapsedSeconds, vus: report.vus.value, vusMax: Double(report.vusMax)))
        let passed = results.allSatisfy(\.ok) && !report.aborted
        print("merged \(loaded.count) part\(loaded.count == 1 ? "" : "s") of \(report.scenarioName): \(merged.coverage)")
        var printer = SummaryPrinter(report: report)
        printer.thresholds = results
        print(printer.render(), terminator: "")
        if !passed {
            let failed = results.filter { !$0.ok }.map { "\($0.threshold.key) \($0.threshold.source) (\($0.observedText))" }
            printErr("error: thresholds failed over the merged parts: " + failed.joined(separator: "; "))
        }
        if let path = summaryExport {
            var export = SummaryExport(report: report)
            export.setThresholds(results, comparison: nil, passed: passed)
            try export.write(to: path)
        }
        if let path = junit {
            try JUnitReport.make(report: report, results: results, comparison: nil).write(to: path)
        }
        if let path = reportFile {
            let data = ReportData(report: report, timeline: merged.timeline, results: results, executor: merged.executor,
                                  startedAt: merged.startedAt, parts: loaded.count, passed: passed)
            try HTMLReport.write(data, to: path)
        }
        if !passed { throw ExitCode(KalmExit.thresholdsFailed) }
    }

    /// What merging produced.
    struct Merged {
        var report: RunReport
        var thresholds: [Threshold]
        /// "segments 0:1/4, 1/4:1/2, ... of 0,1/4,...,1" or what is missing.
        var coverage: String
        /// The parts over time, added slot by slot (they started together: `--start-at`).
        var timeline: RunTimeline
        var executor: String
        var startedAt: Double
    }

    /// Adds `parts` up; throws `UsageError` for parts that do not belong together or a missing segment.
    static func merge(_ parts: [PartExport], files: [String], allowMissing: Bool) throws -> Merged {
        let first = parts[0]
        for (p, file) in zip(parts, files).dropFirst() {
            guard p.runDigest == first.runDigest, p.scenario == first.scenario else {
                throw UsageError(.invalidValue, "\(file) is a part of another run than \(files[0]) (different config, scenario or executor): merge parts of one run only")
            }
            guard p.startAt == first.startAt else {
                throw UsageError(.invalidValue, "\(file) started at \(p.startAt ?? "no --start-at"), \(files[0]) at \(first.startAt ?? "no --start-at"): parts of one run share --start-at (a file left from an earlier run?)")
            }
            guard p.segment.sequence == first.segment.sequence else {
                throw UsageError(.invalidValue, "\(file) splits the run as \(p.segment.sequence.map(\.description).joined(separator: ",")), \(files[0]) as \(first.segment.sequence.map(\.description).joined(separator: ",")): the parts must share one --execution-segment-sequence")
            }
            guard p.probes.map(\.name) == first.probes.map(\.name), p.trendBits == first.trendBits, p.statusTrends == first.statusTrends else {
                throw UsageError(.invalidValue, "\(file) has other probes or trends than \(files[0])")
            }
        }
        var seen: [Int: String] = [:]
        for (p, file) in zip(parts, files) {
            if let other = seen[p.segment.index] {
                throw UsageError(.invalidValue, "\(file) and \(other) are both segment \(p.segment.description): each part once")
            }
            seen[p.segment.index] = file
        }
        let sequence = first.segment.sequence
        let missing = (0..<(sequence.count - 1)).filter { seen[$0] == nil }
        let missingText = missing.map { "\(sequence[$0]):\(sequence[$0 + 1]) (part \($0) of \(sequence.count - 1))" }
        if !missing.isEmpty, !allowMissing {
            throw UsageError(.invalidValue, "missing part\(missing.count == 1 ? "" : "s"): \(missingText.joined(separator: ", ")); its export was not written (a failed or killed part?). Pass --allow-missing to merge the \(parts.count) that exist")
        }
        let layout = StatsLayout(trendBits: first.trendBits, statusTrends: first.statusTrends)
        var perProbe = first.perProbe, perStep = first.perStep
        var vus = first.vus, vusMax = first.vusMax, elapsed = first.elapsedSeconds, aborted = first.aborted
        var timeline = first.timeline
        for p in parts.dropFirst() {
            timeline.merge(p.timeline, sumVUs: true)
            for i in perProbe.indices { perProbe[i].merge(p.perProbe[i]) }
            for i in perStep.indices where i < p.perStep.count {
                for k in perStep[i].indices where k < p.perStep[i].count { perStep[i][k].merge(p.perStep[i][k]) }
            }
            // Parts run side by side: their VUs add up; the run lasts as long as the longest part.
            vus.value += p.vus.value
            vus.min += p.vus.min
            vus.max += p.vus.max
            vusMax += p.vusMax
            elapsed = max(elapsed, p.elapsedSeconds + p.startedAt - first.startedAt)
            aborted = aborted || p.aborted
        }
        let report = RunReport(scenarioName: first.scenario, probes: first.probes, perProbe: perProbe, perStep: perStep,
                               elapsedSeconds: elapsed, vus: vus, vusMax: vusMax, aborted: aborted, layout: layout)
        let coverage = missing.isEmpty
            ? "all \(sequence.count - 1) segments of \(sequence.map(\.description).joined(separator: ","))"
            : "missing \(missingText.joined(separator: ", "))"
        return Merged(report: report, thresholds: first.thresholds, coverage: coverage, timeline: timeline,
                      executor: first.executor, startedAt: parts.map(\.startedAt).min() ?? first.startedAt)
    }
}
