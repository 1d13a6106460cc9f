import Foundation
import KalmTestSupport
import Testing
@testable import Agent

/// `${credential:NAME}`: systemd's credentials (LoadCredential=) in the config.
@Suite("systemd credentials")
struct CredentialTests {
    /// A directory like systemd's `$CREDENTIALS_DIRECTORY`, holding `files`.
    static func credentials(_ files: [String: String]) throws -> URL {
        let dir = try tempDirectory()
        for (name, text) in files {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test("${credential:NAME} is $CREDENTIALS_DIRECTORY/NAME, trimmed; -e CREDENTIALS_DIRECTORY wins")
    func expands() throws {
        let dir = try Self.credentials(["api-key": "  sk_live_123\n", "other": "from-e"])
        let other = try Self.credentials(["api-key": "from-e"])
        defer {
            try? FileManager.default.removeItem(at: dir)
            try? FileManager.default.removeItem(at: other)
        }
        let x = VariableExpander(env: [:], processEnvironment: ["CREDENTIALS_DIRECTORY": dir.path], baseDirectory: configFixtures)
        #expect(try x.expand("Bearer ${credential:api-key}") == "Bearer sk_live_123")
        #expect(try x.expand("${credential: api-key }") == "sk_live_123")
        var subs: [VariableExpander.Substitution] = []
        _ = try x.expand("Bearer ${credential:api-key}", substitutions: &subs)
        #expect(subs == [.init(value: "sk_live_123", reference: "${credential:api-key}")], "kept for redaction")
        let e = VariableExpander(env: ["CREDENTIALS_DIRECTORY": other.path], processEnvironment: ["CREDENTIALS_DIRECTORY": dir.path],
                                 baseDirectory: configFixtures)
        #expect(try e.expand("${credential:api-key}") == "from-e")
    }

    @Test("an unset CREDENTIALS_DIRECTORY, a missing file or a bad name is an error naming the place and the fix")
    func rejects() throws {
        let dir = try Self.credentials([:])
        defer { try? FileManager.default.removeItem(at: dir) }
        let unset = VariableExpander(env: [:], processEnvironment: [:], baseDirectory: configFixtures)
        let empty = VariableExpander(env: [:], processEnvironment: ["CREDENTIALS_DIRECTORY": ""], baseDirectory: configFixtures)
        let set = VariableExpander(env: [:], processEnvironment: ["CREDENTIALS_DIRECTORY": dir.path], baseDirectory: configFixtures)
        for (x, text, reasons) in [
            (unset, "${credential:api-key}", ["${credential:api-key} needs $CREDENTIALS_DIRECTORY, which is not set",
                                              "LoadCredential=api-key:/etc/kalm/api-key"]),
            (empty, "${credential:api-key}", ["needs $CREDENTIALS_DIRECTORY"]),
            (set, "${credential:api-key}", ["cannot read ${credential:api-key} (no such file: \(dir.path)/api-key)",
                                            "LoadCredential=api-key:/etc/kalm/api-key"]),
            (set, "${credential:}", ["needs a credential name"]),
            (set, "${credential:../etc/passwd}", ["needs a credential name"]),
            (set, "${credential:..}", ["needs a credential name"]),
        ] {
            #expect {
                try x.expand(text)
            } throws: { error in
                let reason = (error as? ValueError)?.reason ?? "\(error)"
                return reasons.allSatisfy { reason.contains($0) }
            }
        }
    }

    @Test("in a config: 104 with file:line:column and the key; the secret never in a message")
    func configErrors() throws {
        let secret = "sk_live_hunter2"
        let dir = try Self.credentials(["api-key": secret])
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = """
            probes:
              - name: api
                request:
                  url: https://example.com/
                  headers: {Authorization: "Bearer ${credential:api-key}", X-Other: "${credential:missing}"}
                  timeout: "${credential:api-key}"
            """
        let errors = AgentTests.configErrors(yaml, processEnvironment: ["CREDENTIALS_DIRECTORY": dir.path])
        #expect(errors.count == 2, "\(ConfigErrors(errors: errors))")
        #expect(errors.allSatisfy { !$0.description.contains("hunter2") }, "\(ConfigErrors(errors: errors))")
        #expect(errors.contains { $0.description.contains("kalm.yml:5:") && $0.description.contains("cannot read ${credential:missing}") },
                "\(ConfigErrors(errors: errors))")
        #expect(errors.contains { $0.path == "probes[0].request.timeout" && $0.description.contains("${credential:api-key}") },
                "\(ConfigErrors(errors: errors))")
    }

    @Test("kalm check with CREDENTIALS_DIRECTORY: the example config passes; without the file: 104, secret-free")
    func checkCommand() throws {
        let secret = "sk_live_hunter2"
        let dir = try Self.credentials(["api-key": secret + "\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let example = SystemdUnitTests.systemdDirectory.appendingPathComponent("kalm.yml.example").path
        let ok = try KalmProcess.run(["check", "-c", example],
                                     environment: ["CREDENTIALS_DIRECTORY": dir.path, "API_BASE": "https://api.example.com"])
        #expect(ok.status == 0, "\(ok.output)")
        #expect(!ok.output.contains("hunter2"), "\(ok.output)")

        let cfg = try tempFile("""
            probes:
              - name: api
                request:
                  url: https://example.com/
                  headers: {Authorization: "Bearer ${credential:api-key}", X-Second: "${credential:second}"}
            """)
        defer { try? FileManager.default.removeItem(atPath: (cfg as NSString).deletingLastPathComponent) }
        let missing = try KalmProcess.run(["check", "-c", cfg], environment: ["CREDENTIALS_DIRECTORY": dir.path])
        #expect(missing.status == 104, "\(missing.output)")
        #expect(missing.output.contains("\(cfg):5:") && missing.output.contains("cannot read ${credential:second}")
                && missing.output.contains("LoadCredential=second:"), "\(missing.output)")
        #expect(!missing.output.contains("hunter2"), "\(missing.output)")

        // Unset (systemd gives no credentials): 104, telling how to provide them.
        let unset = try KalmProcess.run(["check", "-c", cfg], environment: ["CREDENTIALS_DIRECTORY": ""])
        #expect(unset.status == 104, "\(unset.output)")
        #expect(unset.output.contains("needs $CREDENTIALS_DIRECTORY"), "\(unset.output)")
        // -e CREDENTIALS_DIRECTORY=... for checking a config outside systemd.
        try "2".write(to: dir.appendingPathComponent("second"), atomically: true, encoding: .utf8)
        let viaE = try KalmProcess.run(["check", "-c", cfg, "-e", "CREDENTIALS_DIRECTORY=\(dir.path)"],
                                       environment: ["CREDENTIALS_DIRECTORY": ""])
        #expect(viaE.status == 0, "\(viaE.output)")
    }
}
