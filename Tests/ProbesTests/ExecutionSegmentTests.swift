import Probes
import Testing

/// k6's execution segments: the striping deals every element to exactly one segment, each
/// gets its share, and ramps stay consistent (the parts add up to the whole at every count).
struct ExecutionSegmentTests {
    static func quarters() throws -> [ExecutionSegment] {
        let seq = (0...4).map { Fraction($0, 4) }
        return try (0..<4).map { try ExecutionSegment(from: seq[$0], to: seq[$0 + 1], sequence: seq) }
    }

    @Test func tenVUsOverFourQuartersAreThreeThreeTwoTwo() throws {
        #expect(try Self.quarters().map { $0.scale(10) } == [3, 3, 2, 2])
        #expect(ExecutionSegment.whole.scale(10) == 10)
    }

    @Test("every element goes to exactly one segment, for any count", arguments: [
        "0,1/4,2/4,3/4,1", "0,1/3,2/3,1", "0,1/2,1", "0,0.1,0.35,1", "0,1/7,3/7,1/2,5/6,1", "0,1",
    ])
    func partition(_ sequence: String) throws {
        let seq = sequence.split(separator: ",").compactMap { Fraction(parsing: $0) }
        let segments = try (0..<(seq.count - 1)).map { try ExecutionSegment(from: seq[$0], to: seq[$0 + 1], sequence: seq) }
        for n in [0, 1, 2, 3, 7, 10, 11, 100, 997, 8000] {
            #expect(segments.map { $0.scale(n) }.reduce(0, +) == n, "\(sequence) over \(n)")
            var seen = Set<Int>()
            for s in segments {
                for k in 0..<s.scale(n) {
                    let e = s.element(k)
                    #expect(e < n && seen.insert(e).inserted, "\(sequence): element \(e) of \(n)")
                }
                // Each segment gets its length's share, within two elements (k6's striping: exact per period).
                #expect(abs(Double(s.scale(n)) - Double(n) * (s.to.value - s.from.value)) < 2)
            }
            #expect(seen.count == n)
        }
    }

    @Test func aRampSplitAddsUpAtEveryMoment() throws {
        let segments = try Self.quarters()
        let ramp = VUSchedule(.rampingVUs(startVUs: 0, stages: [Stage(duration: 10, target: 37), Stage(duration: 5, target: 5)],
                                          gracefulRampDown: 0))!
        var t = 0.0
        while t < 15 {
            let whole = ramp.target(at: t)
            #expect(segments.map { $0.scale(whole) }.reduce(0, +) == whole, "at \(t) s")
            t += 0.1
        }
    }

    @Test func k6DefaultSequenceAndSpellings() throws {
        let s = try ExecutionSegment(from: Fraction(parsing: "25%")!, to: Fraction(parsing: "0.5")!, sequence: nil)
        #expect(s.sequence.map(\.description) == ["0", "1/4", "1/2", "1"])
        #expect(s.description == "1/4:1/2")
        #expect(Fraction(parsing: "3/2") == nil && Fraction(parsing: "-1/4") == nil && Fraction(parsing: "x") == nil)
        #expect(throws: SegmentError.self) { try ExecutionSegment(from: .zero, to: Fraction(1, 3), sequence: [.zero, Fraction(1, 4), .one]) }
        #expect(throws: SegmentError.self) { try ExecutionSegment(from: Fraction(1, 2), to: Fraction(1, 4), sequence: nil) }
        // Fractions whose common denominator is huge are refused, not walked.
        let fine = [Fraction.zero, Fraction(1, 9_973), Fraction(1, 9_967), Fraction(1, 9_949), .one].sorted()
        #expect(throws: SegmentError.self) { try ExecutionSegment(from: fine[0], to: fine[1], sequence: fine) }
    }
}
