import Foundation
import KalmTestSupport
import Testing

/// `systemd/kalm.service` as systemd's own tools judge it, and the files beside it.
@Suite("systemd unit", .serialized)
struct SystemdUnitTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let systemdDirectory = repository.appendingPathComponent("systemd")
    static let unitPath = systemdDirectory.appendingPathComponent("kalm.service").path
    static let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let installedBinary = "/usr/local/bin/kalm"

    /// The unit with `ExecStart=/usr/local/bin/kalm` pointed at the freshly built binary
    /// (verify checks that the executable exists), in a temp directory, as `kalm.service`.
    static func unitForVerify() throws -> (path: String, directory: URL) {
        let text = try String(contentsOfFile: unitPath, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let prefix = "ExecStart=\(installedBinary) "
        #expect(lines.filter { $0.hasPrefix(prefix) }.count == 1, "expected one ExecStart=\(installedBinary) line")
        let rewritten = lines.map { $0.hasPrefix(prefix) ? "ExecStart=\(KalmProcess.binary) " + $0.dropFirst(prefix.count) : $0 }
        let dir = try tempDirectory()
        let path = dir.appendingPathComponent("kalm.service").path
        try rewritten.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return (path, dir)
    }

    /// Every `Key=value` of the unit (a key set twice keeps both values, in order).
    static func directives() throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for line in try String(contentsOfFile: unitPath, encoding: .utf8).split(separator: "\n") {
            let l = line.trimmingCharacters(in: .whitespaces)
            guard !l.hasPrefix("#"), !l.hasPrefix("["), let eq = l.firstIndex(of: "=") else { continue }
            out[String(l[..<eq]), default: []].append(String(l[l.index(after: eq)...]))
        }
        return out
    }

    @Test("systemd-analyze verify prints nothing")
    func verify() throws {
        guard let analyze = Self.analyze else {
            print("SKIPPED: systemd-analyze is not installed (Debian: apt-get install systemd)")
            return
        }
        let (path, dir) = try Self.unitForVerify()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try runTool(analyze, ["verify", path], timeout: 60)
        #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty,
                "systemd-analyze verify (exit \(r.status)):\n\(r.stdout)\(r.stderr)")
    }

    @Test("systemd-analyze security --offline=true scores 2.0 or better")
    func security() throws {
        guard let analyze = Self.analyze else {
            print("SKIPPED: systemd-analyze is not installed (Debian: apt-get install systemd)")
            return
        }
        let r = try runTool(analyze, ["security", "--offline=true", "--no-pager", Self.unitPath], timeout: 60)
        let line = r.stdout.split(separator: "\n").first { $0.contains("Overall exposure level for kalm.service") }
        let score = line.flatMap { l in l.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) } }
        print("systemd-analyze security --offline=true systemd/kalm.service: \(line.map(String.init) ?? "no score")")
        #expect(score != nil, "no score in:\n\(r.stdout)\(r.stderr)")
        if let score { #expect(score <= 2.0, "exposure \(score) > 2.0:\n\(r.stdout)") }
    }

    @Test("the unit: notify with watchdog, SIGHUP reload, no restart on a bad config, the agent's own identity and files")
    func essentials() throws {
        let d = try Self.directives()
        #expect(d["Type"] == ["notify"])
        #expect(d["WatchdogSec"] == ["30s"])
        #expect(d["ExecReload"] == ["/bin/kill -HUP $MAINPID"])
        #expect(d["Restart"] == ["on-failure"])
        #expect(d["RestartPreventExitStatus"] == ["104"])
        #expect(d["DynamicUser"] == ["yes"])
        #expect(d["StateDirectory"] == ["kalm"])
        #expect(d["ConfigurationDirectory"] == ["kalm"])
        #expect(d["LoadCredential"] == ["api-key:/etc/kalm/api-key"])
        #expect(d["EnvironmentFile"] == ["-/etc/default/kalm"])
        #expect(d["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"], "AF_UNIX carries $NOTIFY_SOCKET")
        #expect(d["CapabilityBoundingSet"] == [""])
        #expect(d["IPAddressDeny"] == nil, "the agent probes arbitrary hosts")
        let exec = try #require(d["ExecStart"]?.first)
        #expect(exec.hasPrefix("\(Self.installedBinary) agent --config.file=%E/kalm/kalm.yml --web.listen-address=:9877"))
        #expect(exec.hasSuffix(" $KALM_OPTS"))
    }

    @Test("the example environment file is KEY=VALUE lines, with KALM_OPTS and API_BASE")
    func environmentExample() throws {
        let text = try String(contentsOfFile: Self.systemdDirectory.appendingPathComponent("kalm.env.example").path, encoding: .utf8)
        var keys: [String] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            #expect(parts.count == 2 && parts[0].allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "not KEY=VALUE: \(line)")
            keys.append(String(parts[0]))
        }
        #expect(keys.contains("KALM_OPTS") && keys.contains("API_BASE"), "\(keys)")
    }
}
