import Foundation
import KalmTestSupport
import Measurements
import Probes
import TestServer
import Testing

@Suite("engine behaviour", .serialized)
final class EngineBehaviourTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    @Test func phasesFollowLibcurlArithmetic() throws {
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/sleep?ms=50")],
                                          executor: .constantVUs(vus: 2, duration: 0.8))[0]
        #expect(stats.requests >= 4)
        let wait = stats.trend(.waiting)
        let dur = stats.trend(.duration)
        // The server sleeps 50 ms before the first byte: that is `wait` (TTFB).
        #expect(Double(wait.min) >= 50_000)
        #expect(wait.quantile(0.5)! < 70_000)
        #expect(Double(dur.min) >= Double(wait.min))
        // duration = send + wait + receive, so it is never below wait.
        #expect(stats.trend(.durationExpected).count == stats.requests)
        // The phase histogram for `wait` put every request in the (0.05, 0.1] bucket.
        let waitBuckets = stats.phaseBuckets[Phase.wait.rawValue]
        let i = waitBuckets.boundsMicros.firstIndex(of: 100_000)!
        #expect(waitBuckets.counts[i] == stats.requests)
        // The duration histogram likewise, with agent.buckets.
        let j = stats.durationBuckets.boundsMicros.firstIndex(of: 100_000)!
        #expect(stats.durationBuckets.counts[j] == stats.requests)
    }

    /// `startSpread`: each VU's first request at its own offset, the offsets covering the
    /// spread evenly; without it every VU starts at once (k6).
    @Test func firstIterationsAreSpreadOverTheStartSpread() throws {
        let probes = (0..<20).map { EngineHarness.probe(server, "/ok", name: "p\($0)") }
        func offsets(spread: Double) throws -> [Double] {
            let t0 = MonotonicClock.now()
            let stats = try EngineHarness.run(probes, executor: .constantVUs(vus: 1, duration: 1.6), thinkTime: ThinkTime(min: 30, max: 30),
                                              threads: 2, gracefulStop: 1, startSpread: spread)
            #expect(stats.allSatisfy { $0.requests == 1 }, "one request per VU: \(stats.map(\.requests))")
            return stats.map { Double($0.lastFinishedAt &- t0) / 1e9 }.sorted()
        }
        let spread = try offsets(spread: 1.0)
        #expect(spread.last! - spread.first! > 0.8 && spread.last! < 1.4, "\(spread)")
        // Evenly: no 0.2 s stretch holds more than a third of them.
        for start in stride(from: 0.0, to: 1.0, by: 0.05) {
            #expect(spread.filter { $0 >= start && $0 < start + 0.2 }.count <= 7, "\(spread)")
        }
        let together = try offsets(spread: 0)
        #expect(together.last! - together.first! < 0.3, "\(together)")
    }

    /// `timerSlack`: think times end on the slack's grid, so VUs share wake-ups; the first
    /// requests (spread, not timers' ends) are off the grid, every later one is on it.
    @Test func thinkTimesEndOnTheTimerSlacksGrid() throws {
        let probes = (0..<16).map { EngineHarness.probe(server, "/ok", name: "p\($0)") }
        let stats = try EngineHarness.run(probes, executor: .constantVUs(vus: 1, duration: 2.9), thinkTime: ThinkTime(min: 1, max: 1),
                                          threads: 2, gracefulStop: 1, startSpread: 1.0, timerSlack: 0.5)
        let later = stats.filter { $0.requests >= 2 }
        #expect(later.count >= 12, "\(stats.map(\.requests))")
        let phases = later.map { Double($0.lastFinishedAt % 500_000_000) / 1e6 }
        #expect(phases.allSatisfy { $0 < 100 }, "ms after a 500 ms grid point: \(phases)")
    }

    @Test func keepAliveReusesConnections() throws {
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/ok")], executor: .constantVUs(vus: 3, duration: 0.5))[0]
        #expect(stats.requests > 30)
        // Only the first request of each VU connects; the rest reuse (connect time 0).
        let connecting = stats.trend(.connecting)
        #expect(connecting.count == stats.requests)
        #expect(connecting.quantile(0.9)! == 0)
        let fresh = stats.phaseBuckets[Phase.connect.rawValue]
        #expect(fresh.count == stats.requests)
    }

    @Test func connectionReuseFalseConnectsEveryIteration() throws {
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/ok")], executor: .constantVUs(vus: 1, duration: 0.5),
                                          connectionReuse: false)[0]
        #expect(stats.requests > 10)
        let c = stats.trend(.connecting)
        #expect(c.min > 0, "every request made a new connection")
        #expect(stats.trend(.blocked).min > 0)
    }

    @Test func postBodiesArePickedAtRandomAndSent() throws {
        let bodies = [Array(#"{"brand":"Rolex"}"#.utf8), Array(#"{"brand":"Cartier"}"#.utf8)]
        let checks = [
            CheckSpec(name: "echo", kind: .bodyMatches(try Pattern(#"^\{"brand":"(Rolex|Cartier)"\}$"#))),
            CheckSpec(name: "rolex", kind: .bodyMatches(try Pattern("Rolex"))),
            CheckSpec(name: "method", kind: .header(name: "x-request-method", matches: try Pattern("^POST$"))),
        ]
        let p = EngineHarness.probe(server, "/echo", method: "POST", bodies: bodies, checks: checks)
        let stats = try EngineHarness.run([p], executor: .constantVUs(vus: 2, duration: 0.5))[0]
        #expect(stats.requests > 20)
        #expect(stats.checkFails[0] == 0)
        #expect(stats.checkFails[2] == 0)
        // Both bodies were chosen: "rolex" both passed and failed.
        #expect(stats.checkPasses[1] > 0 && stats.checkFails[1] > 0)
        #expect(stats.bytesSent > stats.requests * 15)
    }

    @Test func putWithBodyUsesTheMethod() throws {
        let p = EngineHarness.probe(server, "/echo", method: "PUT", bodies: [Array("x=1".utf8)],
                                    checks: [CheckSpec(kind: .header(name: "X-Request-Method", matches: try Pattern("^PUT$"))),
                                             CheckSpec(kind: .bodyMatches(try Pattern("^x=1$")))])
        let stats = try EngineHarness.run([p], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(stats.requests > 0)
        #expect(stats.checkFails == [0, 0])
    }

    @Test func checksOfEveryKind() throws {
        let checks: [CheckSpec] = [
            CheckSpec(kind: .status(StatusMatcher(ranges: [200...200]))),
            CheckSpec(kind: .jsonPath(try JSONPath("$.id"), .exists)),
            CheckSpec(kind: .jsonPath(try JSONPath("$.id"), .equals("val_123"))),
            CheckSpec(kind: .jsonPath(try JSONPath("$.estimated_value"), .matches(try Pattern(#"^1234\.5$"#)))),
            CheckSpec(kind: .jsonPath(try JSONPath("$.items[1].name"), .equals("b"))),
            CheckSpec(kind: .jsonPath(try JSONPath("$['a b'].c"), .exists)),
            CheckSpec(kind: .jsonPath(try JSONPath("$.ok"), .equals("true"))),
            CheckSpec(kind: .bodyNotMatches(try Pattern("(?i)error"))),
            CheckSpec(kind: .maxDuration(micros: 2_000_000)),
            // These must fail:
            CheckSpec(name: "missing", kind: .jsonPath(try JSONPath("$.nope"), .exists)),
            CheckSpec(name: "wrong", kind: .jsonPath(try JSONPath("$.id"), .equals("other"))),
            CheckSpec(name: "status 201", kind: .status(StatusMatcher(ranges: [201...201]))),
            CheckSpec(name: "too slow", kind: .maxDuration(micros: 0)),
        ]
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/json", checks: checks)],
                                          executor: .constantVUs(vus: 1, duration: 0.3))[0]
        let n = stats.requests
        #expect(n > 0)
        for i in 0..<9 { #expect(stats.checkPasses[i] == n, "check \(checks[i].name) should pass") }
        for i in 9..<13 { #expect(stats.checkFails[i] == n, "check \(checks[i].name) should fail") }
        // Requests succeeded, iterations did not (a check failed).
        #expect(stats.failedRequests == 0)
        #expect(stats.iterationsFailed == n)
    }

    @Test func checksFailOnTransportErrors() throws {
        let p = EngineHarness.probe(server, "/reset", checks: [CheckSpec(kind: .bodyNotMatches(try Pattern("x")))])
        let stats = try EngineHarness.run([p], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(stats.requests > 0)
        #expect(stats.checkFails[0] == stats.requests)
    }

    @Test func headerChecksSeeTheLastResponseOfARedirectChain() throws {
        let checks = [CheckSpec(kind: .header(name: "X-Kalm", matches: try Pattern("^yes$"))),
                      CheckSpec(kind: .status(StatusMatcher(ranges: [200...200])))]
        let p = EngineHarness.probe(server, "/redirect?n=2&to=/headers", checks: checks)
        let stats = try EngineHarness.run([p], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(stats.requests > 0)
        #expect(stats.checkFails == [0, 0])
        #expect(stats.requestsByCode[200] == stats.requests)
        // Not following: the 302 is the response (and 302 is an expected status by default).
        let q = EngineHarness.probe(server, "/redirect?n=2&to=/ok", followRedirects: false)
        let s2 = try EngineHarness.run([q], executor: .constantVUs(vus: 1, duration: 0.3))[0]
        #expect(s2.requestsByCode[302] == s2.requests)
        #expect(s2.failedRequests == 0)
    }

    @Test func thinkTimeSpacesIterations() throws {
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/ok")], executor: .constantVUs(vus: 1, duration: 1.05),
                                          thinkTime: ThinkTime(min: 0.2, max: 0.3))[0]
        // 1.05 s / (0.2..0.3 s + ε) ⇒ 4–6 iterations.
        #expect((4...6).contains(stats.requests), "\(stats.requests) requests")
        let it = stats.trend(.iterationDuration)
        #expect(it.min >= 200_000)
        #expect(it.max < 400_000)
    }

    @Test func gracefulStopLetsInFlightRequestsFinish() throws {
        var stoppedAt: UInt64 = 0
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/sleep?ms=400")],
                                          executor: .constantVUs(vus: 3, duration: 30)) { engine in
            Thread.sleep(forTimeInterval: 0.2)
            stoppedAt = MonotonicClock.now()
            engine.requestStop()
        }[0]
        let took = Double(MonotonicClock.now() - stoppedAt) / 1e9
        // The three requests in flight at the stop completed and were counted.
        #expect(stats.requests == 3)
        #expect(stats.failedRequests == 0)
        #expect(took < 1.0)
    }

    @Test func gracefulStopCutsOffAfterTheGrace() throws {
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/sleep?ms=3000", timeout: 10)],
                                          executor: .constantVUs(vus: 2, duration: 0.3), gracefulStop: 0.5)[0]
        // Interrupted iterations are not counted, as in k6.
        #expect(stats.requests == 0)
    }

    @Test func twoThreadsShareTheVUs() throws {
        var active: [Int] = []
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/sleep?ms=10"), EngineHarness.probe(server, "/ok", name: "q")],
                                          executor: .constantVUs(vus: 5, duration: 0.6), threads: 2) { engine in
            Thread.sleep(forTimeInterval: 0.3)
            active = engine.activeVUs()
        }
        #expect(active == [5, 5])
        #expect(stats[0].requests > 20)
        #expect(stats[1].requests > 20)
        // 5 VUs sleeping 10 ms each for 0.6 s: at most 5 × 60 requests.
        #expect(stats[0].requests <= 300)
    }

    @Test func rampingVUsFollowTheStages() throws {
        var samples: [(Double, Int)] = []
        let stages = [Stage(duration: 1.5, target: 6), Stage(duration: 1, target: 6), Stage(duration: 1, target: 0)]
        let schedule = VUSchedule(.rampingVUs(startVUs: 0, stages: stages, gracefulRampDown: 1))!
        _ = try EngineHarness.run([EngineHarness.probe(server, "/sleep?ms=5")],
                                  executor: .rampingVUs(startVUs: 0, stages: stages, gracefulRampDown: 1), threads: 2) { engine in
            let t0 = engine.startedAt
            while !engine.isFinished {
                let t = Double(MonotonicClock.now() - t0) / 1e9
                if t > 3.4 { break }
                samples.append((t, engine.activeVUs()[0]))
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        #expect(samples.count > 20)
        for (t, n) in samples {
            // Linear ramp 0→6 over 1.5 s, hold, then 6→0 over 1 s.
            let linear = t < 1.5 ? 6 * t / 1.5 : (t < 2.5 ? 6 : max(0, 6 * (3.5 - t)))
            #expect(abs(Double(n) - linear) <= 1.05, "at \(t)s: \(n) VUs, linear \(linear)")
            #expect(abs(n - schedule.target(at: t)) <= 1)
        }
    }
}
