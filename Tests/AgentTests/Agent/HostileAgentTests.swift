import Foundation
import KalmTestSupport
import TestServer
import Testing

/// `kalm agent` probing every hostile route of the test server at once for a minute: it
/// stays up, `/metrics` keeps answering, memory stays bounded, and each route's failures
/// are counted with their reason.
@Suite("hostile targets in the agent", .serialized)
final class HostileAgentTests {
    let server: FaultServer

    init() throws {
        FaultServer.prepareHostileRoutes()
        server = try FaultServer.start(threads: 1)
    }

    deinit { server.shutdown() }

    @Test func aMinuteOfHostileTargetsLeavesTheAgentUpAndEveryFailureCounted() throws {
        let routes = FaultServer.hostileRoutes
        let probes = routes.map { r in
            // A redirect loop needs 11 connections before libcurl gives up: time enough for them on a loaded machine.
            "  - {name: \(r.name.replacingOccurrences(of: "-", with: "_")), request: {url: \"\(server.url("/hostile/\(r.name)"))\", timeout: \(r.name == "redirect-loop" ? "5s" : "800ms"), body_size_limit: 4MiB}}"
        }.joined(separator: "\n")
        let agent = try AgentProcess(yaml: """
            probes:
            \(probes)
            scenarios:
              hostile: {vus: 2, think_time: 50ms, continuous: true}
            """, args: ["--threads", "2"])
        defer { agent.child.forceStop() }
        let end = Date().addingTimeInterval(60)
        var scrapes = 0, slowest = 0.0, peakRSS = 0
        while Date() < end {
            let r = Curl.fetch(agent.url("/metrics"), writeOut: "%{time_total}")
            #expect(r.status == 200, "scrape \(scrapes): \(r.status)")
            slowest = max(slowest, r.seconds)
            scrapes += 1
            peakRSS = max(peakRSS, Self.rssKiB(agent.child.pid) ?? 0)
            #expect(agent.child.isRunning)
            Thread.sleep(forTimeInterval: 2)   // a scrape interval, not a wait for an event
        }
        let m = try agent.scrape()
        for r in routes {
            let probe = r.name.replacingOccurrences(of: "-", with: "_")
            let requests = m.sum("kalm_http_requests_total", ["probe": probe])
            #expect(requests >= 5, "\(probe): \(requests) requests in a minute")
            if let reason = r.reason {
                // Every request failed, mostly for its reason (under this load a slow redirect chain may time out first).
                let failed = m.sum("kalm_http_request_failures_total", ["probe": probe])
                let mine = m.value("kalm_http_request_failures_total", ["probe": probe, "reason": reason]) ?? 0
                #expect(failed == requests && mine >= failed * 0.8,
                        "\(probe): \(m.all("kalm_http_request_failures_total", ["probe": probe]).filter { $0.value > 0 }.map { "\($0.labels["reason"]!)=\($0.value)" })")
            }
        }
        // Bounds, with room for a shared machine: the numbers go in the note.
        #expect(slowest < 1.0, "slowest scrape \(slowest) s")
        #expect(peakRSS < 256 * 1024, "peak RSS \(peakRSS) KiB")
        print("hostile agent: \(scrapes) scrapes, slowest \(String(format: "%.3f", slowest)) s, peak RSS \(peakRSS) KiB")
    }

    static func rssKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
}
