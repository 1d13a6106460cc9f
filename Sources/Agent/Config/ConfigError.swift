/// One problem in a config file, with where it is and how to fix it.
///
/// `description` reads `kalm.yml:12:7: probes[0].request.timout: unknown key "timout"; did you mean "timeout"?`
struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The config file as named to the loader.
    var file: String
    /// 1-based; 0 when not applicable (e.g. the file cannot be read).
    var line: Int
    /// 1-based, in Unicode scalars; 0 when not applicable.
    var column: Int
    /// YAML key path such as `probes[0].request.timeout` or `scenarios.smoke.vus`; empty for the whole file.
    var path: String
    /// What is wrong and how to fix it. Never contains an expanded `${...}` value.
    var message: String

    init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    var description: String {
        var s = file
        if line > 0 { s += ":\(line):\(column)" }
        s += ": "
        if !path.isEmpty { s += "\(path): " }
        return s + message
    }
}

/// Every problem found in a config, sorted by position. Thrown by `ConfigLoader`.
struct ConfigErrors: Error, CustomStringConvertible {
    var errors: [ConfigError]

    init(errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line.
    var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
