import ArgumentParser
import Foundation

/// `kalm check -c FILE`: validates only; every error with its place; exit 0 or 104.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file without running anything (exit 0 or 104).")

    @OptionGroup var config: ConfigOptions
    @OptionGroup var webConfig: WebConfigOption

    func run() throws {
        // Both files, every mistake of each: the web config's errors are not hidden behind the config's.
        var errors: [ConfigError] = []
        var loaded: KalmConfig?
        do { loaded = try config.load() } catch let e as ConfigErrors { errors += e.errors }
        do { _ = try webConfig.load() } catch let e as ConfigErrors { errors += e.errors }
        guard errors.isEmpty, let cfg = loaded else { throw ConfigErrors(errors: errors) }
        if let web = webConfig.webConfigFile { print("\(web): OK") }
        let scenarios = cfg.fleets.isEmpty ? cfg.scenarios : cfg.scenarioTemplates
        print("\(cfg.sourcePath): OK: \(cfg.templates.count) probe\(cfg.templates.count == 1 ? "" : "s"), "
              + "\(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s")")
        let counts = Dictionary(Fleet.counts(cfg), uniquingKeysWith: { a, _ in a })
        for fleet in cfg.fleets {
            let shard = cfg.agent.shard.map { " (shard \($0.index) of \($0.total))" } ?? ""
            print("  probe \(fleet.probe): \(counts[fleet.probe] ?? 0) targets\(shard) from \(Fleet.files(fleet.globs).count) files")
        }
        let series = SeriesEstimate.total(cfg)
        print("  series: about \(series) (agent.series_budget \(cfg.agent.seriesBudget))")
        if series > cfg.agent.seriesBudget {
            FileHandle.standardError.write(Data(("warning: the config exposes about \(series) series, more than agent.series_budget "
                + "(\(cfg.agent.seriesBudget)); use series: lean on large fleets, fewer windows or buckets, or raise the budget\n").utf8))
        }
        let now = Date()
        for s in cfg.scenarios {
            var line = "  scenario \(s.name): \(s.spec.executor.name), probes \(s.declaredProbes.joined(separator: ", "))"
            if s.continuous { line += ", continuous" }
            print(line)
            if let schedule = try ScenarioSchedule(s) {
                var t = now
                var firings: [String] = []
                for _ in 0..<3 {
                    guard let n = schedule.next(after: t, anchor: now) else { break }
                    firings.append(Self.format(n, s.timezone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!))
                    t = n
                }
                print("    \(schedule): next \(firings.joined(separator: ", "))")
            }
        }
    }

    /// `2026-11-29 02:00 UTC` in the schedule's time zone.
    static func format(_ d: Date, _ tz: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = tz
        // Seconds only when a firing has them (every: schedules), cron firings are whole minutes.
        f.dateFormat = Int(d.timeIntervalSince1970) % 60 == 0 ? "yyyy-MM-dd HH:mm" : "yyyy-MM-dd HH:mm:ss"
        let name = tz.identifier == "GMT" ? "UTC" : (tz.abbreviation(for: d) ?? tz.identifier)
        return "\(f.string(from: d)) \(name)"
    }
}
