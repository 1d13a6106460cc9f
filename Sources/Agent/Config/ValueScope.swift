import Probes
import Yams

/// The run-time values a `{{ name }}` may name at one place in a probe: the captures of the
/// steps before it, the columns of the probe's data sources, and the built-in generators
/// (docs/configuration.md, "Journeys").
final class ValueScope {
    struct Source {
        var name: String
        var columns: [String]
    }

    /// Data sources in `ProbeSpec.data` order.
    var sources: [Source] = []
    /// Sources whose file did not load (their error is reported): references to them are not errors too.
    var failedSources: Set<String> = []
    /// Captures made by the steps so far, by name.
    var captures: [String: Int] = [:]
    /// Every capture of the probe and its step, for "captured by a later step" messages.
    var laterCaptures: [String: String] = [:]
    /// The probe has `targets:`, so `{{ target }}` names the target.
    var allowsTarget = false

    /// Why a name refers to nothing, and how to fix it.
    struct Unknown: Error {
        var message: String
    }

    /// What `name` refers to, or why it refers to nothing.
    func resolve(_ name: String) -> Result<ValueRef, Unknown> {
        if let slot = captures[name] { return .success(.capture(slot)) }
        if name == "target" {
            return allowsTarget ? .success(.target)
                : .failure(Unknown(message: "{{ target }} is for probes with targets: (a fleet); add targets: {file_sd: [targets/*.json]} to the probe"))
        }
        if let dot = name.firstIndex(of: ".") {
            let sourceName = String(name[..<dot]), column = String(name[name.index(after: dot)...])
            if failedSources.contains(sourceName) { return .success(.data(source: 0, column: 0)) }
            guard let s = sources.firstIndex(where: { $0.name == sourceName }) else {
                let known = sources.map(\.name)
                return .failure(Unknown(message: "{{ \(name) }}: no data source \"\(sourceName)\"" + (known.isEmpty
                    ? "; add one under the probe's data:, e.g. data: {\(sourceName): {file: \(sourceName).csv}}"
                    : "; the probe's data sources are \(known.joined(separator: ", "))")))
            }
            guard let c = sources[s].columns.firstIndex(of: column) else {
                return .failure(Unknown(message: "{{ \(name) }}: data source \"\(sourceName)\" has no column \"\(column)\"; its columns are \(sources[s].columns.joined(separator: ", "))"))
            }
            return .success(.data(source: s, column: c))
        }
        if let g = Generator.parse(name) { return .success(.generator(g)) }
        if let step = laterCaptures[name] {
            return .failure(Unknown(message: "{{ \(name) }} is captured by step \"\(step)\", which runs after this one; use it in a later step"))
        }
        var known = captures.keys.sorted()
        known += sources.map { "\($0.name).COLUMN" }
        let fnLike = name.contains("(")
        return .failure(Unknown(message: "unknown value {{ \(name) }}: "
            + (fnLike ? "not a generator (\(Generator.help))"
                : "no earlier step captures it, no data source has it, and it is not a generator (\(Generator.help))")
            + (known.isEmpty ? "" : "; known here: \(known.joined(separator: ", "))")
            + "; for a literal {{ write {{ \"{{\" }}"))
    }
}

extension ConfigDecoder {
    /// `text` as a template resolved in `scope`; nil when it holds no `{{` (or on error, recorded at `node`).
    /// - Returns: `.none` when `text` is plain, `.some(nil)` on error.
    func template(_ text: String, escaping: Template.Escaping, scope: ValueScope?, at node: StrictNode) -> Template?? {
        guard text.contains("{{") else { return .none }
        guard let scope else {
            node.fail("{{ }} is a run-time value and cannot be used here; for a literal {{ write {{ \"{{\" }}")
            return .some(nil)
        }
        do throws(Template.ParseError) {
            let t = try Template.parse(text, escaping: escaping) { (ref: Template.Reference) throws(Template.ParseError) -> ValueRef in
                switch scope.resolve(ref.name) {
                case .success(let v): return v
                case .failure(let e): throw Template.ParseError(message: e.message, offset: ref.offset)
                }
            }
            return .some(t)
        } catch {
            context.error(error.message, at: node.mark, offset: node.columnOffset(of: error.offset, in: text), path: node.path)
            return .some(nil)
        }
    }
}

extension StrictNode {
    /// The column offset of character `offset` of a single-line scalar's value (quotes counted),
    /// so an error points at the reference itself; 0 when the value is not written on one line.
    func columnOffset(of offset: Int, in value: String) -> Int {
        guard case .scalar(let s) = node, let raw = rawText, raw == value, !raw.contains("\n") else { return 0 }
        switch s.style {
        case .singleQuoted, .doubleQuoted: return raw.contains("\\") || raw.contains("'") ? 0 : offset + 1
        case .plain, .any: return offset
        default: return 0
        }
    }
}
