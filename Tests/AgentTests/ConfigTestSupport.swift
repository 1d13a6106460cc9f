import Foundation
import KalmTestSupport
@testable import Agent

/// Where the config fixtures live (found from this file, so no resource bundle is needed).
let configFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/config").path

/// The `-e` pairs the good fixtures need; the process environment is left out so tests do not depend on it.
let fixtureEnv = ["API_BASE": "https://api.example.com", "JUSTKALM_API_KEY": "k-123"]

/// Loads a fixture by file name.
func loadFixture(_ name: String, env: [String: String] = fixtureEnv) throws -> KalmConfig {
    try ConfigLoader.load(path: "\(configFixtures)/\(name)", env: env, processEnvironment: [:])
}

/// The errors a fixture produces (empty when it loads).
func fixtureErrors(_ name: String, env: [String: String] = fixtureEnv) -> [ConfigError] {
    do {
        _ = try loadFixture(name, env: env)
        return []
    } catch let e as ConfigErrors {
        return e.errors
    } catch {
        return [ConfigError(file: name, line: -1, column: -1, path: "", message: "unexpected \(error)")]
    }
}

/// Parses config text from a test.
func parseConfig(_ yaml: String, env: [String: String] = [:], processEnvironment: [String: String] = [:]) throws -> KalmConfig {
    try ConfigLoader.parse(yaml: yaml, sourceName: "kalm.yml", env: env, processEnvironment: processEnvironment,
                           baseDirectory: configFixtures)
}

/// The errors config text produces (empty when it parses).
func configErrors(_ yaml: String, env: [String: String] = [:], processEnvironment: [String: String] = [:]) -> [ConfigError] {
    do {
        _ = try parseConfig(yaml, env: env, processEnvironment: processEnvironment)
        return []
    } catch let e as ConfigErrors {
        return e.errors
    } catch {
        return [ConfigError(file: "kalm.yml", line: -1, column: -1, path: "", message: "unexpected \(error)")]
    }
}
