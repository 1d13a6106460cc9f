import Foundation
import Measurements
import Probes

/// The `kalm` object of `--summary-export`: what `kalm merge` needs to add parts of a
/// distributed run exactly and judge the whole (docs/configuration.md, "Distributed runs").
/// Versioned; k6's keys beside it are unchanged.
struct PartExport {
    /// The format's version; `kalm merge` refuses others.
    static let version = 1

    /// MD5 of the config file, the scenario and its executor after overrides: parts of one run share it.
    var runDigest: String
    var scenario: String
    var executor: String
    /// This part's segment and the run's sequence, as k6 writes them.
    var segment: ExecutionSegment
    /// Unix seconds when the executor started, and how long the part ran.
    var startedAt: Double
    /// `--start-at`, as given: parts of one run share it, so a part of another run (a file
    /// left from an earlier run) is refused.
    var startAt: String?
    var elapsedSeconds: Double
    var vus: GaugeStats
    var vusMax: Int
    var aborted: Bool
    /// The thresholds as written: metric key, expression, abortOnFail and its delay.
    var thresholds: [Threshold]
    var probes: [ThresholdProbe]
    var trendBits: Int
    var statusTrends: [Int]
    var perProbe: [ProbeStats]
    var perStep: [[ProbeStats]]
    /// The part over time, for the merged report.
    var timeline: RunTimeline

    /// The digest that ties a run's parts together.
    static func digest(configPath: String, scenario: ScenarioSpec) -> String {
        let config = (try? Data(contentsOf: URL(fileURLWithPath: configPath))) ?? Data()
        var bytes = Array(config)
        bytes += Array("\u{0}\(scenario.name)\u{0}\(scenario.executor)\u{0}\(scenario.thinkTime)".utf8)
        return MD5.hex(bytes)
    }

    var json: [String: Any] {
        [
            "version": Self.version,
            "run": runDigest,
            "scenario": scenario,
            "executor": executor,
            "execution_segment": segment.description,
            "execution_segment_sequence": segment.sequence.map(\.description).joined(separator: ","),
            "started_at": startedAt,
            "start_at": startAt ?? NSNull(),
            "elapsed_seconds": elapsedSeconds,
            "vus": ["value": vus.value, "min": vus.min.isFinite ? vus.min : 0, "max": vus.max.isFinite ? vus.max : 0],
            "vus_max": vusMax,
            "aborted": aborted,
            "thresholds": thresholds.map {
                ["metric": $0.key, "threshold": $0.source, "abort_on_fail": $0.abortOnFail, "delay_abort_eval": $0.delayAbortEval] as [String: Any]
            },
            "trend_bits": trendBits,
            "timeline": timeline.archive,
            "status_trends": statusTrends,
            "probes": probes.enumerated().map { i, p in
                [
                    "name": p.name, "checks": p.checkNames, "steps": p.steps, "check_steps": p.checkSteps,
                    "stats": perProbe[i].archive,
                    "step_stats": i < perStep.count ? perStep[i].map(\.archive) : [],
                ] as [String: Any]
            },
        ]
    }

    /// The part in `file`'s `kalm` object; throws `UsageError` naming the file and what is wrong.
    init(file: String) throws {
        func bad(_ why: String) -> UsageError { UsageError(.invalidValue, "\(file): \(why)") }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw UsageError(.unreadableFile, "\(file): cannot read it (does it exist?)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw bad("not a JSON object") }
        guard let k = root["kalm"] as? [String: Any] else {
            throw bad("no \"kalm\" object: not a kalm --summary-export (k6's exports cannot be merged exactly), or from kalm before 0.2")
        }
        guard ArchiveValue.int(k["version"]) == Self.version else {
            throw bad("export version \(k["version"] ?? "none"), this kalm merges version \(Self.version)")
        }
        guard let run = k["run"] as? String, let scenario = k["scenario"] as? String, let executor = k["executor"] as? String,
              let segText = k["execution_segment"] as? String, let seqText = k["execution_segment_sequence"] as? String,
              let started = ArchiveValue.double(k["started_at"]), let elapsed = ArchiveValue.double(k["elapsed_seconds"]),
              let vus = k["vus"] as? [String: Any], let vusMax = ArchiveValue.int(k["vus_max"]),
              let bits = ArchiveValue.int(k["trend_bits"]), let probes = k["probes"] as? [[String: Any]]
        else { throw bad("the kalm object misses a field (run, scenario, executor, execution_segment, ...)") }
        let seq = seqText.split(separator: ",").compactMap { Fraction(parsing: $0) }
        let bounds = segText.split(separator: ":")
        guard bounds.count == 2, let from = Fraction(parsing: bounds[0]), let to = Fraction(parsing: bounds[1]),
              let segment = try? ExecutionSegment(from: from, to: to, sequence: seq) else {
            throw bad("execution segment \(segText) of sequence \(seqText) does not parse")
        }
        runDigest = run
        self.scenario = scenario
        self.executor = executor
        self.segment = segment
        startedAt = started
        startAt = k["start_at"] as? String
        elapsedSeconds = elapsed
        var g = GaugeStats()
        g.value = ArchiveValue.double(vus["value"]) ?? 0
        g.min = ArchiveValue.double(vus["min"]) ?? 0
        g.max = ArchiveValue.double(vus["max"]) ?? 0
        g.samples = 1
        self.vus = g
        self.vusMax = vusMax
        aborted = k["aborted"] as? Bool ?? false
        trendBits = bits
        statusTrends = (k["status_trends"] as? [Any] ?? []).compactMap(ArchiveValue.int)
        thresholds = try (k["thresholds"] as? [[String: Any]] ?? []).map { t in
            guard let key = t["metric"] as? String, let source = t["threshold"] as? String else { throw bad("a threshold without metric or expression") }
            do {
                return try Threshold(key: key, expression: source, abortOnFail: t["abort_on_fail"] as? Bool ?? false,
                                     delayAbortEval: ArchiveValue.double(t["delay_abort_eval"]) ?? 0)
            } catch {
                throw bad("threshold \(key): \(source): \(error)")
            }
        }
        let layout = StatsLayout(trendBits: bits, statusTrends: statusTrends)
        var ps: [ThresholdProbe] = [], stats: [ProbeStats] = [], steps: [[ProbeStats]] = []
        for p in probes {
            guard let name = p["name"] as? String, let checks = p["checks"] as? [String], let stepNames = p["steps"] as? [String],
                  let s = p["stats"] as? [String: Any] else { throw bad("a probe without name, checks, steps or stats") }
            let checkSteps = (p["check_steps"] as? [Any] ?? []).compactMap(ArchiveValue.int)
            let probe = ThresholdProbe(name: name, checkNames: checks, steps: stepNames, checkSteps: checkSteps)
            do {
                stats.append(try ProbeStats(archive: s, checkCount: checks.count, layout: layout))
                steps.append(try (p["step_stats"] as? [[String: Any]] ?? []).map {
                    try ProbeStats(archive: $0, checkCount: checks.count, layout: layout)
                })
            } catch {
                throw bad("probe \(name): \(error)")
            }
            ps.append(probe)
        }
        self.probes = ps
        perProbe = stats
        perStep = steps
        guard let tl = (k["timeline"] as? [String: Any]).flatMap(RunTimeline.init(archive:)) else { throw bad("timeline is missing or malformed") }
        timeline = tl
    }

    /// A run's part, as `kalm run` exports it.
    init(runDigest: String, scenario: ScenarioSpec, report: RunReport, thresholds: [Threshold], startedAt: Double, startAt: String?,
         layout: StatsLayout, timeline: RunTimeline) {
        self.startAt = startAt
        self.timeline = timeline
        self.runDigest = runDigest
        self.scenario = scenario.name
        executor = scenario.executor.name
        segment = scenario.segment
        self.startedAt = startedAt
        elapsedSeconds = report.elapsedSeconds
        vus = report.vus
        vusMax = report.vusMax
        aborted = report.aborted
        self.thresholds = thresholds
        probes = report.thresholdProbes
        trendBits = layout.trendBits
        statusTrends = layout.statusTrends
        perProbe = report.perProbe
        perStep = report.perStep
    }
}
