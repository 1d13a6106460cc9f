import Foundation
import KalmTestSupport
import TestServer
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `kalm agent` inside an emulation of the unit's sandbox, since no systemd runs here as
/// PID 1 to start the real unit. What matters for kalm's own code is emulated from the
/// unit's settings: seccomp filters as systemd builds them (SystemCallFilter= as an allow
/// list with SystemCallErrorNumber=EPERM, MemoryDenyWriteExecute=, RestrictAddressFamilies=),
/// no capabilities (CapabilityBoundingSet=, NoNewPrivileges=), /proc mounted with
/// ProcSubset=pid and ProtectProc=invisible, and a read-only root (ProtectSystem=strict).
/// The agent must come up (READY=1), answer /metrics, probe over HTTP and HTTPS (Swift
/// runtime, Foundation, libcurl and OpenSSL without writable+executable memory), report
/// its start time without /proc/stat, reload and stop.
///
/// Needs root (mount and PID namespaces), util-linux's unshare and setpriv, a C compiler,
/// libseccomp.so.2 (a dependency of systemd) and openssl; skipped otherwise.
@Suite("systemd sandbox (emulated)", .serialized, .timeLimit(.minutes(2)),
       .enabled(if: SandboxPrerequisites.missing.isEmpty, "needs \(SandboxPrerequisites.missing.joined(separator: ", "))"))
final class SystemdSandboxTests {
    let dir: URL
    let helper: String
    let syscalls: String
    let families: [String]

    init() throws {
        dir = try tempDirectory()
        let source = dir.appendingPathComponent("sandbox-exec.c").path
        try Self.helperSource.write(toFile: source, atomically: true, encoding: .utf8)
        helper = dir.appendingPathComponent("sandbox-exec").path
        let cc = try runTool(SandboxPrerequisites.compiler!, ["-O", "-o", helper, source, "-ldl"], timeout: 60)
        guard cc.status == 0 else { throw TestFailure("cannot compile the seccomp helper:\n\(cc.stderr)") }

        let unit = try SystemdUnitTests.directives()
        // SystemCallFilter=: allow lists add up, `~` lists are taken out of them.
        var allowed = Set<String>(), denied = Set<String>()
        for value in unit["SystemCallFilter"] ?? [] {
            let deny = value.hasPrefix("~")
            for item in value.dropFirst(deny ? 1 : 0).split(separator: " ") {
                let names = try Self.expand(String(item))
                if deny { denied.formUnion(names) } else { allowed.formUnion(names) }
            }
        }
        guard !allowed.isEmpty else { throw TestFailure("the unit has no SystemCallFilter= allow list") }
        syscalls = dir.appendingPathComponent("syscalls").path
        try allowed.subtracting(denied).sorted().joined(separator: "\n").write(toFile: syscalls, atomically: true, encoding: .utf8)
        let numbers = ["AF_UNIX": "1", "AF_INET": "2", "AF_INET6": "10"]
        families = try (unit["RestrictAddressFamilies"]?.first ?? "").split(separator: " ").map {
            guard let n = numbers[String($0)] else { throw TestFailure("no number known for \($0)") }
            return n
        }
        #expect(unit["MemoryDenyWriteExecute"] == ["yes"] && unit["ProcSubset"] == ["pid"] && unit["ProtectProc"] == ["invisible"]
                && unit["ProtectSystem"] == ["strict"] && unit["NoNewPrivileges"] == ["yes"] && unit["CapabilityBoundingSet"] == [""]
                && unit["SystemCallErrorNumber"] == ["EPERM"],
                "the emulation below assumes these settings")
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    /// A syscall group (`@name`, expanded recursively by `systemd-analyze syscall-filter`) or one syscall.
    static func expand(_ item: String) throws -> Set<String> {
        guard item.hasPrefix("@") else { return [item] }
        let r = try runTool(SystemdUnitTests.analyze!, ["syscall-filter", "--no-pager", item])
        guard r.status == 0 else { throw TestFailure("systemd-analyze syscall-filter \(item): \(r.stderr)") }
        var out = Set<String>()
        for line in r.stdout.split(separator: "\n").dropFirst() {
            let l = line.trimmingCharacters(in: .whitespaces)
            if l.isEmpty || l.hasPrefix("#") { continue }
            out.formUnion(try expand(l))
        }
        return out
    }

    /// `unshare` (mount + PID namespace, /proc as ProcSubset=pid/ProtectProc=invisible, / read-only)
    /// → `setpriv` (no capabilities, no new privileges) → the seccomp helper → `command`.
    func sandboxed(_ command: [String]) throws -> ChildProcess {
        let setup = "mount -t proc -o subset=pid,hidepid=invisible proc /proc && mount -o remount,bind,ro / && exec \"$@\""
        return try ChildProcess("/usr/bin/unshare", ["--mount", "--pid", "--fork", "--kill-child", "--propagation", "private",
                                                     "/bin/sh", "-c", setup, "sh",
                                                     "/usr/bin/setpriv", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all",
                                                     helper, syscalls] + families + ["--"] + command)
    }

    @Test("the emulated filters bite: W+X memory, netlink sockets and privileged syscalls are refused")
    func filtersWork() throws {
        let r = try runTool(helper, [syscalls] + families + ["--selftest"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        for expected in ["mmap_wx=EPERM", "mmap_rw=allowed", "mprotect_x=EPERM", "socket_netlink=EAFNOSUPPORT",
                         "socket_unix=allowed", "chroot=EPERM"] {
            #expect(r.stdout.contains(expected + "\n"), "\(expected):\n\(r.stdout)")
        }
    }

    @Test("kalm agent in the unit's sandbox: READY=1, /metrics, HTTP and HTTPS probes, start time, reload, stop")
    func agentRunsSandboxed() throws {
        let server = try FaultServer.start()
        defer { server.shutdown() }
        let (cert, key) = try TLSCertificateTests.makeCertificate(in: dir, days: 30)
        let tlsPort = try freeLoopbackPort()
        let tls = try TLSCertificateTests.serve(certPath: cert, keyPath: key, port: tlsPort)
        defer { tls.forceStop() }
        let config = dir.appendingPathComponent("kalm.yml").path
        try """
            probes:
              - name: plain
                request: {url: "\(server.baseURL)/ok"}
              - name: tls
                request: {url: "https://localhost:\(tlsPort)/", tls: {ca_file: "\(cert)"}}
            scenarios:
              s: {vus: 1, think_time: 100ms, continuous: true}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let socket = try NotifySocket.path()
        let started = Date().timeIntervalSince1970
        let agent = try sandboxed(["/usr/bin/env", "-u", "WATCHDOG_PID", "NOTIFY_SOCKET=\(socket.environmentValue)", "WATCHDOG_USEC=1000000",
                                   KalmProcess.binary, "agent", "-c", config, "--web.listen-address", "127.0.0.1:0"])
        defer { agent.forceStop() }

        guard let ready = socket.waitFor("READY=1", timeout: 20) else {
            Issue.record("no READY=1 in the sandbox:\n\(agent.output)")
            return
        }
        // The agent's pid as seen from here (it is PID 1 of its namespace), for signals.
        let pid = socket.messages[ready].pid
        #expect(pid > 0)
        let address = try #require(pollValue(timeout: 2, interval: 0.01) { AgentProcess.listeningAddress(in: agent.stderr) },
                                   "\(agent.output)")
        // Leave time before the first scrape: a start time taken at the first scrape would show.
        Thread.sleep(forTimeInterval: max(0, started + 3 - Date().timeIntervalSince1970))
        var last: Exposition?
        let probing = try poll(timeout: 15, interval: 0.2) {
            let reply = Curl.request("http://\(address)/metrics", timeout: 5)
            guard reply.status == 200 else { throw TestFailure("/metrics in the sandbox: \(reply.status) \(reply.curlError)\n\(agent.output)") }
            let m = try Exposition(reply.text)
            last = m
            return ["plain", "tls"].allSatisfy { (m.value("kalm_http_requests_total", ["probe": $0, "code": "200"]) ?? 0) >= 3 }
        }
        #expect(probing, "\(last?.all("kalm_http_request_failures_total").filter { $0.value > 0 } ?? [])\n\(agent.output)")
        if let m = last {
            #expect(m.sum("kalm_http_request_failures_total") == 0)
            let start = m.value("process_start_time_seconds") ?? 0
            #expect(abs(start - started) < 1.5, "process_start_time_seconds \(start), started at \(started) (ProcSubset=pid hides /proc/stat)")
            #expect((m.value("process_open_fds") ?? 0) > 0, "/proc/self/fd is readable with ProcSubset=pid")
        }
        #expect(socket.messages.contains { $0.text == "WATCHDOG=1" })

        let before = socket.messages.count
        kill(pid, SIGHUP)
        let reloading = socket.waitFor("RELOADING=1", after: before, timeout: 10)
        #expect(reloading != nil && socket.waitFor("READY=1", after: reloading! + 1, timeout: 10) != nil, "\(agent.output)")
        kill(pid, SIGTERM)
        #expect(socket.waitFor("STOPPING=1", timeout: 10) != nil, "\(agent.output)")
        #expect(agent.waitForExit(timeout: 15) == 0, "\(agent.output)")
        for bad in ["Operation not permitted", "Permission denied", "Fatal error", "level=error", "level=warn"] {
            #expect(!agent.output.contains(bad), "\(bad):\n\(agent.output)")
        }
    }

    /// Loads seccomp filters as systemd does, each its own filter: the SystemCallFilter= allow
    /// list (anything else fails with EPERM), MemoryDenyWriteExecute= (systemd's rules: mmap
    /// W+X, mprotect/pkey_mprotect adding X, shmat SHM_EXEC fail with EPERM) and
    /// RestrictAddressFamilies= (socket() with another family fails with EAFNOSUPPORT); then
    /// execs the command. libseccomp.so.2 is loaded with dlopen: no headers needed.
    /// Usage: sandbox-exec SYSCALL-LIST-FILE FAMILY... -- COMMAND ARGS... | --selftest
    static let helperSource = #"""
        #include <dlfcn.h>
        #include <errno.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <sys/prctl.h>
        #include <sys/socket.h>
        #include <unistd.h>

        struct scmp_arg_cmp { unsigned int arg; int op; uint64_t datum_a; uint64_t datum_b; };
        #define SCMP_ACT_ALLOW 0x7fff0000U
        #define SCMP_ACT_ERRNO(x) (0x00050000U | ((x) & 0x0000ffffU))
        #define SCMP_CMP_EQ 4
        #define SCMP_CMP_MASKED_EQ 7
        #define SHM_EXEC_FLAG 0100000

        static void *(*s_init)(uint32_t);
        static int (*s_rule)(void *, uint32_t, int, unsigned int, ...);
        static int (*s_resolve)(const char *);
        static int (*s_load)(void *);

        static void die(const char *what, int rc) { fprintf(stderr, "sandbox-exec: %s: %d\n", what, rc); exit(120); }

        int main(int argc, char **argv) {
            void *lib = dlopen("libseccomp.so.2", RTLD_NOW);
            if (!lib) die("dlopen libseccomp.so.2", 0);
            s_init = dlsym(lib, "seccomp_init"); s_rule = dlsym(lib, "seccomp_rule_add");
            s_resolve = dlsym(lib, "seccomp_syscall_resolve_name"); s_load = dlsym(lib, "seccomp_load");
            if (!s_init || !s_rule || !s_resolve || !s_load) die("dlsym", 0);
            if (argc < 3) die("usage", argc);
            int sep = 2;
            while (sep < argc && strcmp(argv[sep], "--") != 0 && strcmp(argv[sep], "--selftest") != 0) sep++;
            if (sep >= argc) die("missing -- COMMAND or --selftest", 0);
            int selftest = strcmp(argv[sep], "--selftest") == 0;
            if (!selftest && sep + 1 >= argc) die("no command", 0);
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS", errno);

            void *allow = s_init(SCMP_ACT_ERRNO(EPERM));
            FILE *f = fopen(argv[1], "r");
            if (!f) die("open syscall list", errno);
            char line[128];
            int n = 0;
            while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                int nr = s_resolve(line);
                if (line[0] && nr >= 0 && s_rule(allow, SCMP_ACT_ALLOW, nr, 0) == 0) n++;
            }
            fclose(f);
            if (n < 100) die("too few syscalls allowed", n);

            void *mdwe = s_init(SCMP_ACT_ALLOW);
            struct scmp_arg_cmp wx = {2, SCMP_CMP_MASKED_EQ, PROT_EXEC | PROT_WRITE, PROT_EXEC | PROT_WRITE};
            struct scmp_arg_cmp x = {2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC};
            struct scmp_arg_cmp shmx = {2, SCMP_CMP_MASKED_EQ, SHM_EXEC_FLAG, SHM_EXEC_FLAG};
            int rc;
            if ((rc = s_rule(mdwe, SCMP_ACT_ERRNO(EPERM), s_resolve("mmap"), 1, wx))) die("mmap rule", rc);
            if ((rc = s_rule(mdwe, SCMP_ACT_ERRNO(EPERM), s_resolve("mprotect"), 1, x))) die("mprotect rule", rc);
            if ((rc = s_rule(mdwe, SCMP_ACT_ERRNO(EPERM), s_resolve("pkey_mprotect"), 1, x))) die("pkey_mprotect rule", rc);
            if ((rc = s_rule(mdwe, SCMP_ACT_ERRNO(EPERM), s_resolve("shmat"), 1, shmx))) die("shmat rule", rc);

            void *families = s_init(SCMP_ACT_ALLOW);
            for (int fam = 0; fam < 64; fam++) {
                int allowed = 0;
                for (int i = 2; i < sep; i++) if (atoi(argv[i]) == fam) allowed = 1;
                if (allowed) continue;
                struct scmp_arg_cmp eq = {0, SCMP_CMP_EQ, (uint64_t)fam, 0};
                if ((rc = s_rule(families, SCMP_ACT_ERRNO(EAFNOSUPPORT), s_resolve("socket"), 1, eq))) die("socket rule", rc);
            }
            if ((rc = s_load(families))) die("load families", rc);
            if ((rc = s_load(mdwe))) die("load mdwe", rc);
            if ((rc = s_load(allow))) die("load allow", rc);

            if (selftest) {
                void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                printf("mmap_wx=%s\n", p == MAP_FAILED && errno == EPERM ? "EPERM" : "allowed");
                void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                printf("mmap_rw=%s\n", q != MAP_FAILED ? "allowed" : "EPERM");
                printf("mprotect_x=%s\n", mprotect(q, 4096, PROT_READ | PROT_EXEC) != 0 && errno == EPERM ? "EPERM" : "allowed");
                int s = socket(AF_NETLINK, SOCK_RAW, 0);
                printf("socket_netlink=%s\n", s < 0 && errno == EAFNOSUPPORT ? "EAFNOSUPPORT" : "allowed");
                s = socket(AF_UNIX, SOCK_DGRAM, 0);
                printf("socket_unix=%s\n", s >= 0 ? "allowed" : "denied");
                printf("chroot=%s\n", chroot("/") != 0 && errno == EPERM ? "EPERM" : "allowed");
                return 0;
            }
            execvp(argv[sep + 1], argv + sep + 1);
            die("exec", errno);
        }
        """#
}

/// What the sandbox emulation needs (apart from the suite, which cannot name itself in its traits).
enum SandboxPrerequisites {
    static let compiler: String? = {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for name in ["cc", "gcc", "clang"] {
            for dir in path + ["/usr/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }()

    static let missing: [String] = {
        var out: [String] = []
        if getuid() != 0 { out.append("root") }
        for tool in ["/usr/bin/unshare", "/usr/bin/setpriv", "/usr/bin/openssl", "/usr/bin/env"]
            where !FileManager.default.isExecutableFile(atPath: tool) { out.append(tool) }
        if SystemdUnitTests.analyze == nil { out.append("systemd-analyze") }
        if compiler == nil { out.append("a C compiler (cc)") }
        if dlopen("libseccomp.so.2", RTLD_NOW) == nil { out.append("libseccomp.so.2") }
        // Root is not enough inside some containers: namespaces must actually be allowed.
        if out.isEmpty, (try? runTool("/usr/bin/unshare", ["--mount", "--pid", "--fork", "/bin/true"], timeout: 10).status) != 0 {
            out.append("permission to create mount and PID namespaces (unshare failed)")
        }
        return out
    }()
}
