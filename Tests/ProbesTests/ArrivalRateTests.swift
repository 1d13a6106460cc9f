import Foundation
import KalmTestSupport
import Measurements
import Probes
import TestServer
import Testing

/// Open-model executors on the real engine.
@Suite("arrival-rate executors", .serialized)
final class ArrivalRateTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start(threads: 2)
    }

    deinit { server.shutdown() }

    @Test(arguments: [1, 2])
    func constantArrivalRateStartsTheScheduledIterations(threads: Int) throws {
        server.resetCounts()
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/ok")],
                                          executor: .constantArrivalRate(rate: 200, timeUnit: 1, duration: 10, preallocatedVUs: 10, maxVUs: 50),
                                          threads: threads)[0]
        // 200/s for 10 s: 2000 ± 1 %, every one started (none dropped) and answered.
        #expect(abs(Int(stats.requests) - 2000) <= 20, "\(stats.requests) requests")
        #expect(stats.droppedIterations == 0)
        #expect(server.requestCount(path: "/ok") == Int(stats.requests))
        // Start lag is measured for each iteration.
        #expect(stats.startLagBuckets.count == stats.requests)
    }

    @Test func tooFewVUsShowAsDroppedIterationsExactly() throws {
        // 20/s for 3 s = 60 scheduled; 4 VUs on a 500 ms endpoint manage 8/s at most.
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/sleep?ms=500")],
                                          executor: .constantArrivalRate(rate: 20, timeUnit: 1, duration: 3, preallocatedVUs: 2, maxVUs: 4))[0]
        #expect(stats.requests + stats.droppedIterations == 60, "\(stats.requests) + \(stats.droppedIterations)")
        #expect(stats.droppedIterations >= 30)
        #expect(stats.requests <= 28)
    }

    @Test func iterationsStartOnScheduleWhateverEarlierOnesDo() throws {
        // 10/s on a 300 ms endpoint with plenty of VUs: ~3 in flight at once, none dropped.
        server.resetCounts()
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/sleep?ms=300")],
                                          executor: .constantArrivalRate(rate: 10, timeUnit: 1, duration: 2, preallocatedVUs: 1, maxVUs: 10))[0]
        #expect(stats.requests == 20)
        #expect(stats.droppedIterations == 0)
        #expect(server.maxConcurrentSeen >= 3)
    }

    @Test func rampingArrivalRateFollowsTheIntegral() throws {
        let stats = try EngineHarness.run([EngineHarness.probe(server, "/ok")],
                                          executor: .rampingArrivalRate(startRate: 0, timeUnit: 1,
                                                                        stages: [Stage(duration: 2, target: 200), Stage(duration: 1, target: 200)],
                                                                        preallocatedVUs: 5, maxVUs: 20))[0]
        // 200 during the ramp + 200 during the hold.
        #expect(abs(Int(stats.requests) - 400) <= 4, "\(stats.requests)")
    }
}
