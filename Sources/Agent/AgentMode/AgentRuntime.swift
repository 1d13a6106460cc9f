import CKalm
import Exporter
import Foundation
import KalmSupport
import Logging
import Measurements
import Probes

/// The agent's moving parts: the config in force, the continuous scenarios it runs,
/// reloads, and what `/metrics` reads.
///
/// Reload keeps what did not change: a scenario whose spec is identical keeps running
/// untouched; a changed scenario restarts, but each of its probes that did not change
/// keeps its recorder, so counters continue and windows keep their data.
final class AgentRuntime: Sendable {
    struct State {
        var config: KalmConfig
        var runs: [String: ScenarioRun] = [:]
        var scheduled: [String: ScheduledScenario] = [:]
        var reloadSuccessful = true
        var lastReloadSuccess: Double
        var started = false
        /// The fleets' targets files as last read (docs/configuration.md, "Fleets").
        var targetFiles: [String: FileFingerprint] = [:]
        var lastTargetCheck = Date.distantPast
        /// Failed reads of each fleet probe's targets files.
        var targetFileErrors: [String: Int] = [:]
        /// When each fleet probe's targets last changed (its start until then).
        var targetsChangedAt: [String: Double] = [:]
    }

    let configPath: String?
    /// Unix time the runtime was made (the agent's start).
    let startedAt: Double
    let env: [String: String]
    let threads: Int
    let logger: Logger
    private let state: Locked<State>
    /// Serialises reloads (SIGHUP and POST /-/reload may race).
    private let reloading = Locked<Bool>(false)
    /// Told about reloads (RELOADING=1, then READY=1) when systemd runs the agent with Type=notify.
    let systemd: SystemdNotifier?
    /// `/metrics` renderings, at most one a second (see `ScrapeCache`).
    /// A fleet's scrape builds and frees tens of MiB: they go back to the system after each rendering.
    let scrapeCache = ScrapeCache(ttl: .seconds(1), afterRender: { kalm_release_free_memory() })

    init(config: KalmConfig, configPath: String?, env: [String: String], threads: Int, logger: Logger,
         systemd: SystemdNotifier? = nil) {
        self.systemd = systemd
        self.configPath = configPath
        self.env = env
        self.threads = threads
        self.logger = logger
        startedAt = Date().timeIntervalSince1970
        state = Locked(State(config: config, lastReloadSuccess: startedAt))
    }

    var config: KalmConfig { state.withLock { $0.config } }

    /// The `/metrics` response for a scrape's `Accept` and `Accept-Encoding`.
    func scrape(accept: String?, acceptEncoding: String?) -> ScrapeCache.Response {
        scrapeCache.respond(accept: accept, acceptEncoding: acceptEncoding) { [weak self] in self?.families() ?? [] }
    }
    var isReady: Bool { state.withLock { $0.started } }

    /// Starts every continuous scenario. Throws when an engine cannot start (libcurl).
    func start() throws {
        let cfg = config
        state.withLock { $0.targetFiles = Self.targetFingerprints(cfg) }
        var runs: [String: ScenarioRun] = [:]
        for s in cfg.scenarios where s.continuous {
            let run = try makeRun(s, config: cfg, previous: nil)
            run.start()
            runs[s.name] = run
            logger.info("scenario started", metadata: ["scenario": .string(s.name), "probes": .string(s.probeNames.joined(separator: ",")),
                                                      "vus": .stringConvertible(s.spec.executor.maxVUs)])
        }
        var scheduled: [String: ScheduledScenario] = [:]
        for s in cfg.scenarios {
            guard let schedule = try ScenarioSchedule(s) else { continue }
            scheduled[s.name] = makeScheduled(s, schedule: schedule, config: cfg, previous: nil)
            logger.info("scenario scheduled", metadata: ["scenario": .string(s.name), "schedule": .string(schedule.description),
                                                        "next": .string(scheduled[s.name]!.snapshot.next.map { "\($0)" } ?? "never")])
        }
        if runs.isEmpty && scheduled.isEmpty {
            logger.warning("no continuous or scheduled scenario in the config: nothing to probe (set `continuous: true`, `schedule:` or `every:` on a scenario)")
        }
        state.withLock {
            $0.runs = runs
            $0.scheduled = scheduled
            $0.started = true
        }
    }

    /// Re-reads the config file. Nil on success, else why it was rejected (the old config keeps running).
    func reload() async -> String? {
        guard let path = configPath else { return "this agent has no config file to reload" }
        guard beginReload() else { return "a reload is already in progress" }
        defer { reloading.withLock { $0 = false } }
        systemd?.reloading()
        let failure = await reload(path: path)
        systemd?.ready(status: failure == nil ? "config reloaded" : "config reload failed; the previous config keeps running (see the log)")
        return failure
    }

    private func reload(path: String) async -> String? {
        let new: KalmConfig
        do {
            new = try ConfigLoader.load(path: path, env: env)
        } catch {
            let why = "\(error)"
            state.withLock { $0.reloadSuccessful = false }
            logger.error("config reload failed; keeping the running config", metadata: ["file": .string(path), "err": .string(why)])
            scrapeCache.invalidate()
            return why
        }
        state.withLock { $0.targetFiles = Self.targetFingerprints(new) }
        return await apply(new, source: path, countsAsReload: true)
    }

    /// Runs `new` in place of the running config: unchanged scenarios keep running, changed
    /// ones restart with the recorders of their unchanged probes (counters and windows go on).
    private func apply(_ new: KalmConfig, source path: String, countsAsReload: Bool) async -> String? {
        let (old, oldRuns) = state.withLock { ($0.config, $0.runs) }
        var keep: [String: ScenarioRun] = [:]
        var start: [ScenarioRun] = []
        var stop: [ScenarioRun] = []
        do {
            for s in new.scenarios where s.continuous {
                let prev = oldRuns[s.name]
                let (layout, windows) = Self.layout(for: s, config: new)
                if let prev, prev.config == s, prev.layout == layout, prev.windows == windows,
                   old.thresholds(for: prev.config) == new.thresholds(for: s) {
                    keep[s.name] = prev
                    continue
                }
                let run = try makeRun(s, config: new, previous: prev)
                keep[s.name] = run
                start.append(run)
                if let prev { stop.append(prev) }
            }
        } catch {
            state.withLock { $0.reloadSuccessful = false }
            logger.error("config reload failed: cannot start the new scenarios; keeping the running config",
                         metadata: ["file": .string(path), "err": .string("\(error)")])
            scrapeCache.invalidate()
            return "cannot start the new scenarios: \(error)"
        }
        for (name, run) in oldRuns where keep[name] !== run && !stop.contains(where: { $0 === run }) {
            stop.append(run)
        }
        let oldScheduled = state.withLock { $0.scheduled }
        var scheduled: [String: ScheduledScenario] = [:]
        var retired: [ScheduledScenario] = []
        for s in new.scenarios {
            guard let schedule = try? ScenarioSchedule(s) else { continue }
            let (layout, windows) = Self.layout(for: s, config: new)
            if let prev = oldScheduled[s.name], prev.layout == layout, prev.windows == windows,
               prev.config.spec.probes == s.spec.probes {
                prev.update(config: s, schedule: schedule, thresholds: new.thresholds(for: s))
                scheduled[s.name] = prev
            } else {
                scheduled[s.name] = makeScheduled(s, schedule: schedule, config: new, previous: oldScheduled[s.name])
                if let prev = oldScheduled[s.name] { retired.append(prev) }
            }
        }
        for (name, prev) in oldScheduled where scheduled[name] == nil { retired.append(prev) }
        for r in start { r.start() }
        state.withLock {
            $0.config = new
            $0.scheduled = scheduled
            $0.runs = keep
            if countsAsReload {
                $0.reloadSuccessful = true
                $0.lastReloadSuccess = Date().timeIntervalSince1970
            }
        }
        scrapeCache.invalidate()
        logger.info(countsAsReload ? "config reloaded" : "targets changed",
                    metadata: ["file": .string(path), "restarted": .stringConvertible(start.count),
                               "stopped": .stringConvertible(stop.count - start.count)])
        for r in stop { await r.stop() }
        for r in retired { await r.stop() }
        return nil
    }

    /// Fires scheduled scenarios when due; returns when the task is cancelled.
    func runScheduler() async {
        let tokenWatch = TokenFetchWatch(logger: logger)
        while !Task.isCancelled {
            let now = Date()
            let (runs, scheduled) = state.withLock { (Array($0.runs.values), Array($0.scheduled.values)) }
            for s in scheduled { s.tick(now: now) }
            await checkTargets(now: now)
            for r in runs { tokenWatch.check(scenario: r.config.name, probes: r.config.spec.probes, recorders: r.sink.recorders) }
            for s in scheduled { tokenWatch.check(scenario: s.config.name, probes: s.config.spec.probes, recorders: s.sink.recorders) }
            try? await Task.sleep(nanoseconds: 250_000_000)
        }
    }

    // MARK: Fleets

    /// Every file the fleets' globs match now, with its fingerprint.
    static func targetFingerprints(_ config: KalmConfig) -> [String: FileFingerprint] {
        FileFingerprint.of(Fleet.files(config.fleets.flatMap(\.globs)))
    }

    /// Once a second: when a targets file appeared, changed or went away, reads the targets
    /// again and runs the new probe set (docs/configuration.md, "Fleets"). A file that fails
    /// keeps its last good targets, is counted and logged. Skipped while a reload runs.
    func checkTargets(now: Date) async {
        let config = state.withLock { s -> KalmConfig? in
            guard !s.config.fleets.isEmpty, now.timeIntervalSince(s.lastTargetCheck) >= Self.targetCheckInterval else { return nil }
            s.lastTargetCheck = now
            return s.config
        }
        guard let config else { return }
        let seen = Self.targetFingerprints(config)
        guard seen != state.withLock({ $0.targetFiles }) else { return }
        guard beginReload() else { return }
        defer { reloading.withLock { $0 = false } }
        let (new, errors) = config.withTargetsReread()
        state.withLock { s in
            s.targetFiles = seen
            for e in errors {
                s.targetFileErrors[e.probe, default: 0] += 1
                logger.error("cannot read a targets file; keeping its last good targets", metadata: ["file": .string(e.file), "err": .string("\(e.errors)")])
            }
        }
        guard new.probes != config.probes else {
            state.withLock { $0.config.fleetTargets = new.fleetTargets }
            return
        }
        let changedAt = Date().timeIntervalSince1970
        state.withLock { s in
            for fleet in config.fleets where new.probes.filter({ $0.name == fleet.probe }) != config.probes.filter({ $0.name == fleet.probe }) {
                s.targetsChangedAt[fleet.probe] = changedAt
            }
        }
        _ = await apply(new, source: config.sourcePath, countsAsReload: false)
    }

    static let targetCheckInterval: TimeInterval = 1

    /// Claims the reload slot (config reloads and target changes apply one at a time); false when taken.
    private func beginReload() -> Bool {
        reloading.withLock { r in
            if r { return false }
            r = true
            return true
        }
    }

    /// Stops every scenario; returns once in-flight requests have finished or timed out.
    func stopAll() async {
        let (runs, scheduled) = state.withLock { s -> ([ScenarioRun], [ScheduledScenario]) in
            s.started = false
            return (Array(s.runs.values), Array(s.scheduled.values))
        }
        await withTaskGroup(of: Void.self) { g in
            for r in runs { g.addTask { await r.stop() } }
            for s in scheduled { g.addTask { await s.stop() } }
        }
    }

    /// The scenario runs, for the status page.
    var runs: [ScenarioRun] { state.withLock { Array($0.runs.values) }.sorted { $0.config.name < $1.config.name } }

    /// Every continuous and scheduled scenario as the exposition sees it, by name.
    var sources: [ScenarioSource] {
        let (runs, scheduled) = state.withLock { (Array($0.runs.values), Array($0.scheduled.values)) }
        return (runs.map(\.source) + scheduled.map(\.source)).sorted { $0.name < $1.name }
    }

    // MARK: Status

    /// Every scenario's thresholds over every window, by scenario name.
    func thresholdVerdicts(_ memo: WindowSnapshotMemo) -> [String: [WindowThresholdResult]] {
        let (runs, scheduled) = state.withLock { (Array($0.runs.values), Array($0.scheduled.values)) }
        var out: [String: [WindowThresholdResult]] = [:]
        for r in runs { out[r.config.name] = r.thresholdResults(memo) }
        for s in scheduled { out[s.name] = s.thresholdResults(memo) }
        return out
    }

    /// One line about a scenario: executor and VUs, or its schedule and last window.
    func scenarioSummary(_ name: String) -> String {
        let (runs, scheduled) = state.withLock { ($0.runs, $0.scheduled) }
        if let r = runs[name] {
            return "continuous · \(r.config.spec.executor.name), \(r.config.spec.executor.maxVUs) VU per probe"
        }
        guard let s = scheduled[name] else { return "" }
        let snap = s.snapshot
        var parts = ["\(snap.schedule)"]
        if snap.running != nil { parts.append("running now") }
        if let next = snap.next { parts.append("next \(ISO8601DateFormatter().string(from: next))") }
        if let last = snap.last {
            parts.append("last window \(last.passed ? "passed" : "FAILED") at \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: last.endedAt)))")
        }
        if snap.skipped > 0 { parts.append("\(snap.skipped) skipped") }
        return parts.joined(separator: " · ")
    }

    // MARK: Metrics

    /// Every family `/metrics` shows.
    func families() -> [MetricFamily] {
        let (cfg, runs, scheduled, ok, okAt) = state.withLock {
            ($0.config, Array($0.runs.values), Array($0.scheduled.values).sorted { $0.name < $1.name }, $0.reloadSuccessful, $0.lastReloadSuccess)
        }
        let agentLabels = cfg.agent.labels
        let probeFamilies = ProbeFamilies(agentLabels: agentLabels, buckets: cfg.agent.buckets,
                                          phaseBuckets: cfg.agent.phaseBuckets, quantiles: cfg.agent.quantiles)
        let memo = WindowSnapshotMemo(now: MonotonicClock.now())
        var out = probeFamilies.collect((runs.map(\.source) + scheduled.map(\.source)).sorted { $0.name < $1.name },
                                        windows: memo)
        let base: MetricLabels = agentLabels.map { (name: $0.0, value: $0.1) }
        let build = BuildInfo.family(labels: base)
        var reload = MetricFamily(MetricCatalogue.reloadSuccessful)
        reload.add(ok ? 1 : 0, labels: base)
        var reloadAt = MetricFamily(MetricCatalogue.reloadSuccessAt)
        reloadAt.add(okAt, labels: base)
        var active = MetricFamily(MetricCatalogue.scenarioActive)
        for s in cfg.scenarios {
            let running = runs.contains { $0.config.name == s.name && !$0.engine.isFinished }
                || scheduled.contains { $0.name == s.name && $0.isRunning }
            active.add(running ? 1 : 0, labels: [(name: "scenario", value: s.name)] + base)
        }
        var passing = MetricFamily(MetricCatalogue.thresholdPassing)
        let results = thresholdVerdicts(memo)
        for (scenario, rs) in results.sorted(by: { $0.0 < $1.0 }) {
            for r in rs {
                passing.add(r.ok ? 1 : 0, labels: [(name: "scenario", value: scenario), (name: "metric", value: r.threshold.key),
                                                   (name: "threshold", value: r.threshold.source), (name: "window", value: r.window)] + base)
            }
        }
        out += [build, reload, reloadAt, active, passing]
        if !cfg.fleets.isEmpty {
            var targets = MetricFamily(MetricCatalogue.targets)
            var fileErrors = MetricFamily(MetricCatalogue.targetFileErrors)
            var changed = MetricFamily(MetricCatalogue.targetsChangedAt)
            let (errorCounts, changedAt) = state.withLock { ($0.targetFileErrors, $0.targetsChangedAt) }
            for (probe, n) in Fleet.counts(cfg) {
                targets.add(Double(n), labels: [(name: "probe", value: probe)] + base)
                fileErrors.add(Double(errorCounts[probe] ?? 0), labels: [(name: "probe", value: probe)] + base)
                changed.add(changedAt[probe] ?? startedAt, labels: [(name: "probe", value: probe)] + base)
            }
            out += [targets, fileErrors, changed]
        }
        out += ScheduledFamilies.collect(scheduled, agentLabels: cfg.agent.labels)
        out += ProcessMetrics.collect(labels: base)
        return out
    }

    // MARK: Helpers

    private func makeRun(_ s: ScenarioConfig, config cfg: KalmConfig, previous: ScenarioRun?) throws -> ScenarioRun {
        let (layout, windows) = Self.layout(for: s, config: cfg)
        let recorders = RecorderSet.make(for: s.spec.probes, layout: layout, windows: windows, previous: previous?.recorderSet,
                                         keepAllWindows: !cfg.thresholds(for: s).isEmpty)
        return try ScenarioRun(config: s, recorders: recorders, layout: layout, windows: windows, threads: threads,
                               thresholds: cfg.thresholds(for: s))
    }

    private func makeScheduled(_ s: ScenarioConfig, schedule: ScenarioSchedule, config cfg: KalmConfig,
                               previous: ScheduledScenario?) -> ScheduledScenario {
        let (layout, windows) = Self.layout(for: s, config: cfg)
        let recorders = RecorderSet.make(for: s.spec.probes, layout: layout, windows: windows, previous: previous?.recorderSet,
                                         keepAllWindows: !cfg.thresholds(for: s).isEmpty)
        return ScheduledScenario(config: s, schedule: schedule, thresholds: cfg.thresholds(for: s), recorders: recorders,
                                 layout: layout, windows: windows, threads: threads, logger: logger)
    }

    /// What a scenario's recorders keep: buckets from the config, extras its thresholds read.
    static func layout(for s: ScenarioConfig, config cfg: KalmConfig) -> (StatsLayout, [WindowSpec]) {
        let ts = cfg.thresholds(for: s)
        let layout = StatsLayout(buckets: cfg.agent.buckets, phaseBuckets: cfg.agent.phaseBuckets,
                                 statusTrends: ThresholdNeeds.statusTrends(ts), windowExtras: ThresholdNeeds.windowExtras(ts),
                                 native: cfg.agent.nativeHistograms)
        return (layout, cfg.agent.windows.map { WindowSpec(name: $0.name, seconds: $0.seconds) })
    }

    /// Whether two agent settings produce series of the same shape (same buckets and windows).
    static func sameSeries(_ a: AgentSettings, _ b: AgentSettings) -> Bool {
        a.buckets == b.buckets && a.phaseBuckets == b.phaseBuckets && a.windows == b.windows
            && a.nativeHistograms == b.nativeHistograms
    }
}
