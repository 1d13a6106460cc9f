import ArgumentParser

/// `kalm check -c FILE`: validates only; every error with its place; exit 0 or 104.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file without running anything (exit 0 or 104).")

    @OptionGroup var config: ConfigOptions

    func run() throws {
        let cfg = try config.load()
        print("\(cfg.sourcePath): OK: \(cfg.probes.count) probe\(cfg.probes.count == 1 ? "" : "s"), "
              + "\(cfg.scenarios.count) scenario\(cfg.scenarios.count == 1 ? "" : "s")")
        for s in cfg.scenarios {
            var line = "  scenario \(s.name): \(s.spec.executor.name), probes \(s.probeNames.joined(separator: ", "))"
            if s.continuous { line += ", continuous" }
            print(line)
        }
    }
}
