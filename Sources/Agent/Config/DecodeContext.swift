import Foundation
import Probes
import Yams

/// Shared state while decoding one config file: where errors go and how `${...}` expands.
final class DecodeContext {
    /// The file name used in errors.
    let file: String
    let expander: VariableExpander
    /// Directory that relative paths in the config (`bodies_file`, TLS files) are resolved against.
    let baseDirectory: String
    private(set) var errors: [ConfigError] = []
    /// Data files loaded so far, by full path: one copy however many probes name a file.
    var dataTables: [String: DataTable] = [:]

    init(file: String, expander: VariableExpander, baseDirectory: String) {
        self.file = file
        self.expander = expander
        self.baseDirectory = baseDirectory
    }

    /// Every value `${...}` expanded to so far, longest first.
    private var substitutions: [VariableExpander.Substitution] = []

    /// Expands `${...}` in `text`, remembering the values so that no error message can show them.
    func expand(_ text: String) throws -> String {
        var subs: [VariableExpander.Substitution] = []
        let result = try expander.expand(text, substitutions: &subs)
        for s in subs where s.value.count >= 3 && !substitutions.contains(s) {
            substitutions.append(s)
        }
        substitutions.sort { $0.value.count > $1.value.count }
        return result
    }

    /// Records an error at `mark` (line and column 0 when there is none).
    ///
    /// As a last line of defence, any expanded value in `message` is put back as the reference
    /// it came from (`${API_KEY}`): secrets never reach an error.
    func error(_ message: String, at mark: Mark?, path: String) {
        var text = message
        for s in substitutions where text.contains(s.value) {
            text = text.replacingOccurrences(of: s.value, with: s.reference)
        }
        errors.append(ConfigError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, path: path, message: text))
    }

    /// Records an error `offset` columns to the right of `mark` (a place inside a scalar).
    func error(_ message: String, at mark: Mark?, offset: Int, path: String) {
        error(message, at: mark, path: path)
        if let mark, offset > 0, let last = errors.popLast() {
            errors.append(ConfigError(file: last.file, line: mark.line, column: mark.column + offset, path: last.path, message: last.message))
        }
    }

    /// The errors sorted by position (stable for errors at the same place).
    var sortedErrors: [ConfigError] {
        errors.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }

    /// `path` resolved against the config's directory unless absolute.
    func resolvePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
    }
}
