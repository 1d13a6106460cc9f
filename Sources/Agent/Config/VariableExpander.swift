import Foundation

/// Expands `${VAR}` and `${file:PATH}` in config strings.
///
/// - `${VAR}`: from the `-e KEY=VALUE` pairs first, then the process environment.
/// - `${file:PATH}`: the file's contents with surrounding whitespace trimmed;
///   a relative `PATH` is relative to the config file's directory.
/// - `${credential:NAME}`: the contents, trimmed, of `$CREDENTIALS_DIRECTORY/NAME`, where
///   systemd puts what the unit's `LoadCredential=NAME:PATH` names (`CREDENTIALS_DIRECTORY`
///   is looked up like a variable: `-e` first, then the environment).
/// - `$$` is a literal `$`. Any other `$` (as in `$.id` or `^a$`) is left alone.
///
/// An unset variable, an unreadable file or a malformed reference is an error.
struct VariableExpander {
    var env: [String: String]
    var processEnvironment: [String: String]
    /// Directory that relative `${file:...}` paths are resolved against.
    var baseDirectory: String

    init(env: [String: String], processEnvironment: [String: String] = ProcessInfo.processInfo.environment,
         baseDirectory: String) {
        self.env = env
        self.processEnvironment = processEnvironment
        self.baseDirectory = baseDirectory
    }

    /// Whether `text` has anything to expand (`${` or `$$`).
    static func hasReferences(_ text: String) -> Bool {
        text.contains("${") || text.contains("$$")
    }

    /// Returns `text` with every reference replaced.
    /// - Throws: `ValueError` naming the first reference that cannot be expanded (never its value).
    func expand(_ text: String) throws -> String {
        var ignored: [Substitution] = []
        return try expand(text, substitutions: &ignored)
    }

    /// A value put in place of a reference, kept so that error messages can take it out again.
    struct Substitution: Equatable {
        var value: String
        /// As written: `${API_KEY}` or `${file:token.txt}`.
        var reference: String
    }

    /// `expand(_:)`, also listing each value substituted.
    func expand(_ text: String, substitutions: inout [Substitution]) throws -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            guard c == "$", next < text.endIndex else {
                out.append(c)
                i = next
                continue
            }
            if text[next] == "$" {
                out.append("$")
                i = text.index(after: next)
                continue
            }
            guard text[next] == "{" else {
                out.append(c)
                i = next
                continue
            }
            let bodyStart = text.index(after: next)
            guard let close = text[bodyStart...].firstIndex(of: "}") else {
                throw ValueError("unterminated \"${\": close it with \"}\", or write \"$$\" for a literal \"$\"")
            }
            let reference = String(text[bodyStart..<close])
            let value = try resolve(reference)
            substitutions.append(Substitution(value: value, reference: "${\(reference)}"))
            out += value
            i = text.index(after: close)
        }
        return out
    }

    private func resolve(_ reference: String) throws -> String {
        if reference.hasPrefix("credential:") {
            return try credential(String(reference.dropFirst("credential:".count)).trimmingCharacters(in: .whitespaces))
        }
        if reference.hasPrefix("file:") {
            let path = String(reference.dropFirst(5)).trimmingCharacters(in: .whitespaces)
            guard !path.isEmpty else { throw ValueError("${file:} needs a path, e.g. ${file:/run/secrets/api_key}") }
            let full = path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
            return try Self.secretFile(full, reference: "${file:\(path)}")
        }
        guard Self.isVariableName(reference) else {
            throw ValueError("\"${\(reference)}\" is not a valid reference; write ${NAME} (letters, digits, _), ${file:PATH} or ${credential:NAME}")
        }
        if let v = env[reference] ?? processEnvironment[reference] { return v }
        throw ValueError("${\(reference)} is not set; pass -e \(reference)=... or set it in the environment")
    }

    /// `${credential:NAME}`: systemd's credential NAME (LoadCredential=, SetCredential=, ...).
    private func credential(_ name: String) throws -> String {
        let ref = "${credential:\(name)}"
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw ValueError("\(ref) needs a credential name (a file name, no \"/\"), e.g. ${credential:api-key}")
        }
        let fix = "add LoadCredential=\(name):/etc/kalm/\(name) (or SetCredential=) to the kalm.service unit"
        guard let dir = env["CREDENTIALS_DIRECTORY"] ?? processEnvironment["CREDENTIALS_DIRECTORY"], !dir.isEmpty else {
            throw ValueError("\(ref) needs $CREDENTIALS_DIRECTORY, which is not set: run kalm under systemd and \(fix); "
                             + "elsewhere, set CREDENTIALS_DIRECTORY (or -e CREDENTIALS_DIRECTORY=...) to a directory holding a file named \(name)")
        }
        return try Self.secretFile((dir as NSString).appendingPathComponent(name), reference: ref, fix: fix)
    }

    /// The text of the file a `${file:}` or `${credential:}` reference names, trimmed of
    /// surrounding white space (a trailing newline is almost never part of a secret).
    private static func secretFile(_ full: String, reference ref: String, fix: String? = nil) throws -> String {
        guard let data = FileManager.default.contents(atPath: full) else {
            let why = FileManager.default.fileExists(atPath: full) ? "not readable" : "no such file"
            throw ValueError("cannot read \(ref) (\(why): \(full))" + (fix.map { ": " + $0 } ?? ""))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValueError("\(ref) is not UTF-8 text" + (fix == nil ? "" : " (\(full))"))
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func isVariableName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
