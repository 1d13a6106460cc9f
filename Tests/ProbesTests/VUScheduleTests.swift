import Probes
import Testing

@Suite("VU schedule")
struct VUScheduleTests {
    @Test func constantVUs() {
        let s = VUSchedule(.constantVUs(vus: 5, duration: 10))!
        #expect(s.target(at: 0) == 5)
        #expect(s.target(at: 9.99) == 5)
        #expect(s.target(at: 10) == 0)
        #expect(s.nextChange(after: 3) == 10)
    }

    @Test func rampingStepsOneVUAtEvenlySpacedInstants() {
        let s = VUSchedule(.rampingVUs(startVUs: 0, stages: [Stage(duration: 10, target: 10), Stage(duration: 10, target: 0)],
                                       gracefulRampDown: 30))!
        #expect(s.target(at: 0) == 0)
        #expect(s.target(at: 0.99) == 0)
        #expect(s.target(at: 1) == 1)
        #expect(s.target(at: 9.5) == 9)
        #expect(s.target(at: 10) == 10)
        #expect(s.target(at: 10.5) == 10)
        #expect(s.target(at: 11) == 9)
        #expect(s.target(at: 19.99) == 1)
        #expect(s.target(at: 20) == 0)
        #expect(s.nextChange(after: 0.5)! == 1)
        #expect(abs(s.nextChange(after: 10.2)! - 11) < 1e-9)
        #expect(s.nextChange(after: 20) == nil)
    }

    @Test func holdStageChangesOnlyAtItsEnd() {
        let s = VUSchedule(.rampingVUs(startVUs: 3, stages: [Stage(duration: 5, target: 3)], gracefulRampDown: 0))!
        #expect(s.target(at: 2) == 3)
        #expect(s.nextChange(after: 2) == 5)
    }

    @Test func arrivalRateHasNoVUSchedule() {
        #expect(VUSchedule(.constantArrivalRate(rate: 1, timeUnit: 1, duration: 1, preallocatedVUs: 1, maxVUs: 1)) == nil)
    }
}

@Suite("arrival schedule")
struct ArrivalScheduleTests {
    @Test func constantRateStartsExactlyRateTimesDuration() {
        let s = ArrivalSchedule(.constantArrivalRate(rate: 200, timeUnit: 1, duration: 10, preallocatedVUs: 1, maxVUs: 1))!
        #expect(s.totalIterations == 2000)
        #expect(s.startTime(ofIteration: 0) == 0)
        #expect(abs(s.startTime(ofIteration: 1)! - 0.005) < 1e-9)
        #expect(abs(s.startTime(ofIteration: 1999)! - 9.995) < 1e-9)
        #expect(s.startTime(ofIteration: 2000) == nil)
        // time_unit: 30 per minute = 0.5 per second.
        let m = ArrivalSchedule(.constantArrivalRate(rate: 30, timeUnit: 60, duration: 10, preallocatedVUs: 1, maxVUs: 1))!
        #expect(m.totalIterations == 5)
        #expect(m.startTime(ofIteration: 4) == 8)
    }

    @Test func rampingRateIntegratesTheRamp() {
        // 0 → 100/s over 10 s: 500 iterations; iteration k starts at t where 5t² = k.
        let s = ArrivalSchedule(.rampingArrivalRate(startRate: 0, timeUnit: 1, stages: [Stage(duration: 10, target: 100)],
                                                    preallocatedVUs: 1, maxVUs: 1))!
        #expect(s.totalIterations == 500)
        #expect(abs(s.startTime(ofIteration: 20)! - 2) < 1e-9)
        #expect(abs(s.startTime(ofIteration: 320)! - 8) < 1e-9)
        #expect(s.rate(at: 5) == 50)
        // Then hold 100/s for 2 s: 200 more.
        let h = ArrivalSchedule(.rampingArrivalRate(startRate: 0, timeUnit: 1,
                                                    stages: [Stage(duration: 10, target: 100), Stage(duration: 2, target: 100)],
                                                    preallocatedVUs: 1, maxVUs: 1))!
        #expect(h.totalIterations == 700)
        #expect(abs(h.startTime(ofIteration: 600)! - 11) < 1e-9)
    }
}
