import Foundation
import Yams

/// Reads a kalm YAML config into a `KalmConfig`, strictly: unknown keys, wrong types and bad values
/// are all reported at once, each with its file:line:column and YAML key path.
struct ConfigLoader {
    /// Loads and validates the config at `path`.
    /// - Parameters:
    ///   - path: the config file; relative `${file:...}`, `bodies_file` and TLS paths are resolved against its directory.
    ///   - env: the `-e KEY=VALUE` pairs, looked up before the process environment.
    /// - Throws: `ConfigErrors` with every problem found.
    static func load(path: String, env: [String: String]) throws -> KalmConfig {
        try load(path: path, env: env, processEnvironment: ProcessInfo.processInfo.environment)
    }

    /// `load(path:env:)` with the process environment given (for tests).
    static func load(path: String, env: [String: String], processEnvironment: [String: String]) throws -> KalmConfig {
        let text = try readText(path, what: "the config file")
        let dir = (path as NSString).deletingLastPathComponent
        return try parse(yaml: text, sourceName: path, env: env, processEnvironment: processEnvironment,
                         baseDirectory: dir.isEmpty ? "." : dir)
    }

    /// The UTF-8 text of the file at `path` (`what` names it in errors: "the config file").
    /// Throws `ConfigErrors` saying why it cannot be read.
    static func readText(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigErrors(errors: [ConfigError(file: path, line: 0, column: 0, path: "",
                                                    message: "cannot read \(what): \(unreadable(path))")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors(errors: [ConfigError(file: path, line: 0, column: 0, path: "", message: "\(what) is not UTF-8 text")])
        }
        return text
    }

    /// Why a file that could not be read could not be: missing, or not readable.
    static func unreadable(_ path: String) -> String {
        FileManager.default.fileExists(atPath: path) ? "it is not readable" : "no such file"
    }

    /// Parses and validates config text.
    /// - Parameters:
    ///   - sourceName: the file name used in errors and as `KalmConfig.sourcePath`.
    ///   - env: the `-e KEY=VALUE` pairs, looked up before the process environment.
    ///   - baseDirectory: what relative paths in the config are relative to.
    /// - Throws: `ConfigErrors` with every problem found.
    static func parse(yaml: String, sourceName: String, env: [String: String], baseDirectory: String) throws -> KalmConfig {
        try parse(yaml: yaml, sourceName: sourceName, env: env,
                  processEnvironment: ProcessInfo.processInfo.environment, baseDirectory: baseDirectory)
    }

    /// `parse(yaml:sourceName:env:baseDirectory:)` with the process environment given (for tests).
    static func parse(yaml: String, sourceName: String, env: [String: String], processEnvironment: [String: String],
                      baseDirectory: String) throws -> KalmConfig {
        let context = DecodeContext(
            file: sourceName,
            expander: VariableExpander(env: env, processEnvironment: processEnvironment, baseDirectory: baseDirectory),
            baseDirectory: baseDirectory)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let e as YamlError {
            throw ConfigErrors(errors: [syntaxError(e, file: sourceName)])
        }
        guard let root else {
            throw ConfigErrors(errors: [ConfigError(
                file: sourceName, line: 1, column: 1, path: "",
                message: "the config is empty; it needs at least a probes: list (see `kalm check` and the README)")])
        }
        let decoder = ConfigDecoder(context: context)
        let config = decoder.decode(root: StrictNode(node: root, path: "", context: context), sourcePath: sourceName)
        let errors = context.sortedErrors
        guard errors.isEmpty, let config else {
            throw ConfigErrors(errors: errors.isEmpty
                ? [ConfigError(file: sourceName, line: 0, column: 0, path: "", message: "invalid config")] : errors)
        }
        guard !config.fleets.isEmpty else { return config }
        // Fleets: the targets files are part of the config at load (kalm check reports their mistakes).
        let (expanded, fileErrors) = config.withTargetsReread()
        guard fileErrors.isEmpty else {
            throw ConfigErrors(errors: fileErrors.sorted { $0.file < $1.file }.flatMap(\.errors.errors))
        }
        return expanded
    }

    /// Where `key` is written again in the block mapping whose first `key` is at `first`
    /// (Yams reports only the first). Nil when it cannot be found, e.g. in a flow mapping.
    static func repeatedKeyPosition(_ key: String, after first: Mark, in yaml: String) -> (line: Int, column: Int)? {
        let lines = yaml.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let indent = first.column - 1
        for n in first.line..<lines.count {
            let scalars = Array(lines[n].unicodeScalars)
            let lead = scalars.prefix { $0 == " " }.count
            let content = String(String.UnicodeScalarView(scalars.dropFirst(lead)))
            if content.isEmpty || content.hasPrefix("#") { continue }
            if lead < indent { return nil }
            guard lead == indent else { continue }
            for written in [key, "\"\(key)\"", "'\(key)'"] where content.hasPrefix(written) {
                let rest = content.dropFirst(written.count).drop { $0 == " " }
                if rest.hasPrefix(":") { return (n + 1, indent + 1) }
            }
        }
        return nil
    }

    /// A YAML syntax error as a `ConfigError` at the parser's position.
    static func syntaxError(_ e: YamlError, file: String) -> ConfigError {
        func make(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> ConfigError {
            var msg = "YAML syntax error: \(problem)"
            if let context { msg += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return ConfigError(file: file, line: mark.line, column: mark.column, path: "", message: msg)
        }
        switch e {
        case let .scanner(context, problem, mark, _): return make(context, problem, mark)
        case let .parser(context, problem, mark, _): return make(context, problem, mark)
        case let .composer(context, problem, mark, _): return make(context, problem, mark)
        case let .duplicatedKeysInMapping(duplicates, context):
            let first = context.mark
            let key = duplicates.first ?? ""
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            let message = "key \(keys) appears more than once in the same mapping (first at line \(first.line)); keep one"
            let again = repeatedKeyPosition(key, after: first, in: context.text) ?? (first.line, first.column)
            return ConfigError(file: file, line: again.line, column: again.column, path: "", message: message)
        case let .reader(problem, offset, _, yaml):
            var line = 0, column = 0
            if let offset {
                let prefix = yaml.utf8.prefix(offset)
                line = prefix.filter { $0 == UInt8(ascii: "\n") }.count + 1
                column = (String(decoding: prefix, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                    .last?.unicodeScalars.count ?? 0) + 1
            }
            return ConfigError(file: file, line: line, column: column, path: "", message: "unreadable YAML: \(problem)")
        default:
            return ConfigError(file: file, line: 0, column: 0, path: "", message: "YAML error: \(e)")
        }
    }
}
