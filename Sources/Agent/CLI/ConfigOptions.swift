import ArgumentParser
import Foundation

/// `-c/--config.file` and `-e/--env`, shared by every command that reads a config.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("config.file"), .customLong("config")],
            help: ArgumentHelp("The kalm configuration file.", valueName: "file"))
    var configFile: String

    @Option(name: [.customShort("e"), .customLong("env")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("KEY=VALUE seen by ${KEY} in the config before the process environment (repeatable).", valueName: "KEY=VALUE"))
    var env: [String] = []

    /// The `-e` pairs as a dictionary.
    func environment() throws -> [String: String] {
        var out: [String: String] = [:]
        for pair in env {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw UsageError(.invalidValue, "-e/--env expects KEY=VALUE, got \"\(pair.prefix(40))\"; write e.g. -e API_BASE=http://127.0.0.1:8080")
            }
            let key = String(pair[..<eq])
            guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw UsageError(.invalidValue, "-e/--env: \"\(key)\" is not a variable name; use letters, digits and _")
            }
            out[key] = String(pair[pair.index(after: eq)...])
        }
        return out
    }

    /// Loads and validates the config, or throws `ConfigErrors` / `UsageError`.
    func load() throws -> KalmConfig {
        try ConfigLoader.load(path: configFile, env: environment())
    }
}

/// `--threads N`.
struct EngineOptions: ParsableArguments {
    @Option(name: .customLong("threads"), help: "Engine threads, each with its own libcurl multi handle (default: the number of cores).")
    var threads: Int?

    func threadCount() throws -> Int {
        if let t = threads {
            guard (1...256).contains(t) else { throw UsageError(.invalidValue, "--threads must be between 1 and 256, got \(t)") }
            return t
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// `--web.config.file`, the exporter-toolkit's TLS and basic-auth file: planned (docs/configuration.md),
/// accepted on the command line so that its use gets a clear answer instead of "unknown option".
struct WebConfigOption: ParsableArguments {
    @Option(name: .customLong("web.config.file"), help: ArgumentHelp("Not supported yet (TLS and basic auth for /metrics).", visibility: .hidden))
    var webConfigFile: String?

    func rejectIfSet() throws {
        if webConfigFile != nil {
            throw UsageError(.unsupported, "--web.config.file (TLS and basic auth for /metrics) is not supported yet; serve /metrics on loopback or a private network, or put a TLS-terminating proxy in front of it")
        }
    }
}
