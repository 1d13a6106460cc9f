import Foundation
import Probes

/// A probe with `targets:` (docs/configuration.md, "Fleets"): a template that becomes one
/// probe per target listed in its file_sd files.
struct FleetTemplate: Sendable, Equatable {
    /// The template probe's name (every instance keeps it as its `probe` label).
    var probe: String
    /// Absolute glob patterns of the file_sd files.
    var globs: [String]
}

/// `agent.shard`: this agent probes the targets whose `hashmod` over `total` is `index`.
struct Shard: Sendable, Equatable {
    var index: Int
    var total: Int

    /// Whether this agent owns `target`.
    func owns(_ target: String) -> Bool { total <= 1 || Hashmod.of(target, modulus: total) == index }
    /// Probes without targets run on the first agent only.
    var runsStaticProbes: Bool { index == 0 }
}

/// The target groups read for each template, by probe name, and the files they came from.
struct FleetTargets: Sendable, Equatable {
    var groups: [String: [TargetGroup]] = [:]
    /// Per template, per file: the last good groups of that file (a bad file keeps them).
    var byFile: [String: [String: [TargetGroup]]] = [:]
}

enum Fleet {
    /// kalm's own label names plus `target`: a targets file may not set them.
    static var reservedLabels: Set<String> { ConfigDecoder.reservedLabels }

    /// The files `globs` match now, sorted, without duplicates (glob(3); no match is no file).
    static func files(_ globs: [String]) -> [String] {
        var out = Set<String>()
        for pattern in globs {
            var g = glob_t()
            defer { globfree(&g) }
            guard glob(pattern, 0, nil, &g) == 0 else { continue }
            for i in 0..<Int(g.gl_pathc) {
                if let p = g.gl_pathv[i] { out.insert(String(cString: p)) }
            }
        }
        return out.sorted()
    }

    /// Why `target` cannot be used by `template` (its first URL with the target bound is not an
    /// absolute http(s) URL), if it cannot.
    static func problem(_ target: String, template: ProbeSpec) -> String? {
        let url = template.bound(toTarget: target, labels: []).steps[0].request.url
        guard template.steps[0].templates.url == nil || !url.contains("{{") else { return nil }
        return ConfigDecoder.isHTTPURL(url) ? nil
            : "target \"\(target)\" makes the URL \(url), not an absolute http:// or https:// URL; list host:port, or make the probe's url e.g. https://{{ target }}/health"
    }

    /// The label names a template's targets may not set: the agent's and the probe's own.
    static func taken(_ config: KalmConfig, _ template: ProbeSpec) -> [String: String] {
        var taken: [String: String] = [:]
        for (k, _) in config.agent.labels { taken[k] = "agent.labels" }
        for (k, _) in template.labels { taken[k] = "the probe's labels" }
        return taken
    }

    /// A targets file that could not be read, for which probe.
    struct FileError {
        var probe: String
        var file: String
        var errors: ConfigErrors
    }

    /// Reads every template's files. A file that fails keeps its groups from `previous` and
    /// its errors are returned; with no previous, it has no groups.
    static func read(_ config: KalmConfig, previous: FleetTargets?) -> (FleetTargets, [FileError]) {
        var targets = FleetTargets()
        var errors: [FileError] = []
        for fleet in config.fleets {
            guard let template = config.templates.first(where: { $0.name == fleet.probe }) else { continue }
            var byFile: [String: [TargetGroup]] = [:]
            for file in files(fleet.globs) {
                do {
                    byFile[file] = try FileSD.read(path: file, reserved: reservedLabels, taken: taken(config, template),
                                                   accept: { problem($0, template: template) })
                } catch {
                    let e = error as? ConfigErrors
                        ?? ConfigErrors(errors: [ConfigError(file: file, line: 0, column: 0, path: "", message: "\(error)")])
                    errors.append(FileError(probe: fleet.probe, file: file, errors: e))
                    if let kept = previous?.byFile[fleet.probe]?[file] { byFile[file] = kept }
                }
            }
            targets.byFile[fleet.probe] = byFile
            targets.groups[fleet.probe] = byFile.keys.sorted().flatMap { byFile[$0]! }
        }
        return (targets, errors)
    }

    /// `config` with each template replaced by one probe per target it owns (`agent.shard`),
    /// each labelled `target` plus its group's labels; probes without targets only on shard 0.
    /// Scenarios left without probes are dropped.
    static func expand(_ config: KalmConfig, targets: FleetTargets) -> KalmConfig {
        let shard = config.agent.shard ?? Shard(index: 0, total: 1)
        var instances: [String: [ProbeSpec]] = [:]
        for template in config.templates {
            guard config.fleets.contains(where: { $0.probe == template.name }) else {
                instances[template.name] = shard.runsStaticProbes ? [template] : []
                continue
            }
            var seen = Set<String>()
            var list: [ProbeSpec] = []
            for group in targets.groups[template.name] ?? [] {
                for target in group.targets where shard.owns(target) {
                    let labels = [("target", FileSD.label(target))] + group.labels
                    let key = labels.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{1}") + "\u{2}" + target
                    guard seen.insert(key).inserted else { continue }
                    list.append(template.bound(toTarget: target, labels: labels))
                }
            }
            // In the order of their series (labels pair by pair, as the exposition sorts them), so
            // a scrape's families come out already sorted and need no sort per scrape.
            list.sort { labelsPrecede($0.labels, $1.labels) }
            instances[template.name] = list
        }
        var out = config
        out.probes = config.templates.flatMap { instances[$0.name] ?? [] }
        out.scenarios = config.scenarioTemplates.compactMap { scenario in
            var s = scenario
            s.spec.probes = scenario.declaredProbes.flatMap { instances[$0] ?? [] }
            s.probeNames = s.spec.probes.map(\.name)
            return s.spec.probes.isEmpty ? nil : s
        }
        return out
    }

    /// Label lists compared pair by pair, name then value; a shorter prefix first.
    static func labelsPrecede(_ a: [(String, String)], _ b: [(String, String)]) -> Bool {
        for (x, y) in zip(a, b) {
            if x.0 != y.0 { return x.0 < y.0 }
            if x.1 != y.1 { return x.1 < y.1 }
        }
        return a.count < b.count
    }

    /// Targets per template on this agent now.
    static func counts(_ config: KalmConfig) -> [(String, Int)] {
        config.fleets.map { f in (f.probe, config.probes.filter { $0.name == f.probe }.count) }
    }
}
