import Foundation
import KalmTestSupport
import Measurements
import Probes
import TestServer

/// Runs a scenario on the real engine and returns each probe's merged stats.
enum EngineHarness {
    static func run(
        _ probes: [ProbeSpec], executor: ExecutorSpec, thinkTime: ThinkTime = .zero,
        connectionReuse: Bool = true, threads: Int = 1, gracefulStop: Double = 30, startSpread: Double = 0, timerSlack: Double = 0,
        during: ((Engine) -> Void)? = nil
    ) throws -> [ProbeStats] {
        var scenario = ScenarioSpec(name: "test", probes: probes, executor: executor, thinkTime: thinkTime,
                                    connectionReuse: connectionReuse, gracefulStop: gracefulStop)
        scenario.startSpread = startSpread
        scenario.timerSlack = timerSlack
        let sink = RecorderSink(probes.map { ProbeRecorder(checkCount: $0.checks.count, layout: StatsLayout()) })
        let engine = try Engine(scenario: scenario, threads: threads) { _ in sink }
        engine.start()
        during?(engine)
        // Every test run is bounded: the executor's duration plus grace, never forever.
        let limit = min(executor.duration, 60) + min(gracefulStop, 30) + 5
        if !engine.wait(timeout: .seconds(limit)) {
            engine.requestStop(grace: .zero)
            engine.wait()
            throw TestFailure("engine did not stop within \(limit)s")
        }
        return sink.snapshots()
    }

    /// A probe GETting `path` on the fault server.
    static func probe(_ server: FaultServer, _ path: String, name: String = "p", timeout: Double = 5,
                      bodyLimit: Int = 10 * 1024 * 1024, method: String = "GET", bodies: [[UInt8]] = [],
                      checks: [CheckSpec] = [], followRedirects: Bool = true,
                      expected: StatusMatcher = .k6Default) -> ProbeSpec {
        ProbeSpec(name: name,
                  request: RequestSpec(method: method, url: server.baseURL + path, bodies: bodies, timeout: .seconds(timeout),
                                       bodySizeLimit: bodyLimit, followRedirects: followRedirects),
                  expectedStatus: expected, checks: checks)
    }

    /// A TCP port on 127.0.0.1 that nothing listens on.
    static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        close(fd)
        return port
    }
}

extension ProbeStats {
    func failures(_ r: FailureReason) -> UInt64 { failuresByReason[Int(r.rawValue)] }
    var totalRequests: UInt64 { requests }
    func trend(_ t: Trend) -> LogLinearHistogram { trends[t.rawValue] }
}
