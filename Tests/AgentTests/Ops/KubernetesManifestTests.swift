import Foundation
import KalmTestSupport
import Testing

/// deploy/kubernetes/: every kustomize base renders with `kubectl kustomize`, passes
/// `kubernetes-validate --strict` offline, runs hardened (non-root, read-only root
/// filesystem, no capabilities), and its kalm config passes `kalm check` as a pod sees it.
@Suite("Kubernetes manifests")
struct KubernetesManifestTests {
    static let kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let validator: String? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/kubernetes-validate" }
        return paths.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func render(_ base: String) throws -> String {
        let r = try runTool(kubectl!, ["kustomize", root.appendingPathComponent(base).path])
        guard r.status == 0 else { throw TestFailure("kubectl kustomize \(base): \(r.stderr)") }
        return r.stdout
    }

    @Test(.enabled(if: kubectl != nil && validator != nil))
    func theFleetBaseRendersValidatesAndRunsHardened() throws {
        let yaml = try Self.render("deploy/kubernetes/fleet")
        let file = try tempFile(yaml, name: "fleet.yaml")
        let v = try runTool(Self.validator!, ["--strict", file])
        #expect(v.status == 0, "\(v.stdout)\n\(v.stderr)")
        #expect(yaml.contains("kind: StatefulSet") && yaml.contains("kind: ConfigMap"))
        for required in ["runAsNonRoot: true", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false",
                         "- ALL", "type: RuntimeDefault", "automountServiceAccountToken: false",
                         "apps.kubernetes.io/pod-index"] {
            #expect(yaml.contains(required), "missing \(required)")
        }
    }

    /// The fleet's kalm.yml as each pod of three reads it: with SHARD_INDEX and its targets,
    /// the shards split the example targets exactly.
    @Test func theFleetConfigChecksOnEveryShard() throws {
        let dir = try tempDirectory().path
        let base = Self.root.appendingPathComponent("deploy/kubernetes/fleet")
        // The pod's paths (/etc/kalm/targets) point at the base's targets directory here.
        let config = try String(contentsOf: base.appendingPathComponent("kalm.yml"), encoding: .utf8)
            .replacingOccurrences(of: "/etc/kalm/targets", with: base.appendingPathComponent("targets").path)
        try config.write(toFile: dir + "/kalm.yml", atomically: true, encoding: .utf8)
        var total = 0
        for index in 0..<3 {
            let r = try KalmProcess.run(["check", "-c", dir + "/kalm.yml"], environment: ["SHARD_INDEX": "\(index)", "SHARD_TOTAL": "3"])
            #expect(r.status == 0, "\(r.output)")
            let line = r.stdout.split(separator: "\n").first { $0.contains("probe health:") } ?? ""
            total += Int(line.split(separator: " ").dropFirst(2).first ?? "") ?? -100
        }
        #expect(total == 3, "the example's 3 targets split over the 3 shards")
    }
}
