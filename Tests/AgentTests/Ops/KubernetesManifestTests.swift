import Foundation
import KalmTestSupport
import Testing
import Yams

/// deploy/kubernetes/: every kustomize base renders with `kubectl kustomize`, passes
/// `kubernetes-validate --strict` offline, runs hardened (non-root, read-only root
/// filesystem, no capabilities), passes checkov, and its kalm config passes `kalm check` as a
/// pod sees it; the agent base's web config, example secrets and exec health probes work
/// against a real agent; the distributed run's Jobs run every part once, never retried, and
/// the merge reads exactly the parts' files; the Prometheus Operator monitors validate
/// strictly against the operator's CRDs kept in deploy/kubernetes/crds and point at what the
/// bases serve; and the image of deploy/container builds from the test build's binary and
/// runs it.
@Suite("Kubernetes manifests")
struct KubernetesManifestTests {
    static let kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let validator = onPath("kubernetes-validate")
    /// scripts/test installs checkov in a virtualenv of its own (its pinned dependencies
    /// would replace other packages' in the system's Python).
    static let checkov: String? = onPath("checkov") ?? {
        let venv = (ProcessInfo.processInfo.environment["HOME"] ?? "/root") + "/.cache/kalm-tools/checkov/bin/checkov"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }()
    /// scripts/validate-crd needs python3 with jsonschema and PyYAML.
    static let crdValidatorUsable: Bool = {
        guard let python = onPath("python3") else { return false }
        return (try? runTool(python, ["-c", "import jsonschema, yaml"]))?.status == 0
    }()
    static let podman = onPath("podman")
    /// `podman info` answers: its storage and runtime configuration can be read here.
    static let podmanUsable: Bool = {
        guard let podman else { return false }
        return (try? runTool(podman, ["info"], timeout: 60))?.status == 0
    }()
    /// `kalm health` (the agent base's exec probes) is in this build.
    static let kalmHasHealth: Bool = {
        guard let r = try? KalmProcess.run(["--help"], timeout: 30) else { return false }
        return r.stdout.contains("\n  health ")
    }()

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let agentBase = root.appendingPathComponent("deploy/kubernetes/agent")
    static let exampleSecrets = agentBase.appendingPathComponent("example-secrets")
    static let prometheusPasswordFile = root.appendingPathComponent("deploy/kubernetes/monitoring/agent/example-secrets/prometheus-password")
    static let bases = ["deploy/kubernetes/fleet", "deploy/kubernetes/agent",
                        "deploy/kubernetes/monitoring/agent", "deploy/kubernetes/monitoring/fleet",
                        "deploy/kubernetes/distributed", "deploy/kubernetes/distributed/merge",
                        "deploy/kubernetes/monitoring/distributed"]

    static func onPath(_ tool: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(tool)" }
        return paths.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func render(_ base: String) throws -> String {
        let r = try runTool(kubectl!, ["kustomize", root.appendingPathComponent(base).path])
        guard r.status == 0 else { throw TestFailure("kubectl kustomize \(base): \(r.stderr)") }
        return r.stdout
    }

    /// The rendered objects, as Yams reads them.
    static func objects(_ base: String) throws -> [[String: Any]] {
        try Yams.load_all(yaml: render(base)).compactMap { $0 as? [String: Any] }
    }

    static func object(_ objects: [[String: Any]], kind: String, name: String? = nil) throws -> [String: Any] {
        try #require(objects.first { $0["kind"] as? String == kind && (name == nil || meta($0)["name"] as? String == name) },
                     "no \(kind) \(name ?? "")")
    }

    static func meta(_ o: [String: Any]) -> [String: Any] { o["metadata"] as? [String: Any] ?? [:] }
    static func dict(_ o: Any?, _ path: String...) -> [String: Any] {
        var v: Any? = o
        for key in path { v = (v as? [String: Any])?[key] }
        return v as? [String: Any] ?? [:]
    }

    /// A map of strings (labels, selectors) as Swift can compare it.
    static func strings(_ o: [String: Any]) -> [String: String] { o.compactMapValues { $0 as? String } }

    /// kalm's version as `kalm --version` prints it (`kalm 0.1.0 (revision ...)`).
    static func kalmVersion() throws -> String {
        let r = try KalmProcess.run(["--version"])
        return String(r.stdout.split(separator: " ").dropFirst().first ?? "")
    }

    // MARK: - Rendering and validation

    @Test(.enabled(if: kubectl != nil && validator != nil), arguments: bases)
    func everyBaseRendersAndValidatesStrictly(base: String) throws {
        let yaml = try Self.render(base)
        let file = try tempFile(yaml, name: "rendered.yaml")
        let v = try runTool(Self.validator!, ["--strict", file])
        #expect(v.status == 0, "\(v.stdout)\n\(v.stderr)")
        #expect(!v.stdout.contains("ERROR") && !v.stderr.contains("ERROR"), "\(v.stdout)\n\(v.stderr)")
        // Everything lands in the kalm namespace, which enforces the restricted Pod Security profile.
        for o in try Yams.load_all(yaml: yaml).compactMap({ $0 as? [String: Any] }) where o["kind"] as? String != "Namespace" {
            #expect(Self.meta(o)["namespace"] as? String == "kalm", "\(o["kind"] ?? "") \(Self.meta(o)["name"] ?? "")")
        }
    }

    /// Every workload, field by field: the pod and the container security contexts, requests
    /// and a memory limit, both probes (none in a Job's pods), read-only mounts (but the
    /// volume a Job writes its results to), the image as scripts/container tags it.
    @Test(.enabled(if: kubectl != nil), arguments: [("deploy/kubernetes/fleet", "StatefulSet"), ("deploy/kubernetes/agent", "Deployment"),
                                                    ("deploy/kubernetes/distributed", "Job"), ("deploy/kubernetes/distributed/merge", "Job")])
    func everyWorkloadRunsHardened(base: String, kind: String) throws {
        let objects = try Self.objects(base)
        // The merge is applied after the parts' base, into the namespace that base creates.
        let namespace = try Self.object(base.hasSuffix("/merge") ? Self.objects("deploy/kubernetes/distributed") : objects, kind: "Namespace")
        #expect(Self.dict(namespace, "metadata", "labels")["pod-security.kubernetes.io/enforce"] as? String == "restricted")
        let workload = try Self.object(objects, kind: kind)
        let pod = Self.dict(workload, "spec", "template", "spec")
        #expect(pod["automountServiceAccountToken"] as? Bool == false)
        let podSecurity = Self.dict(pod, "securityContext")
        #expect(podSecurity["runAsNonRoot"] as? Bool == true)
        #expect(podSecurity["runAsUser"] as? Int == 65532 && podSecurity["runAsGroup"] as? Int == 65532)
        #expect(Self.dict(podSecurity, "seccompProfile")["type"] as? String == "RuntimeDefault")
        let version = try Self.kalmVersion()
        let containers = pod["containers"] as? [[String: Any]] ?? []
        #expect(containers.count == 1)
        for c in containers {
            let security = Self.dict(c, "securityContext")
            #expect(security["allowPrivilegeEscalation"] as? Bool == false)
            #expect(security["readOnlyRootFilesystem"] as? Bool == true)
            #expect(Self.dict(security, "capabilities")["drop"] as? [String] == ["ALL"])
            #expect(security["privileged"] == nil && Self.dict(security, "capabilities")["add"] == nil)
            let resources = Self.dict(c, "resources")
            #expect(Self.dict(resources, "requests")["cpu"] != nil && Self.dict(resources, "requests")["memory"] != nil)
            #expect(Self.dict(resources, "limits")["memory"] != nil)
            if kind == "Job" {
                // A liveness failure would kill a part that restartPolicy Never does not bring
                // back, and nothing routes traffic to a Job's pod.
                #expect(c["readinessProbe"] == nil && c["livenessProbe"] == nil)
            } else {
                #expect(!Self.dict(c, "readinessProbe").isEmpty && !Self.dict(c, "livenessProbe").isEmpty)
            }
            for mount in c["volumeMounts"] as? [[String: Any]] ?? [] {
                let results = kind == "Job" && mount["mountPath"] as? String == "/results"
                #expect(mount["readOnly"] as? Bool == (results ? nil : true), "\(mount)")
            }
            #expect(c["image"] as? String == "kalm:\(version)", "the image scripts/container tags from kalm --version")
        }
        // Only the ports the pods serve (the endpoint's 9877; none for the merge) are open to
        // other pods. A Job has no selector of its own: the policy selects its pods' labels.
        let policy = try Self.object(objects, kind: "NetworkPolicy")
        let policySelector = Self.strings(Self.dict(policy, "spec", "podSelector", "matchLabels"))
        let podLabels = Self.strings(Self.dict(workload, "spec", "template", "metadata", "labels"))
        #expect(!policySelector.isEmpty && policySelector.allSatisfy { podLabels[$0.key] == $0.value })
        if kind != "Job" {
            #expect(policySelector == Self.strings(Self.dict(workload, "spec", "selector", "matchLabels")))
        }
        let served = containers.flatMap { $0["ports"] as? [[String: Any]] ?? [] }.compactMap { $0["containerPort"] as? Int }
        let ingress = Self.dict(policy, "spec")["ingress"] as? [[String: Any]] ?? []
        #expect((Self.dict(policy, "spec")["policyTypes"] as? [String] ?? []).contains("Ingress"))
        if served.isEmpty {
            #expect(ingress.isEmpty, "nothing to connect to: no ingress rule")
        } else {
            #expect(ingress.count == 1 && (ingress[0]["ports"] as? [[String: Any]])?.compactMap { $0["port"] as? Int } == served)
            #expect(served == [9877])
        }
    }

    @Test(.enabled(if: kubectl != nil))
    func theFleetShardsFromThePodIndex() throws {
        let objects = try Self.objects("deploy/kubernetes/fleet")
        let set = try Self.object(objects, kind: "StatefulSet")
        let container = try #require((Self.dict(set, "spec", "template", "spec")["containers"] as? [[String: Any]])?.first)
        let env = container["env"] as? [[String: Any]] ?? []
        let index = try #require(env.first { $0["name"] as? String == "SHARD_INDEX" })
        #expect(Self.dict(index, "valueFrom", "fieldRef")["fieldPath"] as? String == "metadata.labels['apps.kubernetes.io/pod-index']")
        let total = try #require(env.first { $0["name"] as? String == "SHARD_TOTAL" })
        #expect(total["value"] as? String == "\(Self.dict(set, "spec")["replicas"] as? Int ?? -1)", "SHARD_TOTAL = replicas")
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

    // MARK: - The distributed run: the parts' Indexed Job and the merge

    /// The container of a base's only Job, and the Job.
    static func job(_ base: String) throws -> (job: [String: Any], container: [String: Any], objects: [[String: Any]]) {
        let rendered = try Self.objects(base)
        let workload = try Self.object(rendered, kind: "Job")
        let container = try #require((Self.dict(workload, "spec", "template", "spec")["containers"] as? [[String: Any]])?.first)
        return (workload, container, rendered)
    }

    /// The value after a flag in a container's args.
    static func argument(_ args: [String], _ flag: String) -> String? {
        args.firstIndex(of: flag).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
    }

    /// One pod per part, all at once, never retried; each part with --no-thresholds, the
    /// shared start instant and its own export on the shared volume; and the merge lists
    /// exactly the files the parts write (part-0 ... part-(N-1)), from the same volume.
    @Test(.enabled(if: kubectl != nil))
    func theDistributedJobsRunEveryPartOnceAndMergeThemAll() throws {
        let (parts, container, objects) = try Self.job("deploy/kubernetes/distributed")
        #expect(Self.meta(parts)["name"] as? String == "kalm-parts")
        let spec = Self.dict(parts, "spec")
        let args = container["args"] as? [String] ?? []
        #expect(args.prefix(3) == ["run", "-c", "/etc/kalm/kalm.yml"], "\(args)")
        let n = try #require(Self.argument(args, "--execution-parts").flatMap { Int($0) }, "\(args)")
        #expect(n == 4)
        #expect(spec["completionMode"] as? String == "Indexed")
        #expect(spec["completions"] as? Int == n && spec["parallelism"] as? Int == n, "completions = parallelism = --execution-parts")
        #expect(spec["backoffLimit"] as? Int == 0)
        #expect(spec["ttlSecondsAfterFinished"] as? Int != nil && spec["activeDeadlineSeconds"] as? Int != nil)
        let rules = Self.dict(spec, "podFailurePolicy")["rules"] as? [[String: Any]] ?? []
        #expect(rules.contains { $0["action"] as? String == "FailJob"
                                 && Self.dict($0, "onExitCodes")["operator"] as? String == "NotIn"
                                 && Self.dict($0, "onExitCodes")["values"] as? [Int] == [0] }, "any non-zero exit fails the Job")
        let pod = Self.dict(parts, "spec", "template", "spec")
        #expect(pod["restartPolicy"] as? String == "Never")
        #expect(args.contains("--no-thresholds"))
        #expect(Self.argument(args, "--start-at") == "$(START_AT)")
        #expect(Self.argument(args, "--web.listen-address") == ":9877")
        #expect(!args.contains("--execution-part"), "the index comes from JOB_COMPLETION_INDEX")

        // $(VAR) in args is expanded by Kubernetes from the container's env (no shell in the image).
        let env = container["env"] as? [[String: Any]] ?? []
        let startAt = try #require(env.first { $0["name"] as? String == "START_AT" })
        let ref = Self.dict(startAt, "valueFrom", "configMapKeyRef")
        #expect(ref["name"] as? String == "kalm-run" && ref["key"] as? String == "start_at")
        let run = try Self.object(objects, kind: "ConfigMap", name: "kalm-run")
        let value = Self.dict(run, "data")["start_at"] as? String ?? ""
        #expect(ISO8601DateFormatter().date(from: value) != nil, "start_at is RFC 3339: \(value)")
        let index = try #require(env.first { $0["name"] as? String == "JOB_COMPLETION_INDEX" })
        #expect(Self.dict(index, "valueFrom", "fieldRef")["fieldPath"] as? String
                == "metadata.annotations['batch.kubernetes.io/job-completion-index']")

        // The exports land on the ReadWriteMany claim that the merge mounts at the same path.
        let export = try #require(Self.argument(args, "--summary-export"))
        #expect(export == "/results/part-$(JOB_COMPLETION_INDEX).json")
        func claim(_ pod: [String: Any], _ container: [String: Any], at path: String) -> String? {
            let mount = (container["volumeMounts"] as? [[String: Any]] ?? []).first { path.hasPrefix(($0["mountPath"] as? String ?? "?") + "/") }
            let volume = (pod["volumes"] as? [[String: Any]] ?? []).first { $0["name"] as? String == mount?["name"] as? String }
            return Self.dict(volume, "persistentVolumeClaim")["claimName"] as? String
        }
        #expect(claim(pod, container, at: export) == "kalm-results")
        let pvc = try Self.object(objects, kind: "PersistentVolumeClaim", name: "kalm-results")
        #expect(Self.dict(pvc, "spec")["accessModes"] as? [String] == ["ReadWriteMany"])
        #expect(Self.dict(pvc, "spec")["selector"] == nil, "a selector would prevent dynamic provisioning")

        let (merge, mergeContainer, mergeObjects) = try Self.job("deploy/kubernetes/distributed/merge")
        #expect(Self.meta(merge)["name"] as? String == "kalm-merge")
        #expect(Self.dict(merge, "spec")["backoffLimit"] as? Int == 0)
        let mergePod = Self.dict(merge, "spec", "template", "spec")
        #expect(mergePod["restartPolicy"] as? String == "Never")
        let mergeArgs = mergeContainer["args"] as? [String] ?? []
        let written = (0..<n).map { export.replacingOccurrences(of: "$(JOB_COMPLETION_INDEX)", with: "\($0)") }
        #expect(mergeArgs.first == "merge")
        #expect(Array(mergeArgs.dropFirst().prefix { !$0.hasPrefix("-") }) == written, "\(mergeArgs)")
        #expect(!mergeArgs.contains("--allow-missing"))
        for (flag, file) in [("--summary-export", "/results/summary.json"), ("--junit", "/results/junit.xml"), ("--report", "/results/report.html")] {
            #expect(Self.argument(mergeArgs, flag) == file)
            #expect(claim(mergePod, mergeContainer, at: file) == "kalm-results")
        }
        #expect(claim(mergePod, mergeContainer, at: written[0]) == "kalm-results")
        // Not a resource of the merge: deleting the merge leaves the results and the namespace.
        #expect(!mergeObjects.contains { ["PersistentVolumeClaim", "Namespace"].contains($0["kind"] as? String ?? "") })
        // kalm merge opens no connection: no ingress, no egress.
        let policy = try Self.object(mergeObjects, kind: "NetworkPolicy")
        #expect(Self.dict(policy, "spec")["policyTypes"] as? [String] == ["Ingress", "Egress"])
        #expect(Self.dict(policy, "spec")["ingress"] == nil && Self.dict(policy, "spec")["egress"] == nil)
    }

    /// The distributed base's kalm.yml as every part reads it, API_BASE from the Job.
    @Test(.enabled(if: kubectl != nil))
    func theDistributedConfigChecks() throws {
        let (_, container, _) = try Self.job("deploy/kubernetes/distributed")
        let env = container["env"] as? [[String: Any]] ?? []
        let apiBase = try #require(env.first { $0["name"] as? String == "API_BASE" }?["value"] as? String)
        let config = Self.root.appendingPathComponent("deploy/kubernetes/distributed/kalm.yml").path
        let r = try KalmProcess.run(["check", "-c", config], environment: ["API_BASE": apiBase])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("kalm.yml: OK"), "\(r.output)")
    }

    // MARK: - The agent base: web config on, exec probes

    /// The agent base's kalm.yml and web.yml as the pod reads them: web.yml names its
    /// certificate and key relative to itself (/etc/kalm/web in the pod), and the credentials
    /// directory is the example secrets' here.
    static func agentFiles() -> (config: String, web: String, environment: [String: String]) {
        // Probes go to a closed loopback port, never to the example's api.example.com.
        (agentBase.appendingPathComponent("kalm.yml").path, exampleSecrets.appendingPathComponent("web.yml").path,
         ["API_BASE": "http://127.0.0.1:9", "CREDENTIALS_DIRECTORY": exampleSecrets.path])
    }

    @Test func theAgentConfigAndWebConfigCheck() throws {
        let files = Self.agentFiles()
        let r = try KalmProcess.run(["check", "-c", files.config, "--web.config.file", files.web], environment: files.environment)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("web.yml: OK") && r.stdout.contains("kalm.yml: OK: 1 probe"), "\(r.output)")
    }

    /// The Deployment starts kalm with the Secret's web config, and both probes run the image's
    /// own `kalm health` with the probe user's password file from that Secret: no httpGet, no
    /// password in the spec.
    @Test(.enabled(if: kubectl != nil))
    func theAgentServesWithTheWebConfigAndProbesWithKalmHealth() throws {
        let yaml = try Self.render("deploy/kubernetes/agent")
        let objects = try Yams.load_all(yaml: yaml).compactMap { $0 as? [String: Any] }
        let deployment = try Self.object(objects, kind: "Deployment")
        #expect(Self.dict(deployment, "spec")["replicas"] as? Int == 1)
        let pod = Self.dict(deployment, "spec", "template", "spec")
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let args = container["args"] as? [String] ?? []
        #expect(args.first == "agent" && args.contains("--web.config.file=/etc/kalm/web/web.yml"), "\(args)")
        let volumes = pod["volumes"] as? [[String: Any]] ?? []
        let mounts = container["volumeMounts"] as? [[String: Any]] ?? []
        let webMount = try #require(mounts.first { $0["mountPath"] as? String == "/etc/kalm/web" })
        let webVolume = try #require(volumes.first { $0["name"] as? String == webMount["name"] as? String })
        #expect(Self.dict(webVolume, "secret")["secretName"] as? String == "kalm-agent-web")
        let secret = try Self.object(objects, kind: "Secret", name: "kalm-agent-web")
        #expect(Set(Self.dict(secret, "data").keys) == ["web.yml", "tls.crt", "tls.key", "probe-password"])

        for (probe, path) in [("readinessProbe", "/-/ready"), ("livenessProbe", "/-/healthy")] {
            let p = Self.dict(container, probe)
            #expect(p["httpGet"] == nil && p["tcpSocket"] == nil)
            #expect(Self.dict(p, "exec")["command"] as? [String] == [
                "/kalm", "health", "--url", "https://127.0.0.1:9877\(path)", "--insecure",
                "--user", "probe", "--password-file", "/etc/kalm/web/probe-password"], "\(probe)")
        }
        let password = try String(contentsOf: Self.exampleSecrets.appendingPathComponent("probe-password"), encoding: .utf8)
        #expect(!yaml.contains(password), "the password only in the Secret's data")
        #expect((container["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == 9877)
        // The password the probes send is the one web.yml's probe user has (kalm checks it below).
        let web = try #require(try Yams.load(yaml: String(contentsOf: Self.exampleSecrets.appendingPathComponent("web.yml"), encoding: .utf8)) as? [String: Any])
        #expect(Set(Self.dict(web, "basic_auth_users").keys) == ["probe", "prometheus"])
    }

    /// The example secrets work together on a real agent: TLS with the example certificate,
    /// the probe user's and Prometheus's passwords, 401 without them; and the certificate
    /// verifies for the name the ServiceMonitor sends, with itself as the CA it names.
    @Test func theExampleSecretsServeTheEndpoint() throws {
        let files = Self.agentFiles()
        let agent = try AgentProcess(configPath: files.config, args: ["--web.config.file", files.web], environment: files.environment)
        defer { agent.child.forceStop() }
        let probePassword = try String(contentsOf: Self.exampleSecrets.appendingPathComponent("probe-password"), encoding: .utf8)
        let prometheusPassword = try String(contentsOf: Self.prometheusPasswordFile, encoding: .utf8)
        #expect(Curl.request(agent.url("/-/ready", scheme: "https"), extra: ["-k"]).status == 401)
        #expect(Curl.request(agent.url("/-/ready", scheme: "https"), extra: ["-k", "-u", "probe:\(probePassword)"]).status == 200)
        #expect(Curl.request(agent.url("/-/healthy", scheme: "https"), extra: ["-k", "-u", "probe:\(probePassword)"]).status == 200)
        let ca = Self.exampleSecrets.appendingPathComponent("tls.crt").path
        let scrape = Curl.request("https://kalm-agent.kalm.svc:\(agent.port)/metrics",
                                  extra: ["--cacert", ca, "--resolve", "kalm-agent.kalm.svc:\(agent.port):127.0.0.1",
                                          "-u", "prometheus:\(prometheusPassword)"])
        #expect(scrape.status == 200 && scrape.text.contains("kalm_build_info"), "\(scrape.status) \(scrape.curlError)")
        #expect(!agent.child.output.contains(probePassword) && !agent.child.output.contains(prometheusPassword))
    }

    /// The probes' exact commands from the Deployment, run against a real agent with the
    /// example secrets (the pod's paths and port rewritten): exit 0; with a wrong password, 1.
    @Test(.enabled(if: kubectl != nil && kalmHasHealth))
    func theExecProbesPassAgainstTheAgent() throws {
        let files = Self.agentFiles()
        let agent = try AgentProcess(configPath: files.config, args: ["--web.config.file", files.web], environment: files.environment)
        defer { agent.child.forceStop() }
        let deployment = try Self.object(Self.objects("deploy/kubernetes/agent"), kind: "Deployment")
        let container = try #require((Self.dict(deployment, "spec", "template", "spec")["containers"] as? [[String: Any]])?.first)
        let wrong = try tempFile("not-the-password", name: "probe-password")
        for probe in ["readinessProbe", "livenessProbe"] {
            let command = try #require(Self.dict(container, probe, "exec")["command"] as? [String])
            let here = command.dropFirst().map {
                $0.replacingOccurrences(of: "127.0.0.1:9877", with: agent.address)
                    .replacingOccurrences(of: "/etc/kalm/web", with: Self.exampleSecrets.path)
            }
            let ok = try KalmProcess.run(Array(here), timeout: 30)
            #expect(ok.status == 0, "\(probe): \(here.joined(separator: " ")): \(ok.output)")
            let bad = try KalmProcess.run(here.map { $0.hasSuffix("probe-password") ? wrong : $0 }, timeout: 30)
            #expect(bad.status == 1, "\(probe) with a wrong password: \(bad.output)")
        }
    }

    // MARK: - Prometheus Operator

    /// The PodMonitor and ServiceMonitor against the operator's CRDs kept in
    /// deploy/kubernetes/crds, with unknown fields rejected (scripts/validate-crd); and the
    /// validator does reject a misspelt field.
    @Test(.enabled(if: kubectl != nil && crdValidatorUsable), arguments: ["deploy/kubernetes/monitoring/agent", "deploy/kubernetes/monitoring/fleet",
                                                                         "deploy/kubernetes/monitoring/distributed"])
    func theMonitorsValidateAgainstTheOperatorsCRDs(base: String) throws {
        let script = Self.root.appendingPathComponent("scripts/validate-crd").path
        let yaml = try Self.render(base)
        let r = try runTool(script, [try tempFile(yaml, name: "monitor.yaml")])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Monitor kalm-") && r.stdout.contains(": valid against monitoring.coreos.com_"), "\(r.stdout)")
        let misspelt = yaml.replacingOccurrences(of: "interval: ", with: "intervall: ")
        #expect(misspelt != yaml)
        let bad = try runTool(script, [try tempFile(misspelt, name: "monitor.yaml")])
        #expect(bad.status == 1 && bad.stdout.contains("'intervall' was unexpected"), "\(bad.stdout)\(bad.stderr)")
    }

    /// The monitors point at what the bases serve: labels, port names, scheme, the Secrets
    /// and keys they name.
    @Test(.enabled(if: kubectl != nil))
    func theMonitorsSelectWhatTheBasesServe() throws {
        let agent = try Self.objects("deploy/kubernetes/agent")
        let service = try Self.object(agent, kind: "Service")
        let monitoring = try Self.objects("deploy/kubernetes/monitoring/agent")
        let sm = try Self.object(monitoring, kind: "ServiceMonitor")
        let selector = Self.dict(sm, "spec", "selector", "matchLabels")
        let serviceLabels = Self.dict(service, "metadata", "labels")
        #expect(!selector.isEmpty && selector.allSatisfy { serviceLabels[$0.key] as? String == $0.value as? String })
        let endpoint = try #require((Self.dict(sm, "spec")["endpoints"] as? [[String: Any]])?.first)
        let ports = (Self.dict(service, "spec")["ports"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(ports.contains(endpoint["port"] as? String ?? "?"))
        #expect(endpoint["scheme"] as? String == "https")
        let ca = Self.dict(endpoint, "tlsConfig", "ca", "secret")
        #expect(ca["name"] as? String == "kalm-agent-web" && ca["key"] as? String == "tls.crt")
        #expect(Self.dict(endpoint, "tlsConfig")["serverName"] as? String == "kalm-agent.kalm.svc")
        #expect(Self.dict(try Self.object(agent, kind: "Secret", name: "kalm-agent-web"), "data")["tls.crt"] != nil)
        let scrape = try Self.object(monitoring, kind: "Secret", name: "kalm-agent-scrape")
        for part in ["username", "password"] {
            let ref = Self.dict(endpoint, "basicAuth", part)
            #expect(ref["name"] as? String == "kalm-agent-scrape" && Self.dict(scrape, "data")[ref["key"] as? String ?? "?"] != nil, "\(part)")
        }
        let user = String(decoding: Data(base64Encoded: Self.dict(scrape, "data")["username"] as? String ?? "") ?? Data(), as: UTF8.self)
        #expect(user == "prometheus")

        // The PodMonitors: the fleet's agents, the distributed run's parts (and not its merge).
        for (base, kind, monitoring) in [("deploy/kubernetes/fleet", "StatefulSet", "deploy/kubernetes/monitoring/fleet"),
                                         ("deploy/kubernetes/distributed", "Job", "deploy/kubernetes/monitoring/distributed")] {
            let workload = try Self.object(Self.objects(base), kind: kind)
            let pm = try Self.object(Self.objects(monitoring), kind: "PodMonitor")
            let podLabels = Self.dict(workload, "spec", "template", "metadata", "labels")
            let podSelector = Self.dict(pm, "spec", "selector", "matchLabels")
            #expect(!podSelector.isEmpty && podSelector.allSatisfy { podLabels[$0.key] as? String == $0.value as? String }, "\(monitoring)")
            let container = (Self.dict(workload, "spec", "template", "spec")["containers"] as? [[String: Any]])?.first ?? [:]
            let containerPorts = (container["ports"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            let podEndpoint = (Self.dict(pm, "spec")["podMetricsEndpoints"] as? [[String: Any]])?.first ?? [:]
            #expect(containerPorts.contains(podEndpoint["port"] as? String ?? "?"), "\(monitoring)")
        }
        let merge = try Self.object(Self.objects("deploy/kubernetes/distributed/merge"), kind: "Job")
        let mergeLabels = Self.dict(merge, "spec", "template", "metadata", "labels")
        let partsMonitor = try Self.object(Self.objects("deploy/kubernetes/monitoring/distributed"), kind: "PodMonitor")
        let partsSelector = Self.dict(partsMonitor, "spec", "selector", "matchLabels")
        #expect(!partsSelector.allSatisfy { mergeLabels[$0.key] as? String == $0.value as? String }, "the merge serves no metrics")
    }

    // MARK: - checkov

    /// checkov's Kubernetes checks, offline, over every base: nothing failed, and exactly the
    /// skips the manifests justify in their checkov.io/skip annotations.
    @Test(.enabled(if: kubectl != nil && checkov != nil))
    func checkovFindsNothingFailed() throws {
        let dir = try tempDirectory()
        for base in Self.bases {
            try Self.render(base).write(to: dir.appendingPathComponent(base.replacingOccurrences(of: "/", with: "-") + ".yaml"),
                                        atomically: true, encoding: .utf8)
        }
        let r = try runTool(Self.checkov!, ["-d", dir.path, "--framework", "kubernetes", "--skip-download", "--compact", "-o", "json"],
                            environment: ["BC_SKIP_MAPPING": "TRUE"], timeout: 300)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)\(r.stderr)")
        let summary = Self.dict(report, "summary")
        let results = Self.dict(report, "results")
        let failed = (results["failed_checks"] as? [[String: Any]] ?? []).map { "\($0["check_id"] ?? "") \($0["resource"] ?? "")" }
        #expect(summary["failed"] as? Int == 0 && failed.isEmpty, "\(failed)")
        #expect(summary["parsing_errors"] as? Int == 0)
        #expect((summary["passed"] as? Int ?? 0) > 300 && (summary["resource_count"] as? Int ?? 0) >= 29, "\(summary)")
        #expect(r.status == 0, "\(r.stderr)")
        let skipped = results["skipped_checks"] as? [[String: Any]] ?? []
        let skips = Set(skipped.map { "\($0["check_id"] ?? "") \($0["resource"] ?? "")" })
        #expect(skips == ["CKV_K8S_11 StatefulSet.kalm.kalm", "CKV_K8S_43 StatefulSet.kalm.kalm", "CKV_K8S_15 StatefulSet.kalm.kalm",
                          "CKV_K8S_11 Deployment.kalm.kalm-agent", "CKV_K8S_43 Deployment.kalm.kalm-agent",
                          "CKV_K8S_15 Deployment.kalm.kalm-agent",
                          "CKV_K8S_11 Job.kalm.kalm-parts", "CKV_K8S_43 Job.kalm.kalm-parts", "CKV_K8S_15 Job.kalm.kalm-parts",
                          // The merge has a CPU limit: it measures nothing.
                          "CKV_K8S_43 Job.kalm.kalm-merge", "CKV_K8S_15 Job.kalm.kalm-merge"])
        for s in skipped {
            #expect((Self.dict(s, "check_result")["suppress_comment"] as? String ?? "").count > 40, "a skip with a reason: \(s["check_id"] ?? "")")
        }
    }

    // MARK: - The image

    /// deploy/container/Containerfile through scripts/container, from this build's (debug)
    /// binary: the image has nothing but kalm and what it loads, runs as uid 65532, and runs
    /// `kalm --version`, `kalm check` and `kalm agent` (over TLS with the example web config)
    /// as the Deployment runs it: read-only root, no capabilities, the files where the pod has them.
    @Test(.enabled(if: podmanUsable), .timeLimit(.minutes(10)))
    func theImageBuildsFromTheTestBinaryAndRunsKalm() throws {
        let script = Self.root.appendingPathComponent("scripts/container").path
        let tag = "localhost/kalm-test-\(UUID().uuidString.prefix(8).lowercased()):dev"
        let build = try runTool(script, ["build", "--tag", tag, KalmProcess.binary], timeout: 300)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        guard build.status == 0 else { return }
        defer { _ = try? runTool(Self.podman!, ["rmi", "-f", tag], timeout: 60) }
        #expect(build.stdout.split(separator: "\n").last.map(String.init) == tag)

        let inspect = try runTool(Self.podman!, ["image", "inspect", "--format", "{{.Config.User}} {{json .Config.Entrypoint}}", tag])
        #expect(inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "65532:65532 [\"/kalm\"]", "\(inspect.stdout)\(inspect.stderr)")

        let version = try runTool(script, ["run", "--rm", tag, "--version"], timeout: 60)
        #expect(version.status == 0, "\(version.stderr)")
        #expect(version.stdout == (try KalmProcess.run(["--version"])).stdout)

        let agent = Self.agentBase.path, secrets = Self.exampleSecrets.path
        let pod = ["--read-only", "--user", "65532:65532", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                   "-v", "\(agent)/kalm.yml:/etc/kalm/kalm.yml:ro", "-v", "\(secrets):/etc/kalm/web:ro",
                   "-v", "\(secrets):/etc/kalm/credentials:ro",
                   "-e", "API_BASE=http://127.0.0.1:9", "-e", "CREDENTIALS_DIRECTORY=/etc/kalm/credentials"]
        let check = try runTool(script, ["run", "--rm"] + pod + [tag, "check", "-c", "/etc/kalm/kalm.yml", "--web.config.file", "/etc/kalm/web/web.yml"], timeout: 60)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("/etc/kalm/web/web.yml: OK") && check.stdout.contains("/etc/kalm/kalm.yml: OK"), "\(check.stdout)")
        // An unknown time zone would fail check: the image carries the zone files.
        let zoned = try tempFile("""
            probes: [{name: a, request: {url: "http://127.0.0.1:9/"}}]
            scenarios:
              nightly: {schedule: "0 2 * * *", timezone: Europe/Paris, vus: 1, duration: 1m}
            """)
        let tz = try runTool(script, ["run", "--rm", "-v", "\(zoned):/etc/kalm/kalm.yml:ro", tag, "check", "-c", "/etc/kalm/kalm.yml"], timeout: 60)
        #expect(tz.status == 0 && tz.stdout.contains("Europe/Paris"), "\(tz.stdout)\(tz.stderr)")

        let port = try freeLoopbackPort()
        let name = "kalm-test-\(UUID().uuidString.prefix(8).lowercased())"
        // In the foreground: with -d, conmon (which outlives `podman run`) would inherit the
        // descriptor Foundation's Process watches for the child's exit, and runTool would wait
        // for the container to end.
        let run = try ChildProcess(script, ["run", "--rm", "--name", name, "--network", "host"] + pod
                                   + [tag, "agent", "-c", "/etc/kalm/kalm.yml", "--web.listen-address", "127.0.0.1:\(port)",
                                      "--web.config.file", "/etc/kalm/web/web.yml"])
        defer {
            _ = try? runTool(Self.podman!, ["rm", "-f", "-t", "0", name], timeout: 60)
            if run.waitForExit(timeout: 30) == nil { run.forceStop() }
        }
        let password = try String(contentsOf: Self.prometheusPasswordFile, encoding: .utf8)
        let scraped = pollValue(timeout: 20, interval: 0.2) { () -> CurlResponse? in
            let r = Curl.request("https://127.0.0.1:\(port)/metrics", extra: ["-k", "-u", "prometheus:\(password)"], timeout: 5)
            return r.status == 200 ? r : nil
        }
        #expect(scraped?.text.contains("kalm_build_info{") == true, "\(run.output)")
        #expect(scraped?.text.contains("kalm_probe_success{") == true, "the probe ran (and failed: port 9 is closed)")
        if Self.kalmHasHealth {
            let health = try runTool(Self.podman!, ["exec", name, "/kalm", "health", "--url", "https://127.0.0.1:\(port)/-/ready", "--insecure",
                                                    "--user", "probe", "--password-file", "/etc/kalm/web/probe-password"], timeout: 60)
            #expect(health.status == 0, "kalm health in the container: \(health.stdout)\(health.stderr)")
        }
    }
}
