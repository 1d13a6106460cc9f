import Foundation
import KalmTestSupport
import Measurements
import TestServer
import Testing
@testable import Agent
@testable import Exporter
#if canImport(Glibc)
import Glibc
#endif

/// The notify protocol as systemd sees it: the real `kalm agent`, and a real `AF_UNIX`
/// datagram socket in `$NOTIFY_SOCKET` (a path, or an abstract `@name`).
@Suite("systemd notify protocol", .serialized, .timeLimit(.minutes(3)))
final class SystemdNotifyTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    var yaml: String {
        """
        probes:
          - name: api
            request: {url: "\(server.baseURL)/ok"}
        scenarios:
          s: {vus: 1, think_time: 100ms, continuous: true}
        """
    }

    /// Waits for READY=1 and checks what a client sees at that moment: /metrics answers,
    /// /-/ready says ready, the scenario is active. Returns the agent's address.
    func expectReadyMeansServing(_ agent: NotifyingAgent, _ socket: NotifySocket) throws -> String? {
        guard let ready = socket.waitFor("READY=1", timeout: 20) else {
            Issue.record("no READY=1 within 20 s; got \(socket.messages.map(\.text)):\n\(agent.child.output)")
            return nil
        }
        // The agent logs `listening` before it sends READY=1; the pipe may deliver it a moment later.
        guard let address = pollValue(timeout: 2, interval: 0.005, { agent.address }) else {
            Issue.record("READY=1 but no `listening` line:\n\(agent.child.output)")
            return nil
        }
        let metrics = Curl.request("http://\(address)/metrics", timeout: 5)
        #expect(metrics.status == 200, "READY=1 was sent but /metrics does not answer: \(metrics.status) \(metrics.curlError)")
        let scenario = try Exposition(metrics.text).value("kalm_scenario_active", ["scenario": "s"])
        #expect(scenario == 1, "READY=1 was sent before the scenario started")
        #expect(Curl.request("http://\(address)/-/ready").status == 200)
        let message = socket.messages[ready]
        #expect(message.fields["STATUS"]?.contains("serving /metrics on \(address)") == true, "\(message.text)")
        #expect(message.pid == agent.pid, "sent by pid \(message.pid), not the main process \(agent.pid) (NotifyAccess=main)")
        // Before READY=1, at most watchdog pings.
        #expect(socket.messages[..<ready].allSatisfy { $0.text == "WATCHDOG=1" }, "\(socket.messages[..<ready].map(\.text))")
        return address
    }

    @Test("path socket: READY=1 once serving, WATCHDOG=1 every 0.5 s, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 on SIGTERM")
    func fullLifecycleOverAPathSocket() throws {
        let socket = try NotifySocket.path()
        let agent = try NotifyingAgent(yaml: yaml, environment: ["NOTIFY_SOCKET": socket.environmentValue,
                                                                 "WATCHDOG_USEC": "1000000"])
        guard try expectReadyMeansServing(agent, socket) != nil else { return }

        // Watchdog: WATCHDOG_USEC=1 s, so a ping every ~0.5 s, never a gap systemd would act on.
        Thread.sleep(forTimeInterval: 3.2)
        let pings = socket.messages.filter { $0.text == "WATCHDOG=1" }
        #expect(pings.count >= 5, "\(pings.count) WATCHDOG=1 in ~3.5 s")
        #expect(pings.allSatisfy { $0.pid == agent.pid })
        let gaps = zip(pings.dropFirst(), pings).map { $0.at.timeIntervalSince($1.at) }.sorted()
        if !gaps.isEmpty {
            let median = gaps[gaps.count / 2]
            #expect(median > 0.4 && median < 0.65, "median gap \(median) s, expected ~0.5 s: \(gaps)")
            #expect(gaps.last! < 0.95, "a gap of \(gaps.last!) s: systemd would have killed the agent at 1 s")
        }

        // SIGHUP: RELOADING=1 (with MONOTONIC_USEC for systemd ≥ 253), then READY=1.
        let beforeReload = socket.messages.count
        let now = SystemdNotifier.monotonicMicroseconds()
        agent.child.signal(SIGHUP)
        let reloading = socket.waitFor("RELOADING=1", after: beforeReload, timeout: 10)
        #expect(reloading != nil, "no RELOADING=1 after SIGHUP:\n\(agent.child.output)")
        if let reloading {
            let usec = socket.messages[reloading].fields["MONOTONIC_USEC"].flatMap(UInt64.init)
            #expect(usec != nil && usec! >= now && usec! < now + 10_000_000, "\(socket.messages[reloading].text)")
            let ready = socket.waitFor("READY=1", after: reloading + 1, timeout: 10)
            #expect(ready != nil, "no READY=1 after the reload:\n\(agent.child.output)")
            if let ready { #expect(socket.messages[ready].fields["STATUS"] == "config reloaded") }
        }

        // A broken config: still READY=1 (the old config keeps running), with a STATUS saying so.
        try "probes: [".write(toFile: agent.configPath, atomically: true, encoding: .utf8)
        let beforeBroken = socket.messages.count
        agent.child.signal(SIGHUP)
        if let r = socket.waitFor("RELOADING=1", after: beforeBroken, timeout: 10),
           let ready = socket.waitFor("READY=1", after: r + 1, timeout: 10) {
            #expect(socket.messages[ready].fields["STATUS"]?.contains("reload failed") == true, "\(socket.messages[ready].text)")
        } else {
            Issue.record("no RELOADING=1/READY=1 around the failed reload: \(socket.messages[beforeBroken...].map(\.text))")
        }

        // SIGTERM: STOPPING=1, then a clean exit.
        let beforeStop = socket.messages.count
        agent.child.signal(SIGTERM)
        let stopping = socket.waitFor("STOPPING=1", after: beforeStop, timeout: 10)
        #expect(stopping != nil, "no STOPPING=1 after SIGTERM:\n\(agent.child.output)")
        #expect(agent.child.waitForExit(timeout: 15) == 0, "\(agent.child.output)")
        if let stopping { #expect(socket.messages[stopping].pid == agent.pid) }
        #expect(!agent.child.output.contains("NOTIFY_SOCKET"), "\(agent.child.output)")
    }

    @Test("abstract socket (@name): READY=1 and STOPPING=1")
    func abstractSocket() throws {
        let socket = try NotifySocket.abstract()
        #expect(socket.environmentValue.hasPrefix("@"))
        let agent = try NotifyingAgent(yaml: yaml, environment: ["NOTIFY_SOCKET": socket.environmentValue])
        guard try expectReadyMeansServing(agent, socket) != nil else { return }
        agent.child.signal(SIGTERM)
        #expect(socket.waitFor("STOPPING=1", timeout: 10) != nil, "\(socket.messages.map(\.text))")
        #expect(agent.child.waitForExit(timeout: 15) == 0, "\(agent.child.output)")
        // No WATCHDOG_USEC: no pings.
        #expect(!socket.messages.contains { $0.has("WATCHDOG=1") })
    }

    @Test("WATCHDOG_PID naming another process: no pings from this one")
    func watchdogForAnotherProcess() throws {
        let socket = try NotifySocket.path()
        let agent = try NotifyingAgent(yaml: yaml, environment: ["NOTIFY_SOCKET": socket.environmentValue,
                                                                 "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"])
        guard try expectReadyMeansServing(agent, socket) != nil else { return }
        Thread.sleep(forTimeInterval: 1.5)
        #expect(!socket.messages.contains { $0.has("WATCHDOG=1") }, "\(socket.messages.map(\.text))")
        agent.child.signal(SIGTERM)
        #expect(agent.child.waitForExit(timeout: 15) == 0)
    }

    @Test("NOTIFY_SOCKET unset: nothing is sent, and the agent runs as usual")
    func noNotifySocket() throws {
        let socket = try NotifySocket.path()
        // The socket exists, but the agent is not told about it (WATCHDOG_USEC alone means nothing).
        let agent = try NotifyingAgent(yaml: yaml, environment: ["WATCHDOG_USEC": "1000000"])
        let address = pollValue(timeout: 20, interval: 0.05) { agent.address }
        #expect(address != nil, "\(agent.child.output)")
        if let address { #expect(Curl.request("http://\(address)/metrics").status == 200) }
        Thread.sleep(forTimeInterval: 1.5)
        agent.child.signal(SIGTERM)
        #expect(agent.child.waitForExit(timeout: 15) == 0, "\(agent.child.output)")
        #expect(socket.messages.isEmpty, "\(socket.messages.map(\.text))")
        #expect(!agent.child.output.contains("level=warn"), "\(agent.child.output)")
    }

    @Test("no READY=1 when the agent cannot listen (exit 104 instead)")
    func noReadyWhenListenFails() throws {
        let socket = try NotifySocket.path()
        let busy = try ListeningSocket()
        let agent = try NotifyingAgent(yaml: yaml, environment: ["NOTIFY_SOCKET": socket.environmentValue,
                                                                 "WATCHDOG_USEC": "1000000"],
                                       args: ["--web.listen-address", "127.0.0.1:\(busy.port)"])
        #expect(agent.child.waitForExit(timeout: 20) == 104, "\(agent.child.output)")
        #expect(!socket.messages.contains { $0.has("READY=1") }, "\(socket.messages.map(\.text))")
    }
}

/// The notifier on its own, in-process, against the same kind of socket.
@Suite("systemd notifier")
struct SystemdNotifierTests {
    @Test("NOTIFY_SOCKET: an absolute path or @abstract; anything else is ignored", arguments: [
        ("/run/systemd/notify", SystemdNotifier.Address.path("/run/systemd/notify")),
        ("@kalm", .abstract("kalm")),
    ])
    func addresses(_ text: String, _ address: SystemdNotifier.Address) {
        #expect(SystemdNotifier.Address(text) == address)
        #expect(SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": text])?.address == address)
    }

    @Test("unset, empty, relative, vsock or too long: no notifier")
    func noNotifier() {
        for env in [[:], ["NOTIFY_SOCKET": ""], ["NOTIFY_SOCKET": "run/notify"], ["NOTIFY_SOCKET": "vsock:2:1234"],
                    ["NOTIFY_SOCKET": "@"], ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)]] {
            #expect(SystemdNotifier.fromEnvironment(env) == nil, "\(env)")
        }
    }

    @Test("watchdog interval: half of WATCHDOG_USEC, only for WATCHDOG_PID's process")
    func watchdogInterval() {
        #expect(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "30000000"], pid: 42) == .seconds(15))
        #expect(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "42"], pid: 42) == .milliseconds(500))
        #expect(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "43"], pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "0"], pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "soon"], pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval([:], pid: 42) == nil)
    }

    @Test("messages arrive as one datagram each, STATUS on one line", arguments: [false, true])
    func messages(abstract: Bool) throws {
        let socket = try abstract ? NotifySocket.abstract() : NotifySocket.path()
        let n = try #require(SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": socket.environmentValue]))
        #expect(n.ready(status: "up\nand running"))
        #expect(n.reloading())
        #expect(n.watchdog())
        #expect(n.stopping(status: "bye"))
        #expect(poll(timeout: 5) { socket.messages.count == 4 })
        let m = socket.messages
        guard m.count == 4 else { return }
        #expect(m[0].text == "READY=1\nSTATUS=up and running")
        #expect(m[1].has("RELOADING=1") && m[1].fields["MONOTONIC_USEC"].flatMap(UInt64.init) != nil)
        #expect(m[2].text == "WATCHDOG=1")
        #expect(m[3].text == "STOPPING=1\nSTATUS=bye")
        #expect(m.allSatisfy { $0.pid == getpid() })
    }

    @Test("no listener: send fails quietly")
    func noListener() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let n = SystemdNotifier(address: .path(dir.appendingPathComponent("nobody.sock").path))
        #expect(!n.watchdog())
    }

    @Test("READY=1 waits for both listening and started, and is sent once")
    func readiness() throws {
        let socket = try NotifySocket.path()
        let n = try #require(SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": socket.environmentValue]))
        let r = SystemdReadiness(notifier: n) { "on \($0.joined(separator: ","))" }
        r.probesStarted()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(socket.messages.isEmpty)
        r.listening(["127.0.0.1:1"])
        r.probesStarted()
        #expect(poll(timeout: 5) { socket.messages.count == 1 })
        Thread.sleep(forTimeInterval: 0.2)
        #expect(socket.messages.map(\.text) == ["READY=1\nSTATUS=on 127.0.0.1:1"])
    }

    @Test("the watchdog loop pings while alive, stops when cancelled")
    func watchdogLoop() async throws {
        let socket = try NotifySocket.path()
        let n = SystemdNotifier(address: try #require(SystemdNotifier.Address(socket.environmentValue)),
                                watchdogInterval: .milliseconds(100))
        let alive = Task { await n.runWatchdog { true } }
        try await Task.sleep(for: .milliseconds(550))
        alive.cancel()
        await alive.value
        let count = socket.messages.count
        #expect(count >= 4 && count <= 7, "\(count) pings in 0.55 s at 0.1 s")
        let dead = Task { await n.runWatchdog { false } }
        try await Task.sleep(for: .milliseconds(300))
        dead.cancel()
        await dead.value
        #expect(socket.messages.count <= count + 1, "pinged while isAlive said no")
    }
}

/// ProcSubset=pid hides /proc/stat: the boot time then comes from the clocks.
@Suite("process start time without /proc/stat")
struct BootTimeTests {
    @Test func bootTimeFromTheClocksMatchesBtime() throws {
        let btime = try #require(ProcessMetrics.bootTime())
        let fromClocks = try #require(ProcessMetrics.bootTime(procStat: "/nonexistent/stat"))
        #expect(abs(btime - fromClocks) <= 1, "btime \(btime), CLOCK_REALTIME − CLOCK_BOOTTIME \(fromClocks)")
    }
}
