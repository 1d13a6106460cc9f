import Foundation
import Yams

/// One group of a file_sd file: targets sharing labels.
struct TargetGroup: Sendable, Equatable {
    var targets: [String]
    /// Sorted by name; `__`-prefixed labels already dropped.
    var labels: [(String, String)]

    static func == (a: TargetGroup, b: TargetGroup) -> Bool {
        a.targets == b.targets && a.labels.elementsEqual(b.labels, by: { $0 == $1 })
    }
}

/// Prometheus's file_sd format (docs/configuration.md, "Fleets"): a JSON or YAML list of
/// `{targets: [...], labels: {...}}`, validated as Prometheus validates it, each mistake
/// with its file:line:column.
enum FileSD {
    /// The groups of the file at `path`. Throws `ConfigErrors` naming every mistake.
    /// - Parameters:
    ///   - reserved: label names kalm sets itself (a group may not set them).
    ///   - taken: label names already set by the agent or the probe, and where.
    ///   - accept: why a target cannot be used by the probe (its URL with the target in it), if it cannot.
    static func read(path: String, reserved: Set<String>, taken: [String: String],
                     accept: (String) -> String? = { _ in nil }) throws -> [TargetGroup] {
        try parse(ConfigLoader.readText(path, what: "the targets file"), sourceName: path, reserved: reserved, taken: taken, accept: accept)
    }

    static func parse(_ text: String, sourceName: String, reserved: Set<String>, taken: [String: String],
                      accept: (String) -> String? = { _ in nil }) throws -> [TargetGroup] {
        let context = DecodeContext(file: sourceName, expander: VariableExpander(env: [:], processEnvironment: [:], baseDirectory: "."),
                                    baseDirectory: ".")
        let root: Node?
        do {
            // JSON is YAML: one parser for both, with positions for errors.
            root = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw ConfigErrors(errors: [ConfigLoader.syntaxError(e, file: sourceName)])
        }
        guard let root else { return [] }
        var groups: [TargetGroup] = []
        let node = StrictNode(node: root, path: "", context: context)
        for item in node.sequence(what: "a list of target groups, e.g. [{targets: [\"host:9000\"], labels: {env: prod}}]") ?? [] {
            guard let m = item.mapping(keys: ["targets", "labels"], what: "a target group {targets: [...], labels: {...}}") else { continue }
            var group = TargetGroup(targets: [], labels: [])
            if let t = m.required("targets", example: "targets: [\"api.example.com:443\"]"),
               let list = t.sequence(what: "a list of targets") {
                for entry in list {
                    guard let target = entry.rawText, !entry.isNull else {
                        entry.fail("expected a target (host:port or a URL), got \(entry.kindDescription)")
                        continue
                    }
                    if let problem = Self.problem(target) ?? accept(target) { entry.fail(problem) } else { group.targets.append(target) }
                }
            }
            if let l = m["labels"], let entries = l.freeMapping(what: "a mapping of label names to values") {
                for e in entries {
                    let name = e.key
                    if name.hasPrefix("__") { continue }   // Prometheus's internal labels: dropped, as after relabelling.
                    if !ConfigDecoder.isValidLabelName(name) {
                        context.error("invalid label name \"\(name)\"; use letters, digits and _, not starting with a digit",
                                      at: e.keyMark, path: e.value.path)
                    } else if reserved.contains(name) {
                        context.error("label \"\(name)\" is one of kalm's own (\(reserved.sorted().joined(separator: ", "))); rename it",
                                      at: e.keyMark, path: e.value.path)
                    } else if let owner = taken[name] {
                        context.error("label \"\(name)\" is already set by \(owner); rename one of them", at: e.keyMark, path: e.value.path)
                    } else if let value = e.value.rawText, !e.value.isNull {
                        group.labels.append((name, value))
                    } else {
                        e.value.fail("expected a label value, got \(e.value.kindDescription)")
                    }
                }
            }
            group.labels.sort { $0.0 < $1.0 }
            groups.append(group)
        }
        let errors = context.sortedErrors
        guard errors.isEmpty else { throw ConfigErrors(errors: errors) }
        return groups
    }

    /// Why `target` cannot be probed, if it cannot: empty, whitespace or control characters.
    static func problem(_ target: String) -> String? {
        if target.isEmpty { return "an empty target; write host:port or a URL" }
        if target.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }) {
            return "target \"\(target.debugDescription.dropFirst().dropLast())\" contains whitespace or control characters"
        }
        if target.utf8.count > 2048 { return "a target longer than 2048 bytes" }
        return nil
    }

    /// The `target` label of `target`: the text without any `user:password@`.
    static func label(_ target: String) -> String {
        let afterScheme = target.range(of: "://").map { target[$0.upperBound...] } ?? target[...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        guard let at = afterScheme[..<authorityEnd].lastIndex(of: "@") else { return target }
        return String(target[..<afterScheme.startIndex]) + String(afterScheme[afterScheme.index(after: at)...])
    }
}
