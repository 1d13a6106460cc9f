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
