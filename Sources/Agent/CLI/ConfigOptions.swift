import Exporter
import ArgumentParser
import Foundation
import Logging

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

/// `--web.config.file`: exporter-toolkit's file for the endpoint (docs/configuration.md, "The
/// endpoint"): TLS, basic auth with bcrypt hashes and extra response headers, on every path;
/// and `--web.max-connections` (Prometheus's flag; docs/configuration.md, "Limits").
struct WebConfigOption: ParsableArguments {
    @Option(name: .customLong("web.config.file"),
            help: ArgumentHelp("exporter-toolkit web config: tls_server_config, basic_auth_users (bcrypt) and http_server_config.headers for every path.",
                               valueName: "file"))
    var webConfigFile: String?

    @Option(name: .customLong("web.max-connections"),
            help: ArgumentHelp("Connections the endpoint keeps open at once; at the limit the quietest idle one is closed.",
                               valueName: "n"))
    var maxConnections: Int = ServerLimits().maxConnections

    /// The endpoint's security: open without the flag. Throws `ConfigErrors` (exit 104) for a bad file.
    func load() throws -> EndpointSecurity {
        guard let path = webConfigFile else { return .open }
        return try WebConfigLoader.load(path: path)
    }

    /// The security as loaded now, re-read when the web config or its TLS files change.
    func source(logger: Logger) throws -> EndpointSecuritySource {
        let security = try load()
        guard let path = webConfigFile else { return .fixed(security) }
        return EndpointSecuritySource(security, webConfigFile: path, reload: { try WebConfigLoader.load(path: path) }, logger: logger)
    }

    /// The endpoint's limits. Throws `UsageError` for a connection limit below 1.
    func limits() throws -> ServerLimits {
        guard maxConnections >= 1 else {
            throw UsageError(.invalidValue, "--web.max-connections must be at least 1, got \(maxConnections)")
        }
        return ServerLimits(maxConnections: maxConnections)
    }
}
